"""The NumPy interpreter of the rules: :class:`ArrayNamespace` on plain ``ndarray`` values.

This is the fast path: ``apply`` runs every forward with it, and a plain ``backward()``
every backward rule. Most names are NumPy's own functions; the array API names NumPy
spells differently (``concat``, ``permute_dims``, ``matrix_transpose``) and the three
extras are written out below.

Examples:
    >>> import numpy as np
    >>> numpy_xp.unbroadcast(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn.namespace.declared import NAMES, Axis, Index, Shape
from tinygrad_nn.namespace.shapes import has_integer_array, reduced_axes

_erf = np.vectorize(math.erf, otypes=[np.float64])


class NumpyNamespace:
    """``xp`` for NumPy arrays."""

    # exp, log, maximum, where, matmul...: each declared name NumPy has under the same name
    # is NumPy's own function (set below the class)
    if TYPE_CHECKING:  # those functions, as the type checker sees them

        def __getattr__(self, name: str) -> Any: ...

    asin = staticmethod(np.arcsin)
    acos = staticmethod(np.arccos)
    atan = staticmethod(np.arctan)

    @staticmethod
    def astype(x: np.ndarray, dtype: Any) -> np.ndarray:
        return x.astype(dtype)

    @staticmethod
    def clip(x: np.ndarray, min: float | None = None, max: float | None = None) -> np.ndarray:
        return np.clip(x, min, max)

    @staticmethod
    def sum(x: np.ndarray, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
        return x.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def max(x: np.ndarray, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
        return x.max(axis=axis, keepdims=keepdims)

    @staticmethod
    def min(x: np.ndarray, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
        return x.min(axis=axis, keepdims=keepdims)

    @staticmethod
    def prod(x: np.ndarray, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
        return x.prod(axis=axis, keepdims=keepdims)

    @staticmethod
    def cumulative_sum(x: np.ndarray, axis: int = 0) -> np.ndarray:
        return np.cumsum(x, axis=axis)

    @staticmethod
    def reshape(x: np.ndarray, shape: Shape) -> np.ndarray:
        return x.reshape(shape)

    @staticmethod
    def broadcast_to(x: np.ndarray, shape: Shape) -> np.ndarray:
        """``x`` repeated to ``shape``, as a new writable array (not a read-only view)."""
        out = np.empty(shape, dtype=x.dtype)
        out[...] = x
        return out

    @staticmethod
    def permute_dims(x: np.ndarray, axes: Shape) -> np.ndarray:
        return x.transpose(axes)

    @staticmethod
    def matrix_transpose(x: np.ndarray) -> np.ndarray:
        """Swap the last two axes (the transpose of each matrix in a batch)."""
        return x.swapaxes(-1, -2)

    @staticmethod
    def concat(arrays: Sequence[np.ndarray], axis: int = 0) -> np.ndarray:
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def stack(arrays: Sequence[np.ndarray], axis: int = 0) -> np.ndarray:
        return np.stack(arrays, axis=axis)

    @staticmethod
    def flip(x: np.ndarray, axis: Axis = None) -> np.ndarray:
        return np.flip(x, axis=axis)

    @staticmethod
    def sigmoid(x: np.ndarray) -> np.ndarray:
        """1 / (1 + exp(-x)), computed without an overflow warning at x = -1000 (the
        result there is exactly 0).

        Two spellings of it, by size (bench/instructions.py). On large arrays, the
        seed's formula with the expected overflow silenced: per element it costs a third
        of ``exp(-logaddexp(0, -x))`` (mlp: 255M -> 171M instructions per step, -33%).
        On small ones, entering ``np.errstate`` costs more than the arithmetic
        (tutorial: 444k -> 463k instructions per step eager, +4%; compiled +10%), so
        ``logaddexp``, which cannot overflow, is used there."""
        if x.size < 1024:
            return np.exp(-np.logaddexp(0.0, -x))
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-x))

    @staticmethod
    def einsum(subscripts: str, *operands: np.ndarray) -> np.ndarray:
        return np.einsum(subscripts, *operands)

    @staticmethod
    def erf(x: np.ndarray) -> np.ndarray:
        """The error function, exact to the last digit (NumPy has none: Python's own,
        element by element)."""
        x = np.asarray(x)
        return np.asarray(_erf(x), dtype=x.dtype if x.dtype.kind == "f" else np.float64)

    @staticmethod
    def unbroadcast(g: np.ndarray, shape: Shape) -> np.ndarray:
        if g.shape == shape:
            return g
        return np.sum(g, axis=reduced_axes(g.shape, shape)).reshape(shape)

    @staticmethod
    def scatter_add(shape: Shape, index: Index, g: Any) -> np.ndarray:
        g = np.asarray(g)
        out = np.zeros(shape, dtype=g.dtype)
        if has_integer_array(index):
            np.add.at(out, index, g)  # repeated positions accumulate
        else:
            out[index] = g
        return out

    @staticmethod
    def class_mask(t: Any, classes: int, ignore_index: int) -> np.ndarray:
        t = np.asarray(t)
        return (t[..., None] == np.arange(classes)) & (t != ignore_index)[..., None]


for _name in NAMES:
    if _name not in vars(NumpyNamespace) and hasattr(np, _name):
        setattr(NumpyNamespace, _name, staticmethod(getattr(np, _name)))

numpy_xp = NumpyNamespace()
