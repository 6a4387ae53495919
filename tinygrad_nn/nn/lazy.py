"""Lazy convolutions, as PyTorch's ``nn.LazyConv1d`` and ``nn.LazyConv2d``: the number of
input channels is read from the first input, and the layer then *becomes* a
:class:`~tinygrad_nn.nn.Conv1d` / :class:`~tinygrad_nn.nn.Conv2d` (its class changes, as
PyTorch's ``cls_to_become``).

As :class:`~tinygrad_nn.nn.LazyLinear`: before the first call the weight and bias are
ordinary parameters with no elements (shape ``(0,)``), and the first call fills those same
objects in place, drawn as the eager layer draws them, so an optimizer built before the
first call trains the layer. To load a state dict, call the layer once first.

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn import nn
    >>> conv = nn.LazyConv2d(4, 3, padding=1)
    >>> conv(tg.ones(2, 3, 5, 5)).shape, conv.weight.shape, type(conv).__name__
    ((2, 4, 5, 5), (4, 3, 3, 3), 'Conv2d')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nn.dtypes import DTypeLike
from tinygrad_nn.nn.convolution import Conv1d, Conv2d, Pair, _pair
from tinygrad_nn.nn.module import Module, Parameter
from tinygrad_nn.tensor import Tensor


class _LazyConv(Module):
    """What LazyConv1d and LazyConv2d share: the checks, the empty parameters, the
    first call."""

    becomes: Any  # the eager class: Conv1d or Conv2d
    spatial: int  # 1 (N, C, L) or 2 (N, C, H, W)

    def __init__(
        self,
        out_channels: int,
        kernel_size: Any,
        stride: Any,
        padding: Any,
        dilation: Any,
        groups: int,
        bias: bool,
        padding_mode: str,
        device: Any,
        dtype: DTypeLike,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if isinstance(out_channels, bool) or not isinstance(out_channels, int) or out_channels < 1:
            raise ValueError(f"{name}: out_channels must be a positive int, got {out_channels!r}")
        if groups != 1:
            raise NotImplementedError(f"{name}: groups={groups} is not supported by tinygrad_nn")
        if padding_mode != "zeros":
            raise NotImplementedError(
                f"{name}: padding_mode={padding_mode!r} is not supported by tinygrad_nn "
                "(only 'zeros')"
            )
        if self.spatial == 2:
            kernel_size = _pair(name, "kernel_size", kernel_size)
        self.in_channels, self.out_channels, self.kernel_size = 0, out_channels, kernel_size
        self.stride, self.padding, self.dilation = stride, padding, dilation
        dtype = np.dtype(dtype or np.float64)
        self.weight = Parameter(np.empty(0, dtype=dtype))
        self.bias = Parameter(np.empty(0, dtype=dtype)) if bias else None
        if device is not None:
            self.to(device)

    def materialize(self, in_channels: int) -> None:
        """Draw the parameters for ``in_channels`` input channels, in place; the layer
        becomes the eager convolution."""
        drawn: Any = self.becomes(
            in_channels, self.out_channels, self.kernel_size, self.stride, self.padding,
            self.dilation, self.bias is not None,
        )  # fmt: skip
        dtype = self.weight.dtype
        self.weight.array = drawn.weight.array.astype(dtype)  # the same Parameter objects
        if self.bias is not None:
            self.bias.array = drawn.bias.array.astype(dtype)
        self.in_channels = in_channels
        self.__class__ = self.becomes  # PyTorch's cls_to_become

    def forward(self, input: Tensor) -> Tensor:
        channels_axis = -1 - self.spatial  # (N, C, ...) or unbatched (C, ...)
        if input.ndim not in (self.spatial + 1, self.spatial + 2) or input.shape[channels_axis] < 1:
            raise ValueError(
                f"{type(self).__name__}: cannot infer in_channels from an input of shape "
                f"{input.shape} (expected (N, C, ...) with {self.spatial} spatial axes)"
            )
        self.materialize(input.shape[channels_axis])
        return self.forward(input)

    def extra_repr(self) -> str:
        return f"0, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"


class LazyConv2d(_LazyConv):
    """A :class:`~tinygrad_nn.nn.Conv2d` whose ``in_channels`` is read from its first
    input (N, C, H, W) or (C, H, W), as ``torch.nn.LazyConv2d``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> conv = LazyConv2d(8, 3)
        >>> [p.shape for p in conv.parameters()]
        [(0,), (0,)]
        >>> conv(tg.ones(1, 2, 6, 6)).shape, conv.weight.shape
        ((1, 8, 4, 4), (8, 2, 3, 3))
    """

    becomes = Conv2d
    spatial = 2

    def __init__(
        self,
        out_channels: int,
        kernel_size: Pair,
        stride: Pair = 1,
        padding: Pair = 0,
        dilation: Pair = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype)  # fmt: skip


class LazyConv1d(_LazyConv):
    """A :class:`~tinygrad_nn.nn.Conv1d` whose ``in_channels`` is read from its first
    input (N, C, L) or (C, L), as ``torch.nn.LazyConv1d``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> conv = LazyConv1d(4, 3, padding=1)
        >>> conv(tg.ones(2, 5, 7)).shape, conv.weight.shape
        ((2, 4, 7), (4, 5, 3))
    """

    becomes = Conv1d
    spatial = 1

    def __init__(
        self,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype)  # fmt: skip


__all__ = ["LazyConv1d", "LazyConv2d"]
