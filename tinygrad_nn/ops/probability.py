"""Ops of neural networks that are one rule each: softmax, log-softmax and two losses.

Each could be built from smaller ops; as one op, its backward is one short formula
(and its forward can be made safe for large inputs).

Examples:
    >>> import numpy as np
    >>> from tinygrad_nn.namespace import numpy_xp
    >>> Softmax(-1).forward(numpy_xp, np.array([1000.0, 1000.0]))
    array([0.5, 0.5])
"""

from __future__ import annotations

import math

from tinygrad_nn.errors import wrap_dim
from tinygrad_nn.namespace.declared import Array, ArrayNamespace
from tinygrad_nn.ops.base import Grads, Op

LOG_FLOOR = -100.0  # PyTorch's BCELoss clamps each log at -100
SMALLEST_KEPT = math.exp(LOG_FLOOR)  # log(max(p, SMALLEST_KEPT)) = max(log(p), -100)
ONE_OR_ZERO = {"softmax": 1.0, "log_softmax": 0.0}  # of a 0-d tensor (as PyTorch)


class _AlongAxis(Op):
    """Softmax and log-softmax: a normalisation along ``axis``, with the same edge cases."""

    saves = ("z",)
    param_names = ("axis",)

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def _nothing_to_normalise(self, xp: ArrayNamespace, x: Array) -> Array | None:
        """The result of a 0-d input or an empty axis; None for any other input."""
        if x.ndim == 0:  # one value along its only "axis": softmax 1, log_softmax 0
            wrap_dim(self.name, self.axis, 0)
            return xp.astype(x, x.dtype) * 0.0 + ONE_OR_ZERO[self.name]
        if x.shape[wrap_dim(self.name, self.axis, x.ndim)] == 0:
            return xp.astype(x, x.dtype)
        return None


