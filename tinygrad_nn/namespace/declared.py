"""The declared array namespace: every function an op's rule may call on ``xp``.

An op's forward and backward are written once, against ``xp``. Several interpreters
implement this one interface, so the same rule runs several ways:

- :data:`tinygrad_nn.namespace.numpy_xp`: NumPy arrays (plain forward and backward);
- the Tensor interpreter (:mod:`tinygrad_nn.namespace.recorded`): each call records an
  op, so backward with ``create_graph=True`` builds a graph of its own (second order);
- the symbolic interpreter of :mod:`tinygrad_nn.compile`: each call writes source code.

The names and signatures are the Python array API standard's (``concat``,
``permute_dims``, ``matrix_transpose``, ``sum(x, axis=, keepdims=)``...). Three extras are
not in the standard, and say so: ``sigmoid``, ``unbroadcast`` and ``scatter_add``.
Besides these functions a rule may use the array operators ``+ - * / ** @``, unary ``-``,
the comparisons, indexing ``x[index]`` and the attributes ``shape``, ``ndim``, ``size``
and ``dtype``; Python numbers may appear as operands.

Examples:
    >>> "log1p" in NAMES and "sigmoid" in EXTRAS
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

Array = Any  # a value of the interpreter's kind: an ndarray, a Tensor, a symbolic value
Axis = int | tuple[int, ...] | None
Shape = tuple[int, ...]
Index = Any  # anything NumPy accepts inside ``a[...]``


class ArrayNamespace(Protocol):
    """What ``xp`` offers a rule. Each interpreter implements every name below."""

    # elementwise
    def exp(self, x: Array, /) -> Array: ...
    def expm1(self, x: Array, /) -> Array: ...
    def log(self, x: Array, /) -> Array: ...
    def log1p(self, x: Array, /) -> Array: ...
    def sqrt(self, x: Array, /) -> Array: ...
    def tanh(self, x: Array, /) -> Array: ...
    def abs(self, x: Array, /) -> Array: ...
    def sign(self, x: Array, /) -> Array: ...
    def maximum(self, x1: Array, x2: Array, /) -> Array: ...
    def minimum(self, x1: Array, x2: Array, /) -> Array: ...
    def where(self, condition: Array, x1: Array, x2: Array, /) -> Array: ...
    def clip(self, x: Array, /, min: float | None = None, max: float | None = None) -> Array: ...

    # reductions
    def sum(self, x: Array, /, *, axis: Axis = None, keepdims: bool = False) -> Array: ...
    def max(self, x: Array, /, *, axis: Axis = None, keepdims: bool = False) -> Array: ...
    def min(self, x: Array, /, *, axis: Axis = None, keepdims: bool = False) -> Array: ...

    # shapes
    def reshape(self, x: Array, /, shape: Shape) -> Array: ...
    def broadcast_to(self, x: Array, /, shape: Shape) -> Array: ...
    def permute_dims(self, x: Array, /, axes: Shape) -> Array: ...
    def matrix_transpose(self, x: Array, /) -> Array: ...
    def concat(self, arrays: Sequence[Array], /, *, axis: int = 0) -> Array: ...
    def stack(self, arrays: Sequence[Array], /, *, axis: int = 0) -> Array: ...
    def astype(self, x: Array, dtype: Any, /) -> Array: ...

    # linear algebra
    def matmul(self, x1: Array, x2: Array, /) -> Array: ...

    # extras, not in the array API standard
    def sigmoid(self, x: Array, /) -> Array:
        """Extra: 1 / (1 + exp(-x)), without overflow at x = -1000."""

    def unbroadcast(self, g: Array, shape: Shape, /) -> Array:
        """Extra: sum ``g`` over the axes broadcasting added or stretched, giving ``shape``."""

    def scatter_add(self, shape: Shape, index: Index, g: Array, /) -> Array:
        """Extra: zeros of ``shape`` with ``g`` added at ``index`` (repeats accumulate)."""


EXTRAS = ("sigmoid", "unbroadcast", "scatter_add")
NAMES = tuple(name for name in vars(ArrayNamespace) if not name.startswith("_") and name != "mro")
