"""Activation functions that are one op each (where building them from smaller ops would
get PyTorch's gradient wrong at a kink, or overflow): sigmoid, ReLU, leaky ReLU, ELU,
GELU, softplus, and the error function GELU is made of.

Examples:
    >>> import numpy as np
    >>> from tinygrad_nn.namespace import numpy_xp
    >>> LeakyRelu(0.1).forward(numpy_xp, np.array([-1.0, 2.0]))
    array([-0.1,  2. ])
"""

from __future__ import annotations

import math

from tinygrad_nn.namespace.declared import Array, ArrayNamespace
from tinygrad_nn.ops.base import Grads, Op
from tinygrad_nn.ops.catalogue import elementwise

SQRT_2 = math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@elementwise
class Sigmoid(Op):
    """The logistic function 1 / (1 + exp(-x)); no overflow at x = -1000.

    The seed's ``sigmoid`` forward and its ``sigmoid_derivative`` backward.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.Tensor([0.0, -1000.0, 1000.0]).sigmoid()
        Tensor([0.5, 0. , 1. ])
    """

    name = "sigmoid"
    formula = "z = 1 / (1 + exp(-x))"
    derivatives = ("dz/dx = z * (1 - z)",)
    saves = ("z",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.sigmoid(x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (g * z * (1 - z),)


@elementwise
class Relu(Op):
    """max(x, 0).

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.Tensor([-1.0, 2.0]).relu()
        Tensor([0., 2.])
    """

    name = "relu"
    formula = "z = max(x, 0)"
    derivatives = ("dz/dx = [not z <= 0]   (0 at x = 0; 1 at NaN, as in PyTorch)",)
    saves = ("z",)  # the output says where x > 0: the input itself can go

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.maximum(x, 0)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        # PyTorch's threshold_backward: 0 where z <= 0, else g, so a NaN passes g on
        return (xp.where(z <= 0, 0.0, g),)


class LeakyRelu(Op):
    name = "leaky_relu"
    formula = "z = x if x > 0 else slope * x"
    derivatives = ("dz/dx = 1 if x > 0 else slope",)
    saves = ("x",)
    param_names = ("slope",)

    def __init__(self, slope: float = 0.01) -> None:
        self.slope = slope

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.where(x > 0, x, x * self.slope)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (xp.where(x > 0, g, g * self.slope),)


class Elu(Op):
    name = "elu"
    formula = "z = x if x > 0 else alpha (exp(x) - 1)"
    derivatives = ("dz/dx = z + alpha if x <= 0 else 1   (1 at NaN, as in PyTorch)",)
    saves = ("x", "z")
    param_names = ("alpha",)

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.where(x > 0, x, xp.expm1(xp.minimum(x, 0)) * self.alpha)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        # PyTorch's elu_backward tests x <= 0, so a NaN takes the slope 1
        return (xp.where(x <= 0, g * (z + self.alpha), g),)


@elementwise
class Erf(Op):
    """The error function.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.Tensor([0.0]).erf()
        Tensor([0.])
    """

    name = "erf"
    formula = "z = erf(x)"
    derivatives = ("dz/dx = 2 / sqrt(pi) exp(-x**2)",)
    saves = ("x",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.erf(x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (g * (2 * INV_SQRT_2PI * SQRT_2) * xp.exp(-(x * x)),)


class Gelu(Op):
    """The exact GELU, with the normal distribution's CDF: PyTorch's default."""

    name = "gelu"
    formula = "z = x Phi(x) = x (1 + erf(x / sqrt(2))) / 2"
    derivatives = ("dz/dx = Phi(x) + x phi(x)",)
    saves = ("x",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return x * (1 + xp.erf(x / SQRT_2)) * 0.5

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        cdf = (1 + xp.erf(x / SQRT_2)) * 0.5
        return (g * (cdf + x * xp.exp(x * x * -0.5) * INV_SQRT_2PI),)


class Softplus(Op):
    """``log(1 + exp(beta x)) / beta``, computed without overflow; past ``threshold`` (in
    units of ``beta x``) it is ``x`` itself, as in PyTorch."""

    name = "softplus"
    formula = "z = log(1 + exp(beta x)) / beta"
    derivatives = ("dz/dx = sigmoid(beta x)",)
    saves = ("x",)
    param_names = ("beta", "threshold")

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        self.beta, self.threshold = beta, threshold

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        bx = x * self.beta
        smooth = (xp.maximum(bx, 0) + xp.log1p(xp.exp(-xp.abs(bx)))) / self.beta
        return xp.where(bx > self.threshold, x, smooth)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        bx = x * self.beta
        return (xp.where(bx > self.threshold, g, g * xp.sigmoid(bx)),)
