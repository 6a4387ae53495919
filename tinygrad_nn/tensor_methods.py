"""The named operations of a Tensor: ``x.exp()``, ``x.sum()``, ``x.reshape(2, 3)``...

Each method records one op from :mod:`tinygrad_nn.ops` through ``apply``; the class here
is a mix-in that :class:`tinygrad_nn.Tensor` inherits, kept apart so that the Tensor
class itself stays short. ``_apply`` is supplied by Tensor.

Every one-input op whose class names a ``tensor_method`` (``exp``, ``sin``,
``sigmoid``...) gets its method here, generated from the op class: the one place the
Tensor's one-op functions live.

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
from tinygrad_nn.dtypes import dtype_name, is_floating
from tinygrad_nn.namespace.array_api import as_dtype
from tinygrad_nn.tensor_spellings import TensorSpellings

if TYPE_CHECKING:
    from tinygrad_nn.tensor import Tensor


Number = float  # (the class below has a method called float)
Bound = float | None


class TensorMethods(TensorSpellings):
    """Named operations; each applies one op (PyTorch's comparisons by name and the
    ``*_as`` methods come from :class:`~tinygrad_nn.tensor_spellings.TensorSpellings`)."""

    __slots__ = ()

    array: np.ndarray
    _ctx: Any
    requires_grad: bool
    _apply: Callable[..., Tensor]  # apply(op, *inputs): records the op (set by Tensor)
    _wrap: Callable[..., Tensor]  # a constant tensor around an array (set by Tensor)

    if TYPE_CHECKING:  # the methods generated from the op catalogue (below), for mypy

        def __getattr__(self, name: str) -> Callable[[], Tensor]: ...

    # ------------------------------------------------------------ elementwise functions

    def __abs__(self) -> Tensor:
        return self.abs()

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

    def softmax(
        self, axis: int | None = None, dtype: Any = None, *, dim: int | None = None
    ) -> Tensor:
        """exp(x) / sum(exp(x)) along ``axis`` (``dim``; the last when neither is given);
        safe for large inputs. As in PyTorch, an integer tensor needs ``dtype=`` (the
        values are converted to it first), and a 0-d tensor gives 1.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([0.0, 0.0]).softmax()
            Tensor([0.5, 0.5])
            >>> tg.tensor([1, 1]).softmax(dim=0, dtype=tg.float32)
            Tensor([0.5, 0.5], dtype=float32)
        """
        return self._normalised(ops.Softmax, axis, dtype, dim)

    def log_softmax(
        self, axis: int | None = None, dtype: Any = None, *, dim: int | None = None
    ) -> Tensor:
        """log(softmax(x)) along ``axis``, computed without overflow or log(0) (the same
        arguments as :meth:`softmax`; a 0-d tensor gives 0).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([0.0, 0.0]).log_softmax().exp()
            Tensor([0.5, 0.5])
        """
        return self._normalised(ops.LogSoftmax, axis, dtype, dim)

    def _normalised(self, kind: Any, axis: int | None, dtype: Any, dim: int | None) -> Tensor:
        """softmax or log_softmax (``kind``) along one axis, of floats."""
        if dim is not None and axis is not None:
            raise TypeError(f"{kind.name}(): got both axis={axis!r} and dim={dim!r}; pass one")
        chosen = -1 if dim is None and axis is None else axis if dim is None else dim
        source: Tensor = self if dtype is None else self.astype(dtype)  # type: ignore[assignment]
        if not is_floating(source.array):
            raise RuntimeError(
                f"{kind.name}(): not implemented for {dtype_name(source.array)} tensors (as in "
                f"PyTorch); pass dtype=tg.float64 (or float32), or convert first: x.double()"
            )
        return self._apply(kind(chosen), source)

    def astype(self, dtype: Any) -> Tensor:
        """The same values in another dtype; gradients flow back in the original dtype.
        An integer or bool result carries none (the cast rounds), as in PyTorch.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([1.0]).astype("float32").dtype
            dtype('float32')
            >>> tg.Tensor([1.5], requires_grad=True).astype("int64").requires_grad
            False
        """
        target = as_dtype(dtype)
        if self.requires_grad and getattr(target, "kind", "f") not in "fc":
            return self._apply(ops.Cast(target), self.detach())
        return self._apply(ops.Cast(target), self)

    # ------------------------------------------------------------ PyTorch's spellings

    def float(self) -> Tensor:
        """float32, as ``torch.Tensor.float()`` (PyTorch's default float).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1]).float().dtype
            dtype('float32')
        """
        return self.astype(np.float32)

    def double(self) -> Tensor:
        """float64.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1]).double().dtype
            dtype('float64')
        """
        return self.astype(np.float64)

    def long(self) -> Tensor:
        """int64 (no gradient flows through it, as in PyTorch).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.7]).long().tolist()
            [1]
        """
        return self._wrap(self.array.astype(np.int64))

    def clone(self) -> Tensor:
        """A copy that gradients flow through.

        Examples:
            >>> import tinygrad_nn as tg
            >>> x = tg.tensor([1.0], requires_grad=True)
            >>> x.clone().op.name
            'astype'
        """
        return self._apply(ops.Cast(self.array.dtype), self)

    def clamp(self, min: Bound = None, max: Bound = None) -> Tensor:
        """PyTorch's name for :meth:`clip`.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([-2.0, 2.0]).clamp(min=-1).tolist()
            [-1.0, 2.0]
        """
        return self.clip(min, max)

    def add(self, other: Any, alpha: Number = 1) -> Tensor:
        """``self + alpha * other``, as ``torch.add``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.0]).add(2.0, alpha=3).tolist()
            [7.0]
        """
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other: Any, alpha: Number = 1) -> Tensor:
        """``self - alpha * other``, as ``torch.sub``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.0]).sub(2.0).tolist()
            [-1.0]
        """
        return self - (other * alpha if alpha != 1 else other)

    def mul(self, other: Any) -> Tensor:
        """``self * other``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([2.0]).mul(3.0).tolist()
            [6.0]
        """
        return self * other

    def div(self, other: Any) -> Tensor:
        """``self / other``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([3.0]).div(2.0).tolist()
            [1.5]
        """
        return self / other

    def neg(self) -> Tensor:
        """``-self``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([3.0]).neg().tolist()
            [-3.0]
        """
        return -self  # type: ignore[operator]

    def pow(self, exponent: Any) -> Tensor:
        """``self ** exponent``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([3.0]).pow(2).tolist()
            [9.0]
        """
        return self**exponent

    def matmul(self, other: Any) -> Tensor:
        """``self @ other``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.0, 2.0]).matmul(tg.tensor([3.0, 4.0])).item()
            11.0
        """
        return self @ other

    def bmm(self, mat2: Any) -> Tensor:
        """Batched matrix product of two 3-D tensors, ``(b, n, m) @ (b, m, p)``, as
        ``torch.bmm`` (no broadcasting: the batch sizes must match).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.ones(2, 3, 4).bmm(tg.ones(2, 4, 5)).shape
            (2, 3, 5)
        """
        for name, t in (("batch1", self), ("batch2", mat2)):
            if getattr(t, "ndim", None) != 3:
                raise RuntimeError(f"{name} must be a 3D tensor")
        expected = [self.array.shape[0], self.array.shape[2]]
        if list(mat2.shape[:2]) != expected:
            raise RuntimeError(
                f"Expected size for first two dimensions of batch2 tensor to be: {expected} "
                f"but got: {list(mat2.shape[:2])}."
            )
        return self @ mat2

    def mm(self, mat2: Any) -> Tensor:
        """Matrix product of two 2-D tensors, as ``torch.mm`` (no broadcasting).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.ones(2, 3).mm(tg.ones(3, 4)).shape
            (2, 4)
        """
        for name, t in (("self", self), ("mat2", mat2)):
            if getattr(t, "ndim", None) != 2:
                raise RuntimeError(f"{name} must be a matrix")
        if self.array.shape[1] != mat2.shape[0]:
            (n, m), (k, p) = self.array.shape, mat2.shape
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{m} and {k}x{p})")
        return self @ mat2


def _method(op: type[ops.Op]) -> Callable[[Any], Tensor]:
    def method(self: TensorMethods) -> Tensor:
        return self._apply(op(), self)

    method.__name__ = method.__qualname__ = str(op.tensor_method)
    method.__doc__ = op.__doc__
    return method


# The one-input ops' methods (``x.exp()``, ``x.sin()``...) come from their classes: declaring
# an op with a ``tensor_method`` is declaring its method (see Op.tensor_method).
def _install(op: type[ops.Op]) -> None:
    method = _method(op)
    for name in (op.tensor_method, *op.tensor_aliases):
        setattr(TensorMethods, str(name), method)


ops.base.on_declared(_install)
