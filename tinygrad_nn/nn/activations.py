"""Activation modules and other one-line layers, as PyTorch names them: ``LeakyReLU``,
``GELU``, ``SiLU``, ``Softplus``, ``ELU``, ``LogSoftmax``, ``Identity``, ``Flatten``.

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn import nn
    >>> nn.Flatten()(tg.zeros(2, 3, 4)).shape
    (2, 12)
"""

from __future__ import annotations

import warnings

from tinygrad_nn.nn import functional as F
from tinygrad_nn.nn.module import Module
from tinygrad_nn.tensor import Tensor


class LeakyReLU(Module):
    """x where x > 0, else ``negative_slope * x``; ``inplace=True`` changes the input
    itself, as PyTorch's.

    Examples:
        >>> import tinygrad_nn as tg
        >>> LeakyReLU(0.5)(tg.tensor([-2.0])).tolist()
        [-1.0]
        >>> LeakyReLU(0.2, inplace=True)
        LeakyReLU(negative_slope=0.2, inplace=True)
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """x Phi(x); ``approximate="tanh"`` for the tanh formula.

    Examples:
        >>> import tinygrad_nn as tg
        >>> GELU()(tg.tensor([0.0])).tolist()
        [0.0]
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x sigmoid(x).

    Examples:
        >>> import tinygrad_nn as tg
        >>> SiLU()(tg.tensor([0.0])).tolist()
        [0.0]
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.silu(x)


class Softplus(Module):
    """log(1 + exp(beta x)) / beta.

    Examples:
        >>> import tinygrad_nn as tg
        >>> round(Softplus()(tg.tensor([0.0])).item(), 4)
        0.6931
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x: Tensor) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class ELU(Module):
    """x where x > 0, else ``alpha * (exp(x) - 1)``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> ELU()(tg.tensor([1.0])).tolist()
        [1.0]
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, x: Tensor) -> Tensor:
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


def implicit_dim(name: str, ndim: int) -> int:
    """The axis PyTorch's softmax-like modules pick when built without ``dim`` (0 for 0-,
    1- and 3-D inputs, else 1), with its deprecation warning.

    Examples:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     implicit_dim("log_softmax", 2), implicit_dim("log_softmax", 3)
        (1, 0)
    """
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to "
        f"include dim=X as an argument.",
        UserWarning,
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


class LogSoftmax(Module):
    """log(softmax(x)) along ``dim``, as ``torch.nn.LogSoftmax`` (the tutorials' classifier
    head before ``nn.NLLLoss``).

    Examples:
        >>> import tinygrad_nn as tg
        >>> LogSoftmax(dim=1)(tg.zeros(1, 2)).exp().tolist()
        [[0.5, 0.5]]
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        dim = implicit_dim("log_softmax", input.ndim) if self.dim is None else self.dim
        return F.log_softmax(input, dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Identity(Module):
    """Returns its input (a placeholder layer).

    Examples:
        >>> import tinygrad_nn as tg
        >>> Identity()(tg.tensor([1.0])).tolist()
        [1.0]
    """

    def forward(self, x: Tensor) -> Tensor:
        return x


class Flatten(Module):
    """Merge axes ``start_dim`` to ``end_dim`` (by default all but the batch axis).

    Examples:
        >>> import tinygrad_nn as tg
        >>> Flatten()(tg.zeros(2, 3, 4)).shape
        (2, 12)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
