"""The symbolic interpreter of the rules: ``xp`` whose functions write NumPy source.

Each function computes its value with NumPy (so shapes are known) and returns a
:class:`~tinygrad_nn.compile.values.Sym` whose template is the NumPy call a person would
write: ``np.exp({0})``, ``{0}.sum(axis=1)``, ``{0}.T``.

Examples:
    >>> import numpy as np
    >>> from tinygrad_nn.compile.program import Program
    >>> p = Program()
    >>> xp = SymbolicNamespace(p)
    >>> xp.log1p(p.argument("x", np.ones(2))).template
    'np.log1p({0})'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_nn.compile import rewrites
from tinygrad_nn.compile.program import Program
from tinygrad_nn.compile.values import Sym
from tinygrad_nn.namespace import numpy_xp
from tinygrad_nn.namespace.declared import NAMES
from tinygrad_nn.namespace.shapes import reduced_axes


class SymbolicNamespace:
    """``xp`` whose functions build :class:`Sym` values."""

    def __init__(self, program: Program) -> None:
        self.p = program

    def _unary(self, function: str, x: Any, numpy_function: Callable[[Any], Any]) -> Sym:
        x = self.p.lift(x)
        return self.p.call(function, x, value=numpy_function(x.value))

    def round(self, x: Any) -> Sym:  # (np.round is no ufunc: not generated below)
        return self._unary("np.round", x, np.round)

    def einsum(self, subscripts: str, *operands: Any) -> Sym:
        parts = tuple(self.p.lift(x) for x in operands)
        value = np.einsum(subscripts, *[p.value for p in parts])
        if all(p.is_constant for p in parts):
            return self.p.constant(value)
        slots = ", ".join(f"{{{i}}}" for i in range(len(parts)))
        return self.p.make(f"{self.p.spell('np.einsum')}({subscripts!r}, {slots})", parts, value)

    def erf(self, x: Any) -> Sym:
        return self._unary("erf", x, numpy_xp.erf)

    def sigmoid(self, x: Any) -> Sym:
        return self._unary("sigmoid", x, numpy_xp.sigmoid)

    def where(self, condition: Any, a: Any, b: Any) -> Sym:
        operands, value = rewrites.weaken(
            self.p, tuple(self.p.lift(v) for v in (condition, a, b)), np.where
        )
        chosen = rewrites.known_branch(operands, value, self.p)  # decided at trace time
        if chosen is not None:
            return chosen
        mask = operands[0]
        if self.p.array_api and mask.weak:  # the standard wants an array condition
            mask = self.p.constant(np.asarray(mask.value, dtype=bool))
            operands = (mask, *operands[1:])
        if operands[1].weak and operands[2].weak:
            if operands[1].value == operands[2].value:  # where(c, 0.0, 0.0)
                return self.p.constant(value)
            if self.p.array_api:  # the standard wants an array among the two
                first = np.asarray(operands[1].value, dtype=value.dtype)
                operands = (mask, self.p.constant(first), operands[2])
        return self.p.call("np.where", *operands, value=value)

    def maximum(self, a: Any, b: Any) -> Sym:
        operands, value = rewrites.weaken(self.p, (self.p.lift(a), self.p.lift(b)), np.maximum)
        return self.p.call("np.maximum", *operands, value=value)

    def minimum(self, a: Any, b: Any) -> Sym:
        operands, value = rewrites.weaken(self.p, (self.p.lift(a), self.p.lift(b)), np.minimum)
        return self.p.call("np.minimum", *operands, value=value)

    def clip(self, x: Any, lo: Any = None, hi: Any = None) -> Sym:
        x = self.p.lift(x)
        value = np.clip(x.value, lo, hi)
        return self.p.make(
            f"{self.p.spell('np.clip')}({{0}}, {self.p.literals.literal(lo)}, "
            f"{self.p.literals.literal(hi)})",
            (x,),
            value,
        )

    def matmul(self, a: Any, b: Any) -> Sym:
        return self.p.binary("@", a, b)

    def matrix_transpose(self, x: Any) -> Sym:
        x = self.p.lift(x)
        if x.ndim == 2:
            return self.p.make("{0}.T", (x,), x.value.T)
        value = np.swapaxes(x.value, -1, -2)
        if self.p.array_api:
            return self.p.call("xp.matrix_transpose", x, value=value)
        return self.p.call("np.swapaxes", x, value=value, axis1=-1, axis2=-2)

    def _reduce(self, name: str, x: Any, axis: Any, keepdims: bool) -> Sym:
        """``x.sum(...)``, ``x.max(...)`` or ``x.min(...)``, written as the method call."""
        x = self.p.lift(x)
        value = getattr(x.value, name)(axis=axis, keepdims=keepdims)
        return self.p.method(x, name, value=value, axis=axis, keepdims=keepdims)

    def sum(self, x: Any, axis: Any = None, keepdims: bool = False) -> Sym:
        return self._reduce("sum", x, axis, keepdims)

    def max(self, x: Any, axis: Any = None, keepdims: bool = False) -> Sym:
        return self._reduce("max", x, axis, keepdims)

    def min(self, x: Any, axis: Any = None, keepdims: bool = False) -> Sym:
        return self._reduce("min", x, axis, keepdims)

    def prod(self, x: Any, axis: Any = None, keepdims: bool = False) -> Sym:
        return self._reduce("prod", x, axis, keepdims)

    def cumulative_sum(self, x: Any, axis: int = 0) -> Sym:
        x = self.p.lift(x)
        return self.p.call("np.cumsum", x, value=np.cumsum(x.value, axis=axis), axis=axis)

    def reshape(self, x: Any, shape: Sequence[int]) -> Sym:
        x = self.p.lift(x)
        value = x.value.reshape(tuple(shape))
        if rewrites.unchanged(x, value):
            return x
        return self.p.method(x, "reshape", tuple(int(n) for n in shape), value=value)

    def permute_dims(self, x: Any, axes: Sequence[int]) -> Sym:
        """Written ``x.T`` where that is what it does, else ``x.transpose(axes)``."""
        x = self.p.lift(x)
        axes = tuple(int(a) for a in axes)
        value = x.value.transpose(axes)
        if x.ndim < 2:
            return x
        if axes == tuple(reversed(range(x.ndim))) and (x.ndim == 2 or not self.p.array_api):
            return self.p.make("{0}.T", (x,), value)  # (the standard's .T: matrices only)
        return self.p.method(x, "transpose", axes, value=value)

    def broadcast_to(self, x: Any, shape: Sequence[int]) -> Sym:
        x = self.p.lift(x)
        value = np.broadcast_to(x.value, tuple(shape))
        if rewrites.unchanged(x, value):
            return x
        if x.is_constant:
            return self.p.constant(np.array(value))
        shape_text = self.p.literals.literal(tuple(shape))
        template = f"{self.p.spell('np.broadcast_to')}({{0}}, {shape_text})"
        return self.p.make(template, (x,), value)

    def astype(self, x: Any, dtype: Any) -> Sym:
        x = self.p.lift(x)
        value = x.value.astype(dtype)
        if rewrites.unchanged(x, value):
            return x
        return self.p.method(x, "astype", np.dtype(dtype), value=value)

    def concat(self, xs: Sequence[Any], axis: int = 0) -> Sym:
        parts = tuple(self.p.lift(x) for x in xs)
        value = np.concatenate([p.value for p in parts], axis=axis)
        slots = ", ".join(f"{{{i}}}" for i in range(len(parts)))
        return self.p.make(
            f"{self.p.spell('np.concatenate')}([{slots}], axis={axis})", parts, value
        )

    def stack(self, xs: Sequence[Any], axis: int = 0) -> Sym:
        parts = tuple(self.p.lift(x) for x in xs)
        value = np.stack([p.value for p in parts], axis=axis)
        slots = ", ".join(f"{{{i}}}" for i in range(len(parts)))
        return self.p.make(f"{self.p.spell('np.stack')}([{slots}], axis={axis})", parts, value)

    def flip(self, x: Any, axis: Any = None) -> Sym:
        x = self.p.lift(x)
        return self.p.call("np.flip", x, value=np.flip(x.value, axis=axis), axis=axis)

    def unbroadcast(self, g: Any, shape: tuple[int, ...]) -> Sym:
        """Sum over broadcast axes, written as ``g.sum(axis=...)`` (and a reshape if needed)."""
        g = self.p.lift(g)
        if g.shape == shape:
            return g
        axes = reduced_axes(g.shape, shape)
        lead = len(g.shape) - len(shape)
        summed = self.sum(g, axis=axes[0] if len(axes) == 1 else axes)
        return self.reshape(summed, shape) if axes != tuple(range(lead)) else summed

    def class_mask(self, t: Any, classes: int, ignore_index: int) -> Sym:
        t = self.p.lift(t)
        value = numpy_xp.class_mask(t.value, classes, ignore_index)
        return self.p.call("class_mask", t, value=value, classes=classes, ignore_index=ignore_index)

    def scatter_add(self, shape: tuple[int, ...], index: Any, g: Any) -> Sym:
        (g,), value = rewrites.weaken(
            self.p, (self.p.lift(g),), lambda g: numpy_xp.scatter_add(shape, index, g)
        )
        if g.weak and self.p.array_api:  # another library needs an array to add
            g = self.p.constant(np.asarray(g.value, dtype=value.dtype))
        index_text = f"np.s_[{self.p.literals.index_source(index)}]"
        shape_text = self.p.literals.literal(tuple(shape))
        return self.p.make(f"scatter_add({shape_text}, {index_text}, {{0}})", (g,), value)


def _unary_function(template: str, function: Callable[[Any], Any]) -> Callable[..., Sym]:
    def unary(self: SymbolicNamespace, x: Any) -> Sym:
        return self._unary(template, x, function)

    return unary


# Every declared one-input name that NumPy computes with a ufunc writes that ufunc's call
# (``np.exp(x)``, ``np.arcsin(x)``), so a new elementwise name is declared once.
SPELLINGS = {"absolute": "abs"}  # the ufunc's name as people write it
for _name in NAMES:
    _function = getattr(numpy_xp, _name)
    unary = isinstance(_function, np.ufunc) and _function.nin == 1
    if unary and _name not in vars(SymbolicNamespace):
        _spelt = SPELLINGS.get(_function.__name__, _function.__name__)
        setattr(SymbolicNamespace, _name, _unary_function(f"np.{_spelt}", _function))
