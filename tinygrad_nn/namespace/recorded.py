"""The Tensor interpreter of the rules: ``xp`` whose every function records an op.

When backward runs with ``create_graph=True``, each op's backward rule is evaluated with
this namespace instead of NumPy's. Every step of the backward pass then becomes part of
a graph, so the gradients can be differentiated again: second derivatives, Hessian-vector
products, and so on — from the same rule, written once.

It is built from :func:`tinygrad_nn.apply` and the Tensor class (passed in, so this
module does not depend on them): ``xp.exp(x)`` is ``apply(Exp(), x)``. An array among
the operands (an op's constant) becomes a constant Tensor.

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.Tensor(2.0, requires_grad=True)
    >>> (dy_dx,) = tg.grad(x ** 3, [x], create_graph=True)   # 3 x**2 = 12
    >>> (d2y_dx2,) = tg.grad(dy_dx, [x])                      # 6 x = 12
    >>> float(dy_dx), float(d2y_dx2)
    (12.0, 12.0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.namespace.array_api import array_namespace, as_dtype, like
from tinygrad_nn.namespace.declared import Array, ArrayNamespace, Axis, Index, Shape
from tinygrad_nn.namespace.shapes import reduced_axes

if TYPE_CHECKING:
    from tinygrad_nn.tensor import Tensor

Apply = Callable[..., Any]  # apply(op, *inputs) -> Tensor


class RecordedNamespace:
    """``xp`` on Tensors: each function applies (and so records) the op that computes it.

    Args:
        apply: records an op on its inputs (Tensors or Python numbers).
        tensor_type: the Tensor class; its ``_wrap`` makes a constant Tensor of an array.
    """

    def __init__(self, apply: Apply, tensor_type: type[Tensor]) -> None:
        self.record, self.tensor_type = apply, tensor_type

    def apply(self, op: ops.Op, *inputs: Any) -> Any:
        """``apply``, with array operands (constants of the rule) as constant Tensors, in the
        array library of the Tensor operands."""
        arrays = [x.array for x in inputs if isinstance(x, self.tensor_type)]
        reference = next((a for a in arrays if type(a) is not np.ndarray), None)
        return self.record(op, *(self._operand(x, reference) for x in inputs))

    def _operand(self, x: Any, reference: Any) -> Any:
        if isinstance(x, (self.tensor_type, int, float)):
            return x
        return self.tensor_type._wrap(like(np.asarray(x), reference))

    def constant(self, array: np.ndarray) -> Any:
        return self.tensor_type._wrap(array)

    def array_of(self, x: Any) -> Any:
        return x.array if isinstance(x, self.tensor_type) else np.asarray(x)

    def eager(self, x: Any) -> ArrayNamespace:
        """The eager namespace of ``x``'s array (for a constant computed on the side)."""
        return array_namespace([self.array_of(x)])

    def sign(self, x: Array) -> Array:
        """sign(x) is piecewise constant: its derivative is 0, so it is a plain constant."""
        return self.constant(self.eager(x).sign(self.array_of(x)))

    def floor(self, x: Array) -> Array:
        return self.constant(self.eager(x).floor(self.array_of(x)))  # a step: no gradient

    def ceil(self, x: Array) -> Array:
        return self.constant(self.eager(x).ceil(self.array_of(x)))

    def round(self, x: Array) -> Array:
        return self.constant(self.eager(x).round(self.array_of(x)))

    def einsum(self, subscripts: str, *operands: Array) -> Array:
        return self.apply(ops.Einsum(subscripts), *operands)

    def maximum(self, x1: Array, x2: Array) -> Array:
        return self.apply(ops.Maximum(), x1, x2)

    def minimum(self, x1: Array, x2: Array) -> Array:
        return self.apply(ops.Minimum(), x1, x2)

    def where(self, condition: Array, x1: Array, x2: Array) -> Array:
        mask = self.array_of(condition)  # a constant: no gradient
        if isinstance(mask, np.ndarray):
            mask = mask.astype(bool, copy=False)
        return self.apply(ops.Where(mask), x1, x2)

    def clip(self, x: Array, min: float | None = None, max: float | None = None) -> Array:
        return self.apply(ops.Clip(min, max), x)

    def sum(self, x: Array, axis: Axis = None, keepdims: bool = False) -> Array:
        return self.apply(ops.Sum(axis, keepdims), x)

    def max(self, x: Array, axis: Axis = None, keepdims: bool = False) -> Array:
        return self.apply(ops.Max(axis, keepdims), x)

    def min(self, x: Array, axis: Axis = None, keepdims: bool = False) -> Array:
        return self.apply(ops.Min(axis, keepdims), x)

    def prod(self, x: Array, axis: Axis = None, keepdims: bool = False) -> Array:
        return self.apply(ops.Prod(axis, keepdims), x)

    def cumulative_sum(self, x: Array, axis: int = 0) -> Array:
        return self.apply(ops.CumSum(axis), x)

    def reshape(self, x: Array, shape: Shape) -> Array:
        return self.apply(ops.Reshape(tuple(shape)), x)

    def broadcast_to(self, x: Array, shape: Shape) -> Array:
        return self.apply(ops.BroadcastTo(tuple(shape)), x)

    def permute_dims(self, x: Array, axes: Shape) -> Array:
        return self.apply(ops.Transpose(axes), x)

    def matrix_transpose(self, x: Array) -> Array:
        axes = list(range(x.ndim))
        axes[-2], axes[-1] = axes[-1], axes[-2]
        return self.apply(ops.Transpose(axes), x)

    def concat(self, arrays: Sequence[Array], axis: int = 0) -> Array:
        return self.apply(ops.Concat(axis), *arrays)

    def stack(self, arrays: Sequence[Array], axis: int = 0) -> Array:
        return self.apply(ops.Stack(axis), *arrays)

    def flip(self, x: Array, axis: Axis = None) -> Array:
        axes = tuple(range(x.ndim)) if axis is None else axis
        return self.apply(ops.Flip((axes,) if isinstance(axes, int) else tuple(axes)), x)

    def astype(self, x: Array, dtype: Any) -> Array:
        return self.apply(ops.Cast(as_dtype(dtype)), x)

    def matmul(self, x1: Array, x2: Array) -> Array:
        return self.apply(ops.MatMul(), x1, x2)

    def unbroadcast(self, g: Array, shape: Shape) -> Array:
        if g.shape == shape:
            return g
        summed = self.apply(ops.Sum(reduced_axes(g.shape, shape)), g)
        return self.apply(ops.Reshape(shape), summed)

    def scatter_add(self, shape: Shape, index: Index, g: Array) -> Array:
        return self.apply(ops.ScatterAdd(shape, index), g)

    def class_mask(self, t: Array, classes: int, ignore_index: int) -> Array:
        """A constant (class indices have no gradient): computed on the indices' array."""
        data = getattr(t, "array", t)
        return array_namespace([data]).class_mask(data, classes, ignore_index)


def _function(op: type[ops.Op]) -> Callable[..., Any]:
    def function(self: RecordedNamespace, x: Array) -> Array:
        return self.apply(op(), x)

    function.__name__ = function.__qualname__ = op.name
    function.__doc__ = f"``xp.{op.name}(x)``: records {op.__name__} (generated from the op class)."
    return function


# Each catalogued op's function (``xp.exp``...) comes from its class (see Op.tensor_method).
ops.base.on_declared(lambda op: setattr(RecordedNamespace, op.name, _function(op)))
