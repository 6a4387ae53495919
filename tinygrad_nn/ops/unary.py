"""More functions of one value: trigonometry, hyperbolic functions, other logarithms, rounding.

Rounding (``floor``, ``ceil``, ``round``, ``sign``) is piecewise constant: its gradient
is 0 wherever it exists, which is PyTorch's choice everywhere.

Examples:
    >>> import numpy as np
    >>> from tinygrad_nn.namespace import numpy_xp
    >>> Sin().backward(numpy_xp, np.ones(1), np.zeros(1), None)   # cos(0)
    (array([1.]),)
"""

from __future__ import annotations

import math

from tinygrad_nn.namespace.declared import Array, ArrayNamespace
from tinygrad_nn.ops.base import Grads, Op, quiet
from tinygrad_nn.ops.catalogue import elementwise


@elementwise
class Sin(Op):
    """Sine.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.Tensor([0.0]).sin()
        Tensor([0.])
    """

    name = "sin"
    formula = "z = sin(x)"
    derivatives = ("dz/dx = cos(x)",)
    saves = ("x",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.sin(x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (g * xp.cos(x),)


@elementwise
class Cos(Op):
    """Cosine.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.Tensor([0.0]).cos()
        Tensor([1.])
    """

    name = "cos"
    formula = "z = cos(x)"
    derivatives = ("dz/dx = -sin(x)",)
    saves = ("x",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.cos(x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (-g * xp.sin(x),)


@elementwise
class Tan(Op):
    """Tangent.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.Tensor([0.0]).tan()
        Tensor([0.])
    """

    name = "tan"
    formula = "z = tan(x)"
    derivatives = ("dz/dx = 1 + tan(x)**2 = 1 + z**2",)
    saves = ("z",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.tan(x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (g * (1 + z * z),)


@elementwise
class Asin(Op):
    """Inverse sine (``asin`` in PyTorch's spelling).

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.Tensor([0.0]).arcsin()
        Tensor([0.])
    """

    name = "asin"
    method = "arcsin"  # the Tensor method (NumPy's spelling); asin is an alias
    aliases = ("asin",)
    formula = "z = arcsin(x)"
    derivatives = ("dz/dx = 1 / sqrt(1 - x**2)",)
    saves = ("x",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.asin(x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (g / xp.sqrt(1 - x * x),)


@elementwise
class Acos(Op):
    """Inverse cosine (``acos`` in PyTorch's spelling).

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.Tensor([1.0]).arccos()
        Tensor([0.])
    """

    name = "acos"
    method = "arccos"  # the Tensor method (NumPy's spelling); acos is an alias
    aliases = ("acos",)
    formula = "z = arccos(x)"
    derivatives = ("dz/dx = -1 / sqrt(1 - x**2)",)
    saves = ("x",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.acos(x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (-g / xp.sqrt(1 - x * x),)


@elementwise
class Atan(Op):
    """Inverse tangent (``atan`` in PyTorch's spelling).

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.Tensor([0.0]).arctan()
        Tensor([0.])
    """

    name = "atan"
    method = "arctan"  # the Tensor method (NumPy's spelling); atan is an alias
    aliases = ("atan",)
    formula = "z = arctan(x)"
    derivatives = ("dz/dx = 1 / (1 + x**2)",)
    saves = ("x",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.atan(x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (g / (1 + x * x),)


@elementwise
class Sinh(Op):
    """Hyperbolic sine.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.Tensor([0.0]).sinh()
        Tensor([0.])
    """

    name = "sinh"
    formula = "z = sinh(x)"
    derivatives = ("dz/dx = cosh(x)",)
    saves = ("x",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.sinh(x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (g * xp.cosh(x),)


@elementwise
class Cosh(Op):
    """Hyperbolic cosine.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.Tensor([0.0]).cosh()
        Tensor([1.])
    """

    name = "cosh"
    formula = "z = cosh(x)"
    derivatives = ("dz/dx = sinh(x)",)
    saves = ("x",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.cosh(x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (g * xp.sinh(x),)


@elementwise
class Log2(Op):
    """Logarithm to base 2.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.Tensor([8.0]).log2()
        Tensor([3.])
    """

    name = "log2"
    formula = "z = log2(x)"
    derivatives = ("dz/dx = 1 / (x log(2))",)
    saves = ("x",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        with quiet():
            return xp.log2(x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        with quiet():
            return (g / (x * math.log(2)),)


@elementwise
class Log10(Op):
    """Logarithm to base 10.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.Tensor([100.0]).log10()
        Tensor([2.])
    """

    name = "log10"
    formula = "z = log10(x)"
    derivatives = ("dz/dx = 1 / (x log(10))",)
    saves = ("x",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        with quiet():
            return xp.log10(x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        with quiet():
            return (g / (x * math.log(10)),)


class Remainder(Op):
    """Python's and NumPy's ``%`` (``torch.remainder``): the result has the sign of ``y``."""

    name = "remainder"
    formula = "z = x - floor(x / y) * y"
    derivatives = ("dz/dx = 1", "dz/dy = -floor(x / y)")
    saves = ("x", "y")
    input_names = ("x", "y")

    def forward(self, xp: ArrayNamespace, x: Array, y: Array) -> Array:
        return x % y

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, y: Array, z: Array) -> Grads:
        return g, -g * xp.floor(x / y)


class Rounding(Op):
    """floor, ceil, round and sign: steps, whose gradient is 0 (PyTorch's choice)."""

    name = "rounding"
    formula = "z = step(x)"
    derivatives = ("dz/dx = 0",)
    saves = ()
    param_names = ("how",)

    def __init__(self, how: str) -> None:
        if how not in ("floor", "ceil", "round", "sign"):
            raise ValueError(f"rounding: unknown function {how!r}")
        self.how = how

    @property
    def definition(self) -> str:
        return f"z = {self.how}(x)"

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return getattr(xp, self.how)(x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (g * 0,)
