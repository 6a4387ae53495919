"""``install_as_torch()``: ``import torch`` answered with tinygrad_nn's own objects.

Each PyTorch module of :data:`~tinygrad_nn.torch_names.names.PYTORCH` becomes a
:class:`TorchModule` in ``sys.modules`` whose attributes *are* tinygrad_nn's objects
(``torch.nn.Linear is tinygrad_nn.nn.Linear``): no second API, no wrappers. A name it
does not have raises ``AttributeError`` naming the PyTorch name; importing a PyTorch
module it does not have (``torch.distributed``) raises ``ModuleNotFoundError``, by a
finder placed first on ``sys.meta_path``. Whatever ``torch`` entries ``sys.modules`` held
before (a real PyTorch) are put back by :meth:`Installation.uninstall`.

Examples:
    >>> import sys
    >>> with install_as_torch():
    ...     import torch
    ...     torch.nn.Linear is sys.modules["tinygrad_nn.nn"].Linear
    True
    >>> "torch" in sys.modules
    False
"""

from __future__ import annotations

import importlib.machinery
import sys
from types import ModuleType
from typing import Any

from tinygrad_nn.torch_names.names import MISSING, PYTORCH, SUBMODULES, resolve

__all__ = ["Installation", "TorchModule", "install_as_torch"]

ADVICE = "see 'Running PyTorch programs' in docs/pytorch.md for the names it provides"


def unsupported(name: str) -> str:
    """The message for a PyTorch name that tinygrad_nn does not provide."""
    return f"{name} is not supported by tinygrad_nn (install_as_torch); {ADVICE}"


class TorchModule(ModuleType):
    """A PyTorch module's name whose attributes are tinygrad_nn objects.

    Examples:
        >>> m = TorchModule("torch.nn", {"Linear": 1})
        >>> m.Linear
        1
        >>> m.LazyLinear  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        AttributeError: torch.nn.LazyLinear is not supported by tinygrad_nn (install_as_torch); ...
    """

    def __init__(self, name: str, provided: dict[str, Any]) -> None:
        super().__init__(name, f"PyTorch's {name}, answered by tinygrad_nn ({ADVICE}).")
        # A package (with __path__) so that `import torch.x` asks the finders, and so
        # reaches _Refuse, instead of failing with "'torch' is not a package".
        self.__path__: list[str] = []
        self.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
        # CPython's "cannot import name 'X' from 'torch' (...)" shows __file__: this
        # names the module that answers for torch.
        self.__file__ = __file__
        self.__dict__.update(provided)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(unsupported(f"{self.__name__}.{name}"))


class _Refuse:
    """A ``sys.meta_path`` finder: ``torch.*`` modules that are not installed are refused."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname == "torch" or fullname.startswith("torch."):
            raise ModuleNotFoundError(unsupported(fullname), name=fullname)

    def invalidate_caches(self) -> None:
        """Nothing cached (importlib.invalidate_caches calls every finder's)."""


class Installation:
    """The ``torch`` modules that :func:`install_as_torch` put in ``sys.modules``.

    ``uninstall()`` (or leaving a ``with`` block) removes them and puts back what was
    there before; ``modules`` maps each PyTorch module name to its :class:`TorchModule`.
    """

    def __init__(self) -> None:
        self.previous = {k: m for k, m in sys.modules.items() if _is_torch(k)}
        self.modules = {
            name: TorchModule(name, _provided(names)) for name, names in PYTORCH.items()
        }
        for child, parent in SUBMODULES.items():
            setattr(self.modules[parent], child.rpartition(".")[2], self.modules[child])
        self.finder = _Refuse()
        self.installed = False

    def install(self) -> Installation:
        for key in self.previous:
            del sys.modules[key]
        sys.modules.update(self.modules)
        sys.meta_path.insert(0, self.finder)
        self.installed = True
        return self

    def uninstall(self) -> None:
        """Remove the ``torch`` modules and restore ``sys.modules`` as it was before."""
        global _current
        if not self.installed:
            return
        for key in [k for k in sys.modules if _is_torch(k)]:
            del sys.modules[key]
        sys.modules.update(self.previous)
        if self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)
        self.installed = False
        if _current is self:
            _current = None

    def __enter__(self) -> Installation:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.uninstall()


def _is_torch(key: str) -> bool:
    return key == "torch" or key.startswith("torch.")


def _provided(names: dict[str, str]) -> dict[str, Any]:
    found = {name: resolve(where) for name, where in names.items()}
    return {name: value for name, value in found.items() if value is not MISSING}


_current: Installation | None = None


def install_as_torch() -> Installation:
    """Make ``import torch`` (and ``torch.nn``, ``torch.nn.functional``, ``torch.nn.init``,
    ``torch.optim``, ``torch.optim.lr_scheduler``, ``torch.utils.data``,
    ``torch.autograd``, ``torch.cuda``) give tinygrad_nn's objects in this process.

    Calling it again while installed returns the same :class:`Installation`. Use it
    as ``with tg.install_as_torch(): ...`` to have ``sys.modules`` restored afterwards.

    Examples:
        >>> import tinygrad_nn as tg
        >>> with tg.install_as_torch():
        ...     import torch
        ...     import torch.nn.functional as F
        ...     F.relu(torch.tensor([-1.0, 2.0])).tolist()
        [0.0, 2.0]
    """
    global _current
    if _current is None or not _current.installed:
        _current = Installation().install()
    return _current
