"""The op catalogue: declaring an elementwise op class is the one place its names live.

Decorating an op class with :func:`elementwise` declares it; every place that used to
repeat the op's name is generated from the class instead:

- its Tensor method (``x.log1p()``), on :class:`tinygrad_nn.tensor_methods.TensorMethods`,
  with a docstring made of the class's summary, formula, derivatives and ``>>>`` example;
- its function in the recorded namespace that ``backward(create_graph=True)`` runs the
  rules with (``xp.log1p(x)`` records an ``Log1p``), if ``xp`` declares that name;
- its NumPy ufunc(s) in ``Tensor.__array_ufunc__`` (``np.log1p(t)`` is ``t.log1p()``);
- its function in the compiler's symbolic namespace (``np.log1p`` in the written code).

The names come from the class: ``name`` (the ``xp`` function and the graph's label), and,
only where they differ, ``method`` (the Tensor method: ``"arcsin"`` for ``Asin``),
``aliases`` (more Tensor method names) and ``ufuncs`` (NumPy's names: ``"absolute"``
and ``"fabs"`` for ``Abs``). A place that wants the ops subscribes an installer with
:func:`subscribe`; it is run on every op declared so far and on each one declared later
(an op defined in a user's module or a test works like a built-in one).

Examples:
    >>> from tinygrad_nn import ops
    >>> ops.Asin in declared() and method_names(ops.Asin)
    ('arcsin', 'asin')
    >>> ufunc_names(ops.Abs), ufunc_names(ops.Exp), ufunc_names(ops.Relu)
    (('absolute', 'fabs'), ('exp',), ())
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from tinygrad_nn.ops.base import Op

OpClass = TypeVar("OpClass", bound=type[Op])
Installer = Callable[[type[Op]], None]

_declared: list[type[Op]] = []
_installers: list[Installer] = []


def elementwise(cls: OpClass) -> OpClass:
    """Declare an elementwise op class: everything subscribed gets it now.

    Examples:
        >>> from tinygrad_nn import ops
        >>> ops.Log1p in declared()
        True
    """
    _declared.append(cls)
    for install in _installers:
        install(cls)
    return cls


def subscribe(install: Installer) -> None:
    """Run ``install(op_class)`` on every declared op, now and for each one declared later.

    Examples:
        >>> seen = []
        >>> subscribe(seen.append)
        >>> len(seen) == len(declared())
        True
    """
    _installers.append(install)
    for cls in list(_declared):
        install(cls)


def declared() -> tuple[type[Op], ...]:
    """The declared op classes, in declaration order.

    Examples:
        >>> "exp" in [cls.name for cls in declared()]
        True
    """
    return tuple(_declared)


def method_names(cls: type[Op]) -> tuple[str, ...]:
    """The Tensor method names of an op: ``method`` (default ``name``), then ``aliases``.

    Examples:
        >>> from tinygrad_nn import ops
        >>> method_names(ops.Exp)
        ('exp',)
    """
    return (getattr(cls, "method", cls.name), *getattr(cls, "aliases", ()))


def ufunc_names(cls: type[Op]) -> tuple[str, ...]:
    """NumPy's ufunc names for an op: ``ufuncs`` if the class says, else the ufunc NumPy has
    under the op's name or method name (none for ``relu``).

    Examples:
        >>> from tinygrad_nn import ops
        >>> ufunc_names(ops.Asin)
        ('arcsin',)
    """
    explicit = getattr(cls, "ufuncs", None)
    if explicit is not None:
        return tuple(explicit)
    for name in (cls.name, *method_names(cls)):
        function = getattr(np, name, None)
        if isinstance(function, np.ufunc):
            return (function.__name__,)
    return ()


def docstring(cls: type[Op]) -> str:
    """The generated Tensor method's docstring: the class's summary, its formula and
    derivatives, then its examples.

    Examples:
        >>> from tinygrad_nn import ops
        >>> print(docstring(ops.Exp).splitlines()[2])
        Formula: z = exp(x); dz/dx = exp(x) = z.
    """
    text = _dedent(cls.__doc__ or cls.name)
    summary, _, examples = text.partition("\nExamples:")
    formula = "; ".join((cls.formula, *cls.derivatives)) if cls.formula else ""
    parts = [summary.rstrip(), f"Formula: {formula}." if formula else ""]
    if examples:
        parts.append("Examples:" + examples.rstrip())
    return "\n\n".join(part for part in parts if part)


def _dedent(text: str) -> str:
    lines = text.strip("\n").splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    cut = min(indents, default=0)
    return "\n".join([lines[0].strip(), *(line[cut:] for line in lines[1:])])


def tensor_method(cls: type[Op], name: str) -> Callable[[Any], Any]:
    """``x.<name>()``: a plain closure, as cheap as a hand-written
    ``return self._apply(ops.Exp(), self)`` (no lookup of the class per call).

    Examples:
        >>> from tinygrad_nn import ops
        >>> tensor_method(ops.Exp, "exp").__qualname__
        'Tensor.exp'
    """

    def method(self: Any) -> Any:
        return self._apply(cls(), self)

    method.__name__, method.__qualname__ = name, f"Tensor.{name}"
    method.__doc__ = docstring(cls)
    method.__annotations__ = {"return": "Tensor"}
    return method


def namespace_function(cls: type[Op]) -> Callable[[Any, Any], Any]:
    """``xp.<name>(x)`` of the recorded namespace: records the op on ``x``.

    Examples:
        >>> from tinygrad_nn import ops
        >>> namespace_function(ops.Exp).__name__
        'exp'
    """

    def function(self: Any, x: Any) -> Any:
        return self.apply(cls(), x)

    function.__name__ = function.__qualname__ = cls.name
    return function
