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

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn import ops

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
