"""The Tensor interpreter for op rules: ``xp`` whose functions are recorded Tensor operations.

When backward runs with ``create_graph=True``, each op's backward rule is evaluated with
this namespace instead of :data:`tinygrad_nn.xp.numpy_xp`. Every step of the backward pass
then becomes part of the graph, so the gradients can be differentiated again: second
derivatives, Hessian-vector products, and so on — from the same rule, written once.

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.Tensor(2.0, requires_grad=True)
    >>> (dy_dx,) = tg.grad(x ** 3, [x], create_graph=True)   # 3 x**2 = 12
    >>> (d2y_dx2,) = tg.grad(dy_dx, [x])                      # 6 x = 12
    >>> float(dy_dx), float(d2y_dx2)
    (12.0, 12.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.tensor import Operand, Tensor, apply, concatenate, maximum, minimum, stack, where
from tinygrad_nn.xp import Index, reduced_axes


class TensorNamespace:
    """``xp`` for Tensors: the names of :class:`tinygrad_nn.xp.NumpyNamespace`, recorded."""

    where = staticmethod(where)
    maximum = staticmethod(maximum)
    minimum = staticmethod(minimum)
    concatenate = staticmethod(concatenate)
    stack = staticmethod(stack)

    @staticmethod
    def exp(x: Tensor) -> Tensor:
        return x.exp()

    @staticmethod
    def log(x: Tensor) -> Tensor:
        return x.log()

    @staticmethod
    def sqrt(x: Tensor) -> Tensor:
        return x.sqrt()

    @staticmethod
    def tanh(x: Tensor) -> Tensor:
        return x.tanh()

    @staticmethod
    def sigmoid(x: Tensor) -> Tensor:
        return x.sigmoid()

    @staticmethod
    def abs(x: Tensor) -> Tensor:
        return x.abs()

    @staticmethod
    def sign(x: Tensor) -> Tensor:
        """sign(x) is piecewise constant: its derivative is 0, so it is a plain constant."""
        return Tensor._wrap(np.sign(x.data))

    @staticmethod
    def clip(x: Tensor, lo: float | None, hi: float | None) -> Tensor:
        return x.clip(lo, hi)

    @staticmethod
    def sum(x: Tensor, axis: ops.Axis = None, keepdims: bool = False) -> Tensor:
        return x.sum(axis, keepdims)

    @staticmethod
    def max(x: Tensor, axis: ops.Axis = None, keepdims: bool = False) -> Tensor:
        return x.max(axis, keepdims)

    @staticmethod
    def min(x: Tensor, axis: ops.Axis = None, keepdims: bool = False) -> Tensor:
        return x.min(axis, keepdims)

    @staticmethod
    def reshape(x: Tensor, shape: Sequence[int]) -> Tensor:
        return x.reshape(tuple(shape))

    @staticmethod
    def transpose(x: Tensor, axes: Sequence[int] | None = None) -> Tensor:
        return x.transpose(*(axes or ()))

    @staticmethod
    def matrix_transpose(x: Tensor) -> Tensor:
        axes = list(range(x.ndim))
        axes[-2], axes[-1] = axes[-1], axes[-2]
        return x.transpose(axes)

    @staticmethod
    def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
        return apply(ops.BroadcastTo(tuple(shape)), x)

    @staticmethod
    def matmul(x: Tensor, y: Operand) -> Tensor:
        return x @ y

    @staticmethod
    def astype(x: Tensor, dtype: Any) -> Tensor:
        return x.astype(dtype)

    @staticmethod
    def unbroadcast(g: Tensor, shape: tuple[int, ...]) -> Tensor:
        if g.shape == shape:
            return g
        return g.sum(axis=reduced_axes(g.shape, shape)).reshape(shape)

    @staticmethod
    def scatter_add(shape: tuple[int, ...], index: Index, g: Tensor) -> Tensor:
        return apply(ops.ScatterAdd(shape, index), g)


tensor_xp = TensorNamespace()
