"""``nn.functional``: activations, softmax, losses, padding, one-hot, embedding, dropout,
layer norm and attention, with PyTorch's names,
argument names and defaults (``from tinygrad_nn.nn import functional as F``).

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn.nn import functional as F
    >>> F.relu(tg.tensor([-1.0, 2.0])).tolist(), F.one_hot(tg.tensor([0, 2])).tolist()
    ([0.0, 2.0], [[1, 0, 0], [0, 0, 1]])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.dtypes import as_array
from tinygrad_nn.nn.attention import scaled_dot_product_attention
from tinygrad_nn.nn.blocks import batch_norm, dropout, embedding, in_place, layer_norm
from tinygrad_nn.nn.convolution import (
    adaptive_avg_pool2d,
    avg_pool2d,
    conv1d,
    conv2d,
    max_pool2d,
)
from tinygrad_nn.nn.layers import linear
from tinygrad_nn.nn.loss_functions import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from tinygrad_nn.nn.normalization import group_norm
from tinygrad_nn.nn.padding import pad
from tinygrad_nn.tensor import Tensor, apply

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "conv2d",
    "cross_entropy",
    "dropout",
    "elu",
    "embedding",
    "gelu",
    "group_norm",
    "hardtanh",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "logsigmoid",
    "max_pool2d",
    "mish",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "pad",
    "relu",
    "relu6",
    "scaled_dot_product_attention",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "tanh",
]


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); ``inplace=True`` changes ``input`` itself, as PyTorch's.

    Examples:
        >>> import tinygrad_nn as tg
        >>> relu(tg.tensor([-1.0, 1.0])).tolist()
        [0.0, 1.0]
    """
    return in_place(input, input.relu(), "relu_") if inplace else input.relu()


def relu6(input: Tensor) -> Tensor:
    """min(max(x, 0), 6).

    Examples:
        >>> import tinygrad_nn as tg
        >>> relu6(tg.tensor([-1.0, 9.0])).tolist()
        [0.0, 6.0]
    """
    return hardtanh(input, 0.0, 6.0)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """x limited to [min_val, max_val].

    Examples:
        >>> import tinygrad_nn as tg
        >>> hardtanh(tg.tensor([-3.0, 0.5])).tolist()
        [-1.0, 0.5]
    """
    return input.clip(min_val, max_val)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else ``negative_slope * x``; ``inplace=True`` changes ``input``
    itself, as PyTorch's.

    Examples:
        >>> import tinygrad_nn as tg
        >>> leaky_relu(tg.tensor([-2.0, 2.0]), 0.5).tolist()
        [-1.0, 2.0]
    """
    out = apply(ops.LeakyRelu(negative_slope), input)
    return in_place(input, out, "leaky_relu_") if inplace else out


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """x where x > 0, else ``alpha * (exp(x) - 1)``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> round(elu(tg.tensor([-1.0])).item(), 4)
        -0.6321
    """
    return apply(ops.Elu(alpha), input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Phi(x), Phi the normal CDF; ``approximate="tanh"`` for the tanh formula.

    Examples:
        >>> import tinygrad_nn as tg
        >>> round(gelu(tg.tensor([1.0])).item(), 6), round(gelu(tg.tensor([1.0]), "tanh").item(), 6)
        (0.841345, 0.841192)
    """
    if approximate == "none":
        return apply(ops.Gelu(), input)
    if approximate != "tanh":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    inner = (input + input**3 * 0.044715) * math.sqrt(2.0 / math.pi)
    return input * (inner.tanh() + 1) * 0.5


def silu(input: Tensor) -> Tensor:
    """x sigmoid(x) (also called swish).

    Examples:
        >>> import tinygrad_nn as tg
        >>> silu(tg.tensor([0.0])).tolist()
        [0.0]
    """
    return input * input.sigmoid()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, without overflow; x itself past ``threshold``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> softplus(tg.tensor([1000.0])).tolist()
        [1000.0]
    """
    return apply(ops.Softplus(beta, threshold), input)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), without overflow.

    Examples:
        >>> import tinygrad_nn as tg
        >>> logsigmoid(tg.tensor([-1000.0])).tolist()
        [-1000.0]
    """
    return -apply(ops.Softplus(1.0, math.inf), -input)


def mish(input: Tensor) -> Tensor:
    """x tanh(softplus(x)).

    Examples:
        >>> import tinygrad_nn as tg
        >>> round(mish(tg.tensor([1.0])).item(), 4)
        0.8651
    """
    return input * softplus(input).tanh()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)).

    Examples:
        >>> import tinygrad_nn as tg
        >>> sigmoid(tg.tensor([0.0])).tolist()
        [0.5]
    """
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """tanh(x).

    Examples:
        >>> import tinygrad_nn as tg
        >>> tanh(tg.tensor([0.0])).tolist()
        [0.0]
    """
    return input.tanh()


def softmax(input: Tensor, dim: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> softmax(tg.tensor([0.0, 0.0]), dim=0).tolist()
        [0.5, 0.5]
    """
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int = -1) -> Tensor:
    """log(softmax(x)) along ``dim``, without overflow.

    Examples:
        >>> import tinygrad_nn as tg
        >>> log_softmax(tg.tensor([0.0, 0.0]), dim=0).exp().tolist()
        [0.5, 0.5]
    """
    return input.log_softmax(dim)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Integer labels as rows of 0s with a 1 at the label (int64), as PyTorch.

    Examples:
        >>> import tinygrad_nn as tg
        >>> one_hot(tg.tensor([1]), 3).tolist()
        [[0, 1, 0]]
    """
    labels = as_array(tensor.array if isinstance(tensor, Tensor) else tensor)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers, got dtype {labels.dtype}")
    classes = int(labels.max()) + 1 if num_classes == -1 and labels.size else num_classes
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"one_hot: labels must be in [0, {classes}), got {labels.min()}..{labels.max()}"
        )
    return Tensor._wrap((labels[..., None] == np.arange(max(classes, 0))).astype(np.int64))
