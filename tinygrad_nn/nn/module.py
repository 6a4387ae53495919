"""``Module`` and ``Parameter``: the containers that hold a model's weights.

As in PyTorch, assigning a :class:`Parameter` or a :class:`Module` to an attribute of a
module registers it; :meth:`Module.parameters` then finds every weight, in the order
they were registered, with dotted names such as ``"0.weight"``.

Examples:
    >>> import numpy as np
    >>> from tinygrad_nn import nn
    >>> class Affine(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.scale = nn.Parameter(np.ones(2))
    ...         self.shift = nn.Parameter(np.zeros(2))
    ...     def forward(self, x):
    ...         return x * self.scale + self.shift
    >>> [name for name, _ in Affine().named_parameters()]
    ['scale', 'shift']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from tinygrad_nn.dtypes import as_array, dtype_name, is_floating
from tinygrad_nn.errors import TracingError
from tinygrad_nn.namespace.array_api import is_array, is_library, like, to_numpy
from tinygrad_nn.nn.parameter import Parameter
from tinygrad_nn.nn.utils import layout_note
from tinygrad_nn.recording import calls, note
from tinygrad_nn.recording import state as recording
from tinygrad_nn.tensor import Tensor

__all__ = ["Module", "Parameter"]  # (Parameter's home is nn.parameter, as in PyTorch)


class _IncompatibleKeys(NamedTuple):
    """What :meth:`Module.load_state_dict` could not match, as PyTorch returns it.

    Examples:
        >>> _IncompatibleKeys([], [])
        <All keys matched successfully>
        >>> _IncompatibleKeys(["bias"], [])
        _IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])
    """

    missing_keys: list[str]  # the model's keys that the state dict lacks
    unexpected_keys: list[str]  # the state dict's keys that the model lacks

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (
            f"{type(self).__name__}(missing_keys={self.missing_keys!r}, "
            f"unexpected_keys={self.unexpected_keys!r})"
        )

    def __str__(self) -> str:
        return repr(self)


class Module:
    """Base class for layers and models: override ``forward``; call the module to run it.

    Examples:
        >>> from tinygrad_nn import nn
        >>> model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.Sigmoid())
        >>> model
        Sequential(
          (0): Linear(in_features=3, out_features=4, bias=False)
          (1): Sigmoid()
        )
    """

    _parameters: dict[str, Parameter]
    _buffers: dict[str, Tensor | None]
    _non_persistent_buffers_set: frozenset[str] = frozenset()  # left out of state_dict
    _modules: dict[str, Module]
    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Keep ``tensor`` as state that is not trained (BatchNorm's running mean): moved by
        ``to``, never given to an optimizer, saved in ``state_dict`` unless
        ``persistent=False`` (a causal mask that ``__init__`` rebuilds). None keeps the
        name for a tensor assigned later.

        Examples:
            >>> import tinygrad_nn as tg
            >>> m = Module(); m.register_buffer("count", tg.tensor(0))
            >>> m.register_buffer("mask", tg.ones(2), persistent=False)
            >>> list(m.state_dict()), [name for name, _ in m.named_buffers()]
            (['count'], ['count', 'mask'])
        """
        if "." in name or not name:
            raise KeyError(f'buffer name can\'t contain "." or be empty, got {name!r}')
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                "(torch Tensor or None required)"
            )
        self._buffers[name] = tensor
        kept = self._non_persistent_buffers_set
        kept = kept - {name} if persistent else kept | {name}
        object.__setattr__(self, "_non_persistent_buffers_set", kept)
        object.__setattr__(self, name, tensor)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() was called; "
                "call super().__init__() first in your module's __init__"
            )
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if name in self._buffers and (value is None or isinstance(value, Tensor)):
            self._buffers[name] = value
        elif isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        outer = recording.scope
        recording.scope = (*outer, (self, next(calls)))  # ops made now remember the call
        try:
            return self.forward(*args, **kwargs)
        finally:
            recording.scope = outer

    # ------------------------------------------------------------ the tree

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules, with their attribute names."""
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        """The direct sub-modules, each once."""
        yield from {id(m): m for m in self._modules.values()}.values()

    def modules(self) -> Iterator[Module]:
        """This module and all below it, depth first, each once (as ``named_modules``)."""
        for _, module in self.named_modules():
            yield module

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every sub-module, children first, then on this module; returns
        self, as PyTorch's ``Module.apply`` (the usual way to initialise a model's weights).

        Examples:
            >>> from tinygrad_nn import nn
            >>> def init_weights(m):
            ...     if isinstance(m, nn.Linear):
            ...         nn.init.zeros_(m.bias)
            >>> model = nn.Sequential(nn.Linear(2, 3), nn.ReLU()).apply(init_weights)
            >>> model[0].bias.tolist()
            [0.0, 0.0, 0.0]
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and all below it, depth first, with dotted names ('' for this one).

        Examples:
            >>> from tinygrad_nn import nn
            >>> [name for name, _ in nn.Sequential(nn.Linear(1, 1), nn.ReLU()).named_modules()]
            ['', '0', '1']
        """
        stack: list[tuple[str, Module]] = [(prefix, self)]
        seen: set[int] = set()
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module.named_children()]
            stack.extend(reversed(children))

    def named_parameters(self, remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted path, in registration order, each once (with
        ``remove_duplicate=False``, a tied parameter under each of its names, as PyTorch).

        Examples:
            >>> from tinygrad_nn import nn
            >>> model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
            >>> [name for name, _ in model.named_parameters()]
            ['0.weight', '0.bias', '2.weight', '2.bias']
        """
        seen: set[int] = set()
        for module_name, module in self.named_modules():
            for name, parameter in module._parameters.items():
                if id(parameter) not in seen or not remove_duplicate:
                    seen.add(id(parameter))
                    yield (f"{module_name}.{name}" if module_name else name), parameter

    def named_buffers(self) -> Iterator[tuple[str, Tensor]]:
        """Every buffer with its dotted path (``"0.running_mean"``; None ones left out)."""
        for module_name, module in self.named_modules():
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    yield (f"{module_name}.{name}" if module_name else name), buffer

    def _saved(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """What ``state_dict`` holds, in PyTorch's order: each module's parameters, then
        its persistent buffers, then its children's (a tied weight under each name)."""
        yield from ((prefix + name, p) for name, p in self._parameters.items())
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers_set:
                yield prefix + name, buffer
        for name, child in self._modules.items():
            yield from child._saved(f"{prefix}{name}.")

    def parameters(self) -> Iterator[Parameter]:
        """Every parameter, in registration order (what an optimizer takes).

        Examples:
            >>> from tinygrad_nn import nn
            >>> [p.shape for p in nn.Linear(2, 3).parameters()]
            [(3, 2), (3,)]
        """
        for _, parameter in self.named_parameters():
            yield parameter

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: set it to None (PyTorch's default), or with
        ``set_to_none=False`` fill the gradients that exist with zeros, in place (a
        reference to ``p.grad`` then sees the zeros; a parameter with no gradient keeps
        None), as PyTorch.

        Examples:
            >>> import tinygrad_nn as tg
            >>> from tinygrad_nn import nn
            >>> layer = nn.Linear(2, 1)
            >>> layer(tg.Tensor([[1.0, 2.0]])).sum().backward()
            >>> layer.zero_grad()
            >>> layer.weight.grad is None
            True
        """
        if set_to_none:
            if note(("zero_grad", list(self.parameters()))):  # compile traces a training step
                return
            for parameter in self.parameters():
                parameter.grad = None
            return
        if recording.events is not None:
            raise TracingError(
                "compile: zero_grad(set_to_none=False) inside a compiled training step is "
                "not supported (the compiled code sets the gradients it computes); call "
                "zero_grad() there"
            )
        for parameter in self.parameters():
            grad = parameter.grad
            if grad is not None:
                grad.array = grad.array * 0  # the same array type, device and dtype
                grad.requires_grad = False  # PyTorch detaches it from any graph too
                grad._ctx = None

    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and all below it; returns self.

        Examples:
            >>> from tinygrad_nn import nn
            >>> nn.Sequential(nn.Linear(1, 1)).eval().training
            False
        """
        for _, module in self.named_modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode (``train(False)``); returns self."""
        return self.train(False)

    def to(self, target: Any, device: Any = None) -> Module:
        """Move every parameter and its gradient to an array library (``"torch"``, with
        ``device="cuda"``...), or convert them to a dtype, in place; returns self.

        Optimizers keep working: their state follows its parameter at the next step.

        Examples:
            >>> from tinygrad_nn import nn
            >>> nn.Linear(2, 1).to("float32").weight.dtype
            dtype('float32')
        """
        for p in self.parameters():
            p.array = p.detach().to(target, device).array
            if p.grad is not None:
                p.grad = p.grad.detach().to(target, device)
        for _, buffer in self.named_buffers():
            if is_floating(buffer.array) or is_library(target):  # counts stay integers
                buffer.array = buffer.detach().to(target, device).array
        return self

    def double(self) -> Module:
        """Every parameter and floating buffer as float64, in place; returns self."""
        return self.to(np.float64)

    def float(self) -> Module:
        """Every parameter and floating buffer as float32, in place; returns self.

        Examples:
            >>> from tinygrad_nn import nn
            >>> nn.Linear(2, 1).float().weight.dtype
            dtype('float32')
        """
        return self.to(np.float32)

    def half(self) -> Module:
        """Every parameter and floating buffer as float16, in place; returns self."""
        return self.to(np.float16)

    # ------------------------------------------------------------ saving and loading

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's values, by dotted name, as NumPy arrays wherever
        the parameters live (so a checkpoint loads on any library or device).

        Examples:
            >>> from tinygrad_nn import nn
            >>> sorted(nn.Linear(2, 3).state_dict())
            ['bias', 'weight']
        """
        return {name: np.array(t.detach().numpy()) for name, t in self._saved()}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> _IncompatibleKeys:
        """Copy values from ``state`` into the parameters; returns the keys that did not
        match, as PyTorch: a NamedTuple ``(missing_keys, unexpected_keys)``.

        Every entry is checked before any parameter changes: a missing key (with
        ``strict``), an unexpected key (with ``strict``) or a shape mismatch raises a
        ``KeyError``/``ValueError`` naming the key and both shapes, and leaves the model
        as it was.

        Examples:
            >>> from tinygrad_nn import nn
            >>> a, b = nn.Linear(2, 3), nn.Linear(2, 3)
            >>> b.load_state_dict(a.state_dict())
            <All keys matched successfully>
            >>> b.load_state_dict({"weight": a.weight.data}, strict=False)
            _IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])
        """
        own: dict[str, Tensor] = dict(self._saved())
        missing = [key for key in own if key not in state]
        unexpected = [key for key in state if key not in own]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        updates = {}
        for key, value in state.items():
            if key not in own:
                continue
            array = as_array(to_numpy(value) if is_array(value) else value)
            if array.shape != own[key].shape:
                raise ValueError(
                    f"load_state_dict: {key!r} has shape {array.shape} in the state dict "
                    f"but {own[key].shape} in the model{layout_note(self, key, array.shape)}"
                )
            updates[key] = like(array.astype(dtype_name(own[key].array)), own[key].array)
        for key, array in updates.items():
            own[key].array = array
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------ printing

    def extra_repr(self) -> str:
        """The text inside this module's parentheses (override to show its settings)."""
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, child in children:
            child_text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_text}")
        return "\n".join(lines) + "\n)"
