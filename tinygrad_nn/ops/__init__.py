"""The op catalogue, by family: each differentiable operation, forward and backward side by side.

See :mod:`tinygrad_nn.ops.base` for how an op is written; every family module holds a
handful of small classes.

Examples:
    >>> Mul.formula, Mul.derivatives
    ('z = x * y', ('dz/dx = y', 'dz/dy = x'))
"""

from tinygrad_nn.ops.activations import Elu, Erf, Gelu, LeakyRelu, Relu, Sigmoid, Softplus
from tinygrad_nn.ops.base import Op
from tinygrad_nn.ops.convolution import Unfold
from tinygrad_nn.ops.elementwise import (
    Abs,
    Add,
    Clip,
    Div,
    Exp,
    Expm1,
    Log,
    Log1p,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    Sqrt,
    Sub,
    Tanh,
    Where,
)
from tinygrad_nn.ops.linalg import Einsum, Linear, MatMul
from tinygrad_nn.ops.nn import BinaryCrossEntropy, LogSoftmax, NLLLoss, Softmax, SquaredError
from tinygrad_nn.ops.reductions import CumSum, LogSumExp, Max, Mean, Min, Prod, Std, Sum
from tinygrad_nn.ops.shape import (
    BroadcastTo,
    Cast,
    Concat,
    Flip,
    GetItem,
    Reshape,
    ScatterAdd,
    Stack,
    Tile,
    Transpose,
)
from tinygrad_nn.ops.unary import (
    Acos,
    Asin,
    Atan,
    Cos,
    Cosh,
    Log2,
    Log10,
    Remainder,
    Rounding,
    Sin,
    Sinh,
    Tan,
)

__all__ = [
    "Abs",
    "Acos",
    "Add",
    "Asin",
    "Atan",
    "BinaryCrossEntropy",
    "BroadcastTo",
    "Cast",
    "Clip",
    "Concat",
    "Cos",
    "Cosh",
    "CumSum",
    "Div",
    "Einsum",
    "Elu",
    "Erf",
    "Exp",
    "Expm1",
    "Flip",
    "Gelu",
    "GetItem",
    "LeakyRelu",
    "Linear",
    "Log",
    "Log1p",
    "Log2",
    "Log10",
    "LogSoftmax",
    "LogSumExp",
    "MatMul",
    "Max",
    "Maximum",
    "Mean",
    "Min",
    "Minimum",
    "Mul",
    "NLLLoss",
    "Neg",
    "Op",
    "Pow",
    "Prod",
    "Relu",
    "Remainder",
    "Reshape",
    "Rounding",
    "ScatterAdd",
    "Sigmoid",
    "Sin",
    "Sinh",
    "Softmax",
    "Softplus",
    "Sqrt",
    "SquaredError",
    "Stack",
    "Std",
    "Sub",
    "Sum",
    "Tan",
    "Tanh",
    "Tile",
    "Transpose",
    "Unfold",
    "Where",
]
