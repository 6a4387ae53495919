"""Group normalisation, as PyTorch's ``nn.GroupNorm`` and ``F.group_norm``: the channels
(axis 1) split into ``num_groups`` groups, each sample's group normalised by its own mean
and (biased) variance, then a per-channel ``weight`` and ``bias``. A composition of the
engine's ops (reshape, mean, variance, division), so its gradient is their chain rule.

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn import nn
    >>> nn.GroupNorm(2, 4)
    GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)
    >>> nn.GroupNorm(2, 4)(tg.arange(8.0).reshape(1, 4, 2)).shape
    (1, 4, 2)
"""

from __future__ import annotations

import numpy as np

from tinygrad_nn.nn.module import Module, Parameter
from tinygrad_nn.tensor import Tensor


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each sample's ``num_groups`` groups of channels by their mean and biased
    variance, then scale and shift per channel, as PyTorch's ``F.group_norm``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> y = group_norm(tg.tensor([[1.0, 3.0, 5.0, 9.0]]), 2)
        >>> [round(v, 4) for v in y.tolist()[0]]
        [-1.0, 1.0, -1.0, 1.0]
    """
    shape = tuple(input.shape)
    if len(shape) < 2:
        raise RuntimeError(
            f"group_norm: expected an input with at least 2 dimensions, got shape {list(shape)}"
        )
    channels = shape[1]
    if num_groups <= 0 or channels % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got "
            f"input of shape {list(shape)} and num_groups={num_groups}"
        )
    grouped = input.reshape(shape[0], num_groups, -1)
    mean = grouped.mean(2, keepdims=True)
    centred = grouped - mean
    variance = (centred * centred).mean(2, keepdims=True)
    out = (centred / (variance + eps).sqrt()).reshape(shape)
    per_channel = (1, channels) + (1,) * (len(shape) - 2)
    if weight is not None:
        out = out * weight.reshape(per_channel)
    if bias is not None:
        out = out + bias.reshape(per_channel)
    return out


class GroupNorm(Module):
    """:func:`group_norm` with a learned per-channel ``weight`` (ones) and ``bias``
    (zeros) when ``affine`` (and ``bias``), as PyTorch's
    ``nn.GroupNorm(num_groups, num_channels)``.

    Examples:
        >>> GroupNorm(1, 3).weight.tolist()
        [1.0, 1.0, 1.0]
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_channels % num_groups:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups, self.num_channels, self.eps, self.affine = (
            num_groups,
            num_channels,
            eps,
            affine,
        )
        self.weight = Parameter(np.ones(num_channels)) if affine else None
        self.bias = Parameter(np.zeros(num_channels)) if affine and bias else None
        self._bias = affine and bias

    def forward(self, input: Tensor) -> Tensor:
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self._bias}"
        )
