"""tinygrad_nn: reverse-mode automatic differentiation over NumPy, written to be read.

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> loss = (x.sigmoid() ** 2).sum()
    >>> loss.backward()
    >>> x.grad.shape
    (2,)
"""

from numpy import float32, float64

from tinygrad_nn import data, exercises, foreign, func, moved, nn, optim
from tinygrad_nn.anomaly import detect_anomaly
from tinygrad_nn.autograd import grad
from tinygrad_nn.combining import (
    concatenate,
    diag,
    dot,
    einsum,
    maximum,
    minimum,
    outer,
    stack,
    tensordot,
    trace,
    where,
)
from tinygrad_nn.compile import compile
from tinygrad_nn.creation import (
    arange,
    empty,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)
from tinygrad_nn.creation_random import (
    bernoulli,
    multinomial,
    normal,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
)
from tinygrad_nn.errors import AnomalyError, TracingError
from tinygrad_nn.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from tinygrad_nn.gradcheck import GradcheckError, gradcheck, gradgradcheck
from tinygrad_nn.ops import Op
from tinygrad_nn.seeding import Generator, initial_seed, manual_seed
from tinygrad_nn.serialization import load, save
from tinygrad_nn.tensor import Tensor, apply
from tinygrad_nn.torch_functions import histc, histogram, meshgrid, unique
from tinygrad_nn.torch_names import install_as_torch

foreign.install()  # arrays of other libraries (PyTorch, CuPy...) attach to the engine
moved.install()  # renamed modules import under their old names, warning, for one release

cat = concatenate  # PyTorch's name

__version__ = "0.1.0"

__all__ = [
    "AnomalyError",
    "Generator",
    "GradcheckError",
    "Op",
    "Tensor",
    "TracingError",
    "apply",
    "arange",
    "bernoulli",
    "cat",
    "compile",
    "concatenate",
    "data",
    "detect_anomaly",
    "diag",
    "dot",
    "einsum",
    "empty",
    "enable_grad",
    "exercises",
    "eye",
    "float32",
    "float64",
    "full",
    "full_like",
    "func",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "histc",
    "histogram",
    "initial_seed",
    "install_as_torch",
    "is_grad_enabled",
    "linspace",
    "load",
    "manual_seed",
    "maximum",
    "meshgrid",
    "minimum",
    "multinomial",
    "nn",
    "no_grad",
    "normal",
    "ones",
    "ones_like",
    "optim",
    "outer",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "save",
    "set_grad_enabled",
    "stack",
    "tensor",
    "tensordot",
    "trace",
    "unique",
    "where",
    "zeros",
    "zeros_like",
]
