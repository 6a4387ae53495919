"""Reductions over axes: sum, mean, max, min, std, logsumexp, prod, cumsum.

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

from tinygrad_nn.errors import wrap_dim
from tinygrad_nn.namespace.declared import Array, ArrayNamespace, Axis
from tinygrad_nn.ops.base import Grads, Op, kept_shape, normalize_axes, reduced_count


class Sum(Op):
    name = "sum"
    formula = "z = sum(x, axis)"
    derivatives = ("dz/dx = 1   (g is spread back over the summed axes)",)
    saves = ("x.shape",)
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
    saves = ("x.shape",)
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
    saves = ("x", "z")
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
    saves = ("x", "z")
    param_names = ("axis", "keepdims")

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.min(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (_share_among_extremes(xp, g, x, z, self.axis),)


def _share_among_extremes(xp: ArrayNamespace, g: Array, x: Array, z: Array, axis: Axis) -> Array:
    """``g`` sent to the elements equal to the result, split evenly among ties.

    A NaN makes the result NaN and is the element that made it, so there ``g`` goes to the
    NaNs, as PyTorch's ``max()`` (its ``evenly_distribute_backward``): no element compares
    equal to a NaN result, which once gave every input 0 (and divided by a count of 0).
    """
    kept = kept_shape(x, axis)
    # the elements that did not make the result: unequal to it, and not NaN themselves
    missed = (x != xp.reshape(z, kept)) & (x == x)
    others = xp.sum(xp.astype(missed, g.dtype), axis=axis, keepdims=True)  # float32 stays
    count = reduced_count(x, axis) - others  # on the reduced array: cheaper than 1 - missed
    return xp.where(missed, 0.0, xp.reshape(g, kept) / count)


class LogSumExp(Op):
    """Computed as ``m + log(sum(exp(x - m)))`` with ``m`` the maximum: stable at +-1000."""

    name = "logsumexp"
    formula = "z = log(sum(exp(x), axis))"
    derivatives = ("dz/dx = exp(x - z) = softmax(x)",)
    saves = ("x", "z")
    param_names = ("axis", "keepdims")

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        m = xp.max(x, axis=self.axis, keepdims=True)
        total = xp.sum(xp.exp(x - m), axis=self.axis, keepdims=True)
        return xp.reshape(m + xp.log(total), _result_shape(x, self.axis, self.keepdims))

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        kept = kept_shape(x, self.axis)
        weights = xp.exp(x - xp.reshape(z, kept))
        return (xp.broadcast_to(xp.reshape(g, kept), x.shape) * weights,)


class Prod(Op):
    """The gradient of each factor is the product of the others, also where some are 0.

    (Its own derivative, the second order, is exact with at most one zero factor.)
    """

    name = "prod"
    formula = "z = prod(x, axis)"
    derivatives = ("dz/dx = product of the other factors",)
    saves = ("x", "z")
    param_names = ("axis", "keepdims")

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.prod(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        kept = kept_shape(x, self.axis)
        zero = x == 0
        # a non-zero factor's others multiply to z / x; a zero factor's to the product of
        # the non-zero ones when it is the only zero, else to 0
        others = xp.prod(xp.where(zero, 1, x), axis=self.axis, keepdims=True)
        zeros = xp.sum(xp.astype(zero, x.dtype), axis=self.axis, keepdims=True)
        divided = xp.reshape(z, kept) / xp.where(zero, 1, x)
        share = xp.where(zero, xp.where(zeros == 1, others, 0.0), divided)
        return (xp.broadcast_to(xp.reshape(g, kept), x.shape) * share,)


class Std(Op):
    """The standard deviation as one op, so that its gradient is PyTorch's: 0 where the
    deviation is 0 (one value, or all equal), where ``sqrt`` after ``var`` would give
    ``inf * 0 = NaN``. Where ``n - correction <= 0`` the value is NaN (or inf), as in PyTorch.
    """

    name = "std"
    formula = "z = sqrt(sum((x - mean(x))**2, axis) / (n - correction))"
    derivatives = ("dz/dx = (x - mean(x)) / ((n - correction) z)   (0 where z = 0)",)
    saves = ("x", "z")
    param_names = ("axis", "keepdims", "correction")

    def __init__(self, axis: Axis = None, keepdims: bool = False, correction: float = 1) -> None:
        self.axis, self.keepdims, self.correction = axis, keepdims, correction

    def _centred(self, xp: ArrayNamespace, x: Array) -> tuple[Array, float]:
        """``x - mean(x)`` along the axes, and ``n - correction``.

        The values are shifted by each slice's first one before averaging (the same
        result, in exact arithmetic): equal values then centre to exactly 0, where
        ``sum(x) / n`` may round off the value itself, and that rounding error divided by
        the (as tiny) spread would be an arbitrary gradient, not PyTorch's 0.
        """
        axes = normalize_axes(self.axis, x.ndim)
        shifted = x - x[tuple(slice(0, 1) if a in axes else slice(None) for a in range(x.ndim))]
        n = reduced_count(x, self.axis)
        mean = xp.sum(shifted, axis=self.axis, keepdims=True) / n
        return shifted - mean, max(n - self.correction, 0)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        centred, dof = self._centred(xp, x)
        return xp.sqrt(xp.sum(centred * centred, axis=self.axis, keepdims=self.keepdims) / dof)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        kept = kept_shape(x, self.axis)
        centred, dof = self._centred(xp, x)
        zk = xp.reshape(z, kept)
        flat = zk == 0  # divides by a harmless 1 there, so no inf is ever made
        scale = xp.where(flat, 0.0, xp.reshape(g, kept) / (xp.where(flat, 1.0, zk) * dof))
        return (centred * scale,)


class CumSum(Op):
    name = "cumsum"
    formula = "z = cumsum(x, axis)   (z_i = x_1 + ... + x_i)"
    derivatives = ("dL/dx = g summed from the end (a reversed cumsum)",)
    saves = ()
    param_names = ("axis",)

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        if x.ndim == 0:  # one value, its own running sum (NumPy's cumsum would make it 1-d)
            wrap_dim(self.name, self.axis, 0)
            return xp.astype(x, x.dtype)
        return xp.cumulative_sum(x, axis=self.axis)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        if g.ndim == 0:
            return (g,)
        from_the_end = xp.cumulative_sum(xp.flip(g, axis=self.axis), axis=self.axis)
        return (xp.flip(from_the_end, axis=self.axis),)


def _result_shape(x: Array, axis: Axis, keepdims: bool) -> tuple[int, ...]:
    kept = kept_shape(x, axis)
    if keepdims:
        return kept
    reduced = normalize_axes(axis, x.ndim)
    return tuple(n for i, n in enumerate(kept) if i not in reduced)
