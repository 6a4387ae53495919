"""Elementwise ops: arithmetic, comparisons by mask, and the usual functions of one value.

Each rule returns gradients shaped like the output ``z``; where an input was broadcast,
the engine sums its gradient back to the input's shape, so no rule here has to.

Examples:
    >>> import numpy as np
    >>> from tinygrad_nn.namespace import numpy_xp
    >>> Mul().backward(numpy_xp, np.ones(1), np.array([2.0]), np.array([5.0]), None)
    (array([5.]), array([2.]))
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

from tinygrad_nn.namespace.declared import Array, ArrayNamespace
from tinygrad_nn.ops.base import Grads, Op, quiet

# ---------------------------------------------------------------- two inputs

NOTHING = contextlib.nullcontext()  # (for a rule whose arithmetic cannot warn)


def _nonzero_number(y: object) -> bool:
    """True for a Python number divisor other than 0: ``x / y`` cannot divide by zero."""
    return isinstance(y, (int, float)) and y != 0


def _whole_number(y: object) -> bool:
    """True for a Python number exponent 0, 1, 2...: ``x ** y`` (and ``x ** (y - 1)``
    once ``y >= 1``) cannot divide by zero or take a root of a negative number."""
    return isinstance(y, (int, float)) and y >= 0 and float(y).is_integer()


class Add(Op):
    name = "add"
    formula = "z = x + y"
    derivatives = ("dz/dx = 1", "dz/dy = 1")
    saves = ()
    input_names = ("x", "y")

    def forward(self, xp: ArrayNamespace, x: Array, y: Array) -> Array:
        return x + y

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, y: Array, z: Array) -> Grads:
        return g, g


class Sub(Op):
    name = "sub"
    formula = "z = x - y"
    derivatives = ("dz/dx = 1", "dz/dy = -1")
    saves = ()
    input_names = ("x", "y")

    def forward(self, xp: ArrayNamespace, x: Array, y: Array) -> Array:
        return x - y

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, y: Array, z: Array) -> Grads:
        need_x, need_y = self.needs_input_grad  # x - 2.0: the number gets no gradient
        return g if need_x else None, -g if need_y else None


class Mul(Op):
    name = "mul"
    formula = "z = x * y"
    derivatives = ("dz/dx = y", "dz/dy = x")
    saves = ("x", "y")
    input_names = ("x", "y")

    def forward(self, xp: ArrayNamespace, x: Array, y: Array) -> Array:
        return x * y

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, y: Array, z: Array) -> Grads:
        need_x, need_y = self.needs_input_grad  # x * 2.0: no product for the number
        return g * y if need_x else None, g * x if need_y else None


class Div(Op):
    name = "div"
    formula = "z = x / y"
    derivatives = ("dz/dx = 1 / y", "dz/dy = -x / y**2 = -z / y")
    saves = ("y", "z")
    input_names = ("x", "y")

    def forward(self, xp: ArrayNamespace, x: Array, y: Array) -> Array:
        # x / 0 is inf (or nan) without NumPy's warning, as in PyTorch; x / 2.0 cannot warn
        with NOTHING if _nonzero_number(y) else quiet():
            return x / y

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, y: Array, z: Array) -> Grads:
        need_x, need_y = self.needs_input_grad  # x / 2.0: no product for the number
        with NOTHING if _nonzero_number(y) else quiet():
            gx = g / y
        return gx if need_x else None, -gx * z if need_y else None


class Pow(Op):
    name = "pow"
    formula = "z = x ** y"
    derivatives = (
        "dz/dx = y * x**(y - 1)   (0 where y = 0)",
        "dz/dy = z * log(x)   (0 where x = 0)",
    )
    saves = ("x", "y", "z")
    input_names = ("x", "y")

    def saved_of(self, arrays: list[Any], out: Array) -> tuple[Any, ...]:
        """As declared, but z only while the exponent wants a gradient (not in ``x ** 2``).

        Examples:
            >>> import tinygrad_nn as tg
            >>> (tg.Tensor([3.0], requires_grad=True) ** 2).op.saved
            (array([3.]), 2, None)
        """
        x, y, z = super().saved_of(arrays, out)
        return (x, y, z if self.needs_input_grad[1] else None)

    def forward(self, xp: ArrayNamespace, x: Array, y: Array) -> Array:
        # 0 ** -1 is inf and (-1) ** 0.5 nan, silently as in PyTorch; x ** 2 cannot warn
        with NOTHING if _whole_number(y) else quiet():
            return x**y

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, y: Array, z: Array) -> Grads:
        # As PyTorch: d/dx x**0 = 0 and d/dy 0**y = 0 for y >= 0, also at x = 0, where the
        # formulas give 0 * inf. Those places compute with a harmless 1 instead. A number
        # base or exponent (2 ** y, x ** 2) takes the formula as written.
        need_x, need_y = self.needs_input_grad
        gx = gy = None
        # 0 ** -0.5 and log(0) are inf silently, as in PyTorch; x ** 2's 2 * x cannot warn
        with NOTHING if _whole_number(y) and not need_y else quiet():
            if need_x and isinstance(y, (int, float)):  # a number exponent: x ** 2, x ** 0.5
                gx = g * y * x ** (y - 1) if y != 0 else g * 0.0
            elif need_x:
                flat = (y == 0) & (x == 0)
                gx = xp.where(flat, 0.0, g * y * x ** (xp.where(flat, 1.0, y) - 1))
            if need_y and isinstance(x, (int, float)):
                log_x = math.log(x) if x > 0 else -math.inf if x == 0 else math.nan
                gy = g * z * log_x if x != 0 else xp.where(y >= 0, 0.0, g * z * log_x)
            elif need_y:  # only when the exponent needs it
                flat = (x == 0) & (y >= 0)
                gy = xp.where(flat, 0.0, g * z * xp.log(xp.where(flat, 1.0, x)))
        return gx, gy


class Maximum(Op):
    name = "maximum"
    formula = "z = maximum(x, y)"
    derivatives = ("dz/dx = [x > y] + [x == y] / 2", "dz/dy = [y > x] + [x == y] / 2")
    saves = ("x", "y")
    input_names = ("x", "y")

    def forward(self, xp: ArrayNamespace, x: Array, y: Array) -> Array:
        return xp.maximum(x, y)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, y: Array, z: Array) -> Grads:
        # PyTorch's rule: the smaller input gets 0; a tie splits g; NaN sends g to both.
        half, tie = g * 0.5, x == y
        gx = xp.where(x < y, 0, xp.where(tie, half, g))
        return gx, xp.where(y < x, 0, xp.where(tie, half, g))


class Minimum(Op):
    name = "minimum"
    formula = "z = minimum(x, y)"
    derivatives = ("dz/dx = [x < y] + [x == y] / 2", "dz/dy = [y < x] + [x == y] / 2")
    saves = ("x", "y")
    input_names = ("x", "y")

    def forward(self, xp: ArrayNamespace, x: Array, y: Array) -> Array:
        return xp.minimum(x, y)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, y: Array, z: Array) -> Grads:
        # PyTorch's rule: the larger input gets 0; a tie splits g; NaN sends g to both.
        half, tie = g * 0.5, x == y
        gx = xp.where(x > y, 0, xp.where(tie, half, g))
        return gx, xp.where(y > x, 0, xp.where(tie, half, g))


class Where(Op):
    """``condition`` is a constant boolean mask, fixed when the op is made."""

    name = "where"
    formula = "z = where(c, x, y)"
    derivatives = ("dz/dx = [c]", "dz/dy = [not c]")
    saves = ()
    input_names = ("x", "y")
    param_names = ("condition",)

    def __init__(self, condition: Array) -> None:
        self.condition = condition

    def forward(self, xp: ArrayNamespace, x: Array, y: Array) -> Array:
        return xp.where(self.condition, x, y)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, y: Array, z: Array) -> Grads:
        return xp.where(self.condition, g, 0), xp.where(self.condition, 0, g)


# ---------------------------------------------------------------- one input


class Neg(Op):
    name = "neg"
    formula = "z = -x"
    derivatives = ("dz/dx = -1",)
    saves = ()

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return -x

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (-g,)


class Exp(Op):
    """e to the power of each element.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.Tensor([0.0, 1.0]).exp()
        Tensor([1.        , 2.71828183])
    """

    name = "exp"
    tensor_method = "exp"  # x.exp(): see Op.tensor_method
    formula = "z = exp(x)"
    derivatives = ("dz/dx = exp(x) = z",)
    saves = ("z",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.exp(x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (g * z,)


class Expm1(Op):
    """exp(x) - 1, exact for small x.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.Tensor([0.0]).expm1()
        Tensor([0.])
    """

    name = "expm1"
    tensor_method = "expm1"  # x.expm1(): see Op.tensor_method
    formula = "z = exp(x) - 1"
    derivatives = ("dz/dx = exp(x) = z + 1",)
    saves = ("z",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.expm1(x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (g * (z + 1),)


class Log(Op):
    """Natural logarithm.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.Tensor([1.0]).log()
        Tensor([0.])
    """

    name = "log"
    tensor_method = "log"  # x.log(): see Op.tensor_method
    formula = "z = log(x)"
    derivatives = ("dz/dx = 1 / x",)
    saves = ("x",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        with quiet():
            return xp.log(x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        with quiet():
            return (g / x,)


class Log1p(Op):
    """log(1 + x), exact for small x.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.Tensor([0.0]).log1p()
        Tensor([0.])
    """

    name = "log1p"
    tensor_method = "log1p"  # x.log1p(): see Op.tensor_method
    formula = "z = log(1 + x)"
    derivatives = ("dz/dx = 1 / (1 + x)",)
    saves = ("x",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        with quiet():
            return xp.log1p(x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        with quiet():
            return (g / (1 + x),)


class Sqrt(Op):
    """Square root.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.Tensor([4.0]).sqrt()
        Tensor([2.])
    """

    name = "sqrt"
    tensor_method = "sqrt"  # x.sqrt(): see Op.tensor_method
    formula = "z = sqrt(x)"
    derivatives = ("dz/dx = 1 / (2 sqrt(x)) = 1 / (2 z)",)
    saves = ("z",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        with quiet():
            return xp.sqrt(x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        with quiet():
            return (g / (2 * z),)


class Abs(Op):
    """Absolute value.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.Tensor([-2.0, 3.0]).abs()
        Tensor([2., 3.])
    """

    name = "abs"
    tensor_method = "abs"  # x.abs(): see Op.tensor_method
    formula = "z = |x|"
    derivatives = ("dz/dx = sign(x)   (0 at x = 0 and at NaN, as in PyTorch)",)
    saves = ("x",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.abs(x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        # PyTorch's sgn(NaN) is 0 where NumPy's sign(NaN) is NaN: the sign of 0 there
        # (1.7x the cost of g * sign(x) on 10^6 values; two wheres on g cost 9x)
        return (g * xp.sign(xp.where(x == x, x, 0.0)),)


class Tanh(Op):
    """Hyperbolic tangent.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.Tensor([0.0]).tanh()
        Tensor([0.])
    """

    name = "tanh"
    tensor_method = "tanh"  # x.tanh(): see Op.tensor_method
    formula = "z = tanh(x)"
    derivatives = ("dz/dx = 1 - tanh(x)**2 = 1 - z**2",)
    saves = ("z",)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.tanh(x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (g * (1 - z * z),)


class Clip(Op):
    name = "clip"
    formula = "z = clip(x, lo, hi)"
    derivatives = ("dz/dx = [lo <= x <= hi]",)
    saves = ("x",)
    param_names = ("lo", "hi")

    def __init__(self, lo: float | None, hi: float | None) -> None:
        self.lo, self.hi = lo, hi

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.clip(x, self.lo, self.hi)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        if self.lo is not None:
            g = xp.where(x >= self.lo, g, 0.0)
        if self.hi is not None:
            g = xp.where(x <= self.hi, g, 0.0)
        return (g,)
