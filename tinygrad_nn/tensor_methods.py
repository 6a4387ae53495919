"""The named operations of a Tensor: ``x.exp()``, ``x.sum()``, ``x.reshape(2, 3)``...

Each method records one op from :mod:`tinygrad_nn.ops` through ``apply``; the class here
is a mix-in that :class:`tinygrad_nn.Tensor` inherits, kept apart so that the Tensor
class itself stays short. ``_apply`` is supplied by Tensor.

Examples:
    >>> import tinygrad_nn as tg
    >>> tg.Tensor([[1.0, 2.0]]).sum(axis=1)
    Tensor([3.])
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.namespace.declared import Axis

if TYPE_CHECKING:
    from tinygrad_nn.tensor import Tensor


class TensorMethods:
    """Named operations; each applies one op."""

    __slots__ = ()

    data: np.ndarray
    _apply: Callable[..., Tensor]  # apply(op, *inputs): records the op (set by Tensor)

    # ------------------------------------------------------------ elementwise functions

    def exp(self) -> Tensor:
        """e to the power of each element.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([0.0, 1.0]).exp()
            Tensor([1.        , 2.71828183])
        """
        return self._apply(ops.Exp(), self)

    def expm1(self) -> Tensor:
        """exp(x) - 1, exact for small x.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([0.0]).expm1()
            Tensor([0.])
        """
        return self._apply(ops.Expm1(), self)

    def log(self) -> Tensor:
        """Natural logarithm.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([1.0]).log()
            Tensor([0.])
        """
        return self._apply(ops.Log(), self)

    def log1p(self) -> Tensor:
        """log(1 + x), exact for small x.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([0.0]).log1p()
            Tensor([0.])
        """
        return self._apply(ops.Log1p(), self)

    def sqrt(self) -> Tensor:
        """Square root.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([4.0]).sqrt()
            Tensor([2.])
        """
        return self._apply(ops.Sqrt(), self)

    def abs(self) -> Tensor:
        """Absolute value.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([-2.0, 3.0]).abs()
            Tensor([2., 3.])
        """
        return self._apply(ops.Abs(), self)

    def __abs__(self) -> Tensor:
        return self.abs()

    def tanh(self) -> Tensor:
        """Hyperbolic tangent.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([0.0]).tanh()
            Tensor([0.])
        """
        return self._apply(ops.Tanh(), self)

    def sigmoid(self) -> Tensor:
        """The logistic function 1 / (1 + exp(-x)); no overflow at x = -1000.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([0.0, -1000.0, 1000.0]).sigmoid()
            Tensor([0.5, 0. , 1. ])
        """
        return self._apply(ops.Sigmoid(), self)

    def relu(self) -> Tensor:
        """max(x, 0).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([-1.0, 2.0]).relu()
            Tensor([0., 2.])
        """
        return self._apply(ops.Relu(), self)

    def clip(self, lo: float | None = None, hi: float | None = None) -> Tensor:
        """Limit values to [lo, hi] (either may be None).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([-2.0, 0.5, 2.0]).clip(-1, 1)
            Tensor([-1. ,  0.5,  1. ])
        """
        if lo is None and hi is None:
            raise ValueError("clip: at least one of lo and hi must be given")
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"clip: lo={lo} is greater than hi={hi}")
        return self._apply(ops.Clip(lo, hi), self)

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(x) / sum(exp(x)) along ``axis``; safe for large inputs.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([0.0, 0.0]).softmax()
            Tensor([0.5, 0.5])
        """
        return self._apply(ops.Softmax(axis), self)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """log(softmax(x)) along ``axis``, computed without overflow or log(0).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([0.0, 0.0]).log_softmax().exp()
            Tensor([0.5, 0.5])
        """
        return self._apply(ops.LogSoftmax(axis), self)

    def astype(self, dtype: Any) -> Tensor:
        """The same values in another dtype; gradients flow back in the original dtype.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([1.0]).astype("float32").dtype
            dtype('float32')
        """
        return self._apply(ops.Cast(np.dtype(dtype)), self)

    # ------------------------------------------------------------ reductions

    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes when None).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).sum(axis=0)
            Tensor([4., 6.])
        """
        return self._apply(ops.Sum(axis, keepdims), self)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Average over ``axis`` (all axes when None).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([1.0, 2.0, 6.0]).mean()
            Tensor(3.)
        """
        return self._apply(ops.Mean(axis, keepdims), self)

    def max(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Largest value over ``axis``; tied maxima share the gradient equally.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([1.0, 5.0, 2.0]).max()
            Tensor(5.)
        """
        return self._apply(ops.Max(axis, keepdims), self)

    def min(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Smallest value over ``axis``; tied minima share the gradient equally.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([1.0, 5.0, 2.0]).min()
            Tensor(1.)
        """
        return self._apply(ops.Min(axis, keepdims), self)

    # ------------------------------------------------------------ shape

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """The same values in a new shape: ``reshape(2, 3)`` or ``reshape((2, 3))``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([1.0, 2.0, 3.0, 4.0]).reshape(2, 2)
            Tensor([[1., 2.],
                    [3., 4.]])
        """
        return self._apply(ops.Reshape(shape_argument("reshape", shape)), self)

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        """Permute the axes (reverse them when none are given).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([[1.0, 2.0]]).transpose().shape
            (2, 1)
        """
        order = shape_argument("transpose", axes) if axes else None
        return self._apply(ops.Transpose(order), self)

    @property
    def T(self) -> Tensor:
        """The transpose: axes reversed, as ``numpy.ndarray.T``."""
        return self.transpose()

    def __getitem__(self, index: Any) -> Tensor:
        """Basic slicing and integer-array indexing, as in NumPy.

        In the gradient, positions picked more than once receive the sum of their
        gradients.

        Examples:
            >>> import tinygrad_nn as tg
            >>> x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
            >>> x[[0, 0, 2]].sum().backward()
            >>> x.grad
            Tensor([2., 0., 1.])
        """
        return self._apply(ops.GetItem(plain_index(index)), self)

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):  # type: ignore[arg-type]
            yield self[i]


def shape_argument(what: str, args: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept both ``f(2, 3)`` and ``f((2, 3))``; only integers, as NumPy and PyTorch.

    Examples:
        >>> shape_argument("reshape", ((2, 3),))
        (2, 3)
    """
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    try:
        return tuple(operator.index(a) for a in args)
    except TypeError:
        kinds = ", ".join(type(a).__name__ for a in args)
        raise TypeError(f"{what}: sizes and axes must be integers, got {args} ({kinds})") from None


def plain_index(index: Any) -> Any:
    """An index as NumPy reads it, with Tensors and lists replaced by arrays.

    A tuple or list *inside* a tuple index is an integer array (``x[:, (0, 0, 2)]``), as in
    NumPy and PyTorch; its repeats then accumulate in the gradient.

    Examples:
        >>> plain_index((slice(None), (0, 0, 2)))
        (slice(None, None, None), array([0, 0, 2]))
    """
    if isinstance(index, tuple):
        return tuple(_index_part(part) for part in index)
    return _index_part(index)


def _index_part(part: Any) -> Any:
    if isinstance(part, (list, tuple)):  # an empty one picks nothing: integers, not floats
        return np.asarray(part) if len(part) else np.asarray(part, dtype=np.intp)
    return part.data if isinstance(part, TensorMethods) else part
