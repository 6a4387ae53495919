"""Reductions over axes: sum, mean, max, min.

The gradient of a reduction is ``g`` spread back over the reduced axes: reshaped to the
kept shape (size 1 where an axis was reduced), then broadcast to the input's shape.

Examples:
    >>> import numpy as np
    >>> from tinygrad_nn.namespace import numpy_xp
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> Sum(axis=0).backward(numpy_xp, np.array([1.0, 10.0]), x, None)
    (array([[ 1., 10.],
           [ 1., 10.]]),)
"""

from __future__ import annotations

from tinygrad_nn.namespace.declared import Array, ArrayNamespace, Axis
from tinygrad_nn.ops.base import Grads, Op, kept_shape, reduced_count


class Sum(Op):
    name = "sum"
    formula = "z = sum(x, axis)"
    derivatives = ("dz/dx = 1   (g is spread back over the summed axes)",)
    param_names = ("axis", "keepdims")

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.sum(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (xp.broadcast_to(xp.reshape(g, kept_shape(x, self.axis)), x.shape),)


class Mean(Op):
    name = "mean"
    formula = "z = sum(x, axis) / n"
    derivatives = ("dz/dx = 1 / n   (n = the number of elements averaged)",)
    param_names = ("axis", "keepdims")

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.sum(x, axis=self.axis, keepdims=self.keepdims) / reduced_count(x, self.axis)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        spread = xp.reshape(g, kept_shape(x, self.axis)) / reduced_count(x, self.axis)
        return (xp.broadcast_to(spread, x.shape),)


class Max(Op):
    name = "max"
    formula = "z = max(x, axis)"
    derivatives = ("dz/dx = [x == z] / (number of maxima)   (ties share the gradient)",)
    param_names = ("axis", "keepdims")

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.max(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (_share_among_extremes(xp, g, x, z, self.axis),)


class Min(Op):
    name = "min"
    formula = "z = min(x, axis)"
    derivatives = ("dz/dx = [x == z] / (number of minima)   (ties share the gradient)",)
    param_names = ("axis", "keepdims")

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.min(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (_share_among_extremes(xp, g, x, z, self.axis),)


def _share_among_extremes(xp: ArrayNamespace, g: Array, x: Array, z: Array, axis: Axis) -> Array:
    """``g`` sent to the elements equal to the result, split evenly among ties."""
    kept = kept_shape(x, axis)
    is_extreme = x == xp.reshape(z, kept)
    count = xp.astype(xp.sum(is_extreme, axis=axis, keepdims=True), g.dtype)  # float32 stays
    return xp.broadcast_to(xp.reshape(g, kept), x.shape) * is_extreme / count