class Softmax(_AlongAxis):
    """The forward subtracts the maximum first, so inputs of +-1000 do not overflow."""

    name = "softmax"
    formula = "z = exp(x) / sum(exp(x))   (along axis)"
    derivatives = ("dL/dx = z * (g - sum(g * z))   (sum along axis)",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        edge = self._nothing_to_normalise(xp, x)
        if edge is not None:
            return edge
        e = xp.exp(x - xp.max(x, axis=self.axis, keepdims=True))
        return e / xp.sum(e, axis=self.axis, keepdims=True)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        if g.ndim == 0:  # a constant 1: no slope
            return (g * 0.0,)
        return (z * (g - xp.sum(g * z, axis=self.axis, keepdims=True)),)


class LogSoftmax(_AlongAxis):
    """Computed as ``x - m - log(sum(exp(x - m)))`` with ``m`` the maximum: no overflow."""

    name = "log_softmax"
    formula = "z = x - log(sum(exp(x)))   (along axis)"
    derivatives = ("dL/dx = g - exp(z) * sum(g)   (sum along axis)",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        edge = self._nothing_to_normalise(xp, x)
        if edge is not None:
            return edge
        shifted = x - xp.max(x, axis=self.axis, keepdims=True)
        return shifted - xp.log(xp.sum(xp.exp(shifted), axis=self.axis, keepdims=True))

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        if g.ndim == 0:  # a constant 0: no slope
            return (g * 0.0,)
        return (g - xp.exp(z) * xp.sum(g, axis=self.axis, keepdims=True),)


class SquaredError(Op):
    """The seed's loss. ``2 (x - y)`` is the seed's ``2 * (y - output)`` with the sign of
    the gradient (the seed adds its steps, i.e. it moves against this gradient)."""

    name = "sse"
    formula = "z = sum((x - y)**2)"
    derivatives = ("dz/dx = 2 (x - y)", "dz/dy = -2 (x - y)")
    saves = ("x", "y")
    input_names = ("x", "y")

    def forward(self, xp: ArrayNamespace, x: Array, y: Array) -> Array:
        d = x - y
        return xp.sum(d * d)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, y: Array, z: Array) -> Grads:
        gx = 2 * g * (x - y)
        return gx, -gx


class BinaryCrossEntropy(Op):
    """Elementwise, as PyTorch's ``BCELoss`` before its reduction: each log is clamped at
    -100, so p = 0 or 1 gives a finite loss, and ``p (1 - p)`` is kept at least 1e-12 in
    the gradient."""

    name = "bce"
    formula = "z = -(t log p + (1-t) log(1-p))"
    derivatives = ("dz/dp = (p - t) / (p (1-p))", "dz/dt = log((1-p) / p)")
    saves = ("p", "t")
    input_names = ("p", "t")

    def _logs(self, xp: ArrayNamespace, p: Array) -> tuple[Array, Array]:
        """log(p) and log(1 - p), each at least -100 (and never log(0))."""
        return xp.log(xp.maximum(p, SMALLEST_KEPT)), xp.log(xp.maximum(1 - p, SMALLEST_KEPT))

    def forward(self, xp: ArrayNamespace, p: Array, t: Array) -> Array:
        log_p, log_q = self._logs(xp, p)
        return -(t * log_p + (1 - t) * log_q)

    def backward(self, xp: ArrayNamespace, g: Array, p: Array, t: Array, z: Array) -> Grads:
        gp = g * (p - t) / xp.maximum(p * (1 - p), 1e-12)
        gt = None
        if self.needs_input_grad[1]:
            log_p, log_q = self._logs(xp, p)
            gt = g * (log_q - log_p)
        return gp, gt


class NLLLoss(Op):
    """PyTorch's ``nll_loss``: the negative log-probability of each row's class ``t``,
    weighted by ``w[t]``; rows whose class is ``ignore_index`` count for nothing. The
    class indices are an input (not a constant of the op), so compiled code reads them as
    an argument: a new minibatch of labels runs the same code. They get no gradient, and
    nor do the weights.

    Examples:
        >>> import numpy as np
        >>> from tinygrad_nn.namespace import numpy_xp
        >>> x, t, w = np.log([[0.5, 0.5], [0.25, 0.75]]), np.array([1, 0]), np.ones(2)
        >>> float(NLLLoss(-100, "mean").forward(numpy_xp, x, t, w))   # (log 2 + log 4) / 2
        1.0397207708399179
    """

    name = "nll_loss"
    formula = "z = -sum_i w[t_i] x[i, t_i] / sum_i w[t_i]"
    derivatives = (
        "dL/dx = -g w[t_i] / sum_i w[t_i] at [i, t_i], 0 elsewhere",
        "dL/dt = none (class indices)",
        "dL/dw = none (class weights are constants)",
    )
    saves = ("x.shape", "t", "w")
    input_names = ("x", "t", "w")
    param_names = ("ignore_index", "reduction")

    def __init__(self, ignore_index: int, reduction: str) -> None:
        self.ignore_index, self.reduction = ignore_index, reduction

    def _picked(self, xp: ArrayNamespace, x: Array, t: Array, w: Array) -> tuple[Array, Array]:
        """Each row's class mask, and its weight (0 for an ignored row)."""
        mask = xp.class_mask(t, classes=x.shape[-1], ignore_index=self.ignore_index)
        return mask, xp.sum(xp.where(mask, w, 0.0), axis=-1)

    def forward(self, xp: ArrayNamespace, x: Array, t: Array, w: Array) -> Array:
        mask, weights = self._picked(xp, x, t, w)
        losses = -(xp.sum(xp.where(mask, x, 0.0), axis=-1) * weights)
        if self.reduction == "none":
            return losses
        total = xp.sum(losses)
        return total / xp.sum(weights) if self.reduction == "mean" else total

    def backward(
        self, xp: ArrayNamespace, g: Array, x: Array, t: Array, w: Array, z: Array
    ) -> Grads:
        mask, weights = self._picked(xp, x, t, w)
        if self.reduction == "mean":
            g = g / xp.sum(weights)
        scale = -(g * weights)
        return xp.where(mask, xp.reshape(scale, (*scale.shape, 1)), 0.0), None, None
