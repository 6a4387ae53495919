"""The NumPy interpreter for op rules: the array namespace ``xp`` on raw ``ndarray`` values.

Every op in :mod:`tinygrad_nn.ops` writes its forward and backward once, against a
namespace called ``xp``. Passing this module's :data:`numpy_xp` evaluates the rule on
plain arrays (the fast, graph-free path); :mod:`tinygrad_nn.tensor_xp` evaluates the very
same rule with differentiable Tensor operations (``create_graph=True``).

The names follow NumPy, plus two helpers that NumPy lacks as single calls:

- ``unbroadcast(g, shape)`` sums a broadcast gradient back to an input's shape;
- ``scatter_add(shape, index, g)`` is the adjoint of ``x[index]``: zeros with ``g`` added
  at ``index``, repeated indices accumulating.

Examples:
    >>> import numpy as np
    >>> numpy_xp.unbroadcast(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

Index = Any  # anything NumPy accepts inside ``a[...]``


def reduced_axes(shape: tuple[int, ...], target: tuple[int, ...]) -> tuple[int, ...]:
    """Axes of ``shape`` that broadcasting stretched from ``target``: sum these to undo it.

    Examples:
        >>> reduced_axes((4, 2, 3), (2, 1))
        (0, 2)
    """
    lead = len(shape) - len(target)
    stretched = tuple(lead + i for i, n in enumerate(target) if n == 1 and shape[lead + i] != 1)
    return tuple(range(lead)) + stretched


def has_integer_array(index: Index) -> bool:
    """True when ``index`` contains an integer array (so a position may repeat).

    Examples:
        >>> has_integer_array((slice(None), [0, 0]))
        True
    """
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, (list, np.ndarray)) and np.asarray(part).dtype != np.bool_:
            return True
    return False


class NumpyNamespace:
    """``xp`` for plain NumPy arrays: NumPy's own functions plus two small helpers."""

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    tanh = staticmethod(np.tanh)
    abs = staticmethod(np.abs)
    sign = staticmethod(np.sign)
    where = staticmethod(np.where)
    maximum = staticmethod(np.maximum)
    minimum = staticmethod(np.minimum)
    clip = staticmethod(np.clip)
    matmul = staticmethod(np.matmul)
    concatenate = staticmethod(np.concatenate)
    stack = staticmethod(np.stack)

    # Array methods where NumPy's module-level functions add dispatch overhead.

    @staticmethod
    def sum(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        return x.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def max(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        return x.max(axis=axis, keepdims=keepdims)

    @staticmethod
    def min(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        return x.min(axis=axis, keepdims=keepdims)

    @staticmethod
    def reshape(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        return x.reshape(shape)

    @staticmethod
    def transpose(x: np.ndarray, axes: tuple[int, ...] | None = None) -> np.ndarray:
        return x.transpose(axes)

    @staticmethod
    def sigmoid(x: np.ndarray) -> np.ndarray:
        """1 / (1 + exp(-x)), without overflow warnings.

        For x below about -709, exp(-x) overflows to inf; 1 / (1 + inf) = 0 is the right
        limit, but NumPy warns. Small arrays use the equal form exp(-log(1 + exp(-x))),
        whose ``logaddexp(0, -x)`` never overflows: entering ``np.errstate`` would cost
        more than the arithmetic. Large arrays silence the warning instead and compute in
        one buffer rather than four temporaries (``logaddexp`` is slow per element).
        """
        if x.size <= 128:
            return np.exp(-np.logaddexp(0.0, -x))
        out = np.array(x, dtype=x.dtype if x.dtype.kind == "f" else np.float64)
        with np.errstate(over="ignore"):
            np.negative(out, out=out)
            np.exp(out, out=out)
        out += 1
        return np.reciprocal(out, out=out)

    @staticmethod
    def matrix_transpose(x: np.ndarray) -> np.ndarray:
        """Swap the last two axes (the transpose of each matrix in a batch)."""
        return x.swapaxes(-1, -2)

    @staticmethod
    def broadcast_to(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """``x`` repeated to ``shape``, as a new writable array (not a read-only view)."""
        out = np.empty(shape, dtype=x.dtype)
        out[...] = x
        return out

    @staticmethod
    def astype(x: np.ndarray, dtype: Any) -> np.ndarray:
        return x.astype(dtype)

    @staticmethod
    def unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """Sum ``g`` over the axes that broadcasting added or stretched, giving ``shape``."""
        if g.shape == shape:
            return g
        return np.sum(g, axis=reduced_axes(g.shape, shape)).reshape(shape)

    @staticmethod
    def scatter_add(shape: tuple[int, ...], index: Index, g: np.ndarray) -> np.ndarray:
        """Zeros of ``shape`` with ``g`` added at ``index`` (repeated positions accumulate)."""
        g = np.asarray(g)
        out = np.zeros(shape, dtype=g.dtype)
        if has_integer_array(index):
            np.add.at(out, index, g)
        else:
            out[index] = g
        return out


numpy_xp = NumpyNamespace()
