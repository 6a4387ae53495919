"""Convolution and pooling over images (NCHW) and sequences (NCL), PyTorch's arguments.

A convolution is a matrix product: the image's windows (``ops.Unfold``, im2col) times
the kernels flattened to a matrix, ``(N, OH, OW, C*kh*kw) @ (C*kh*kw, out)``. Pooling is
a ``max`` or ``mean`` over each window. Padding is ``F.pad`` first (zeros; -inf for max
pooling). The weight layout is PyTorch's: ``(out_channels, in_channels, kh, kw)``.

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.ones(1, 1, 3, 3)
    >>> conv2d(x, tg.ones(1, 1, 2, 2)).tolist()   # each 2x2 window summed
    [[[[4.0, 4.0], [4.0, 4.0]]]]
"""

from __future__ import annotations

import math
from typing import Any

from tinygrad_nn import ops
from tinygrad_nn.nn import init as initializers
from tinygrad_nn.nn.module import Module, Parameter
from tinygrad_nn.nn.padding import pad
from tinygrad_nn.seeding import default_generator
from tinygrad_nn.tensor import Tensor, apply

Pair = int | tuple[int, int]


def _pair(what: str, name: str, value: Pair) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or any(not isinstance(v, int) or v < 0 for v in pair):
        raise ValueError(f"{what}: {name} must be an int or a pair of ints >= 0, got {value!r}")
    return pair


def windows(
    what: str,
    x: Tensor,
    kernel_size: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    fill: float = 0.0,
) -> Tensor:
    """Every window of ``x`` (N, C, H, W), padded with ``fill``: (N, OH, OW, C, kh*kw)."""
    if x.ndim != 4:
        raise ValueError(f"{what}: input must be (N, C, H, W), got shape {x.shape}")
    kernel, step = _pair(what, "kernel_size", kernel_size), _pair(what, "stride", stride)
    (ph, pw), spread = _pair(what, "padding", padding), _pair(what, "dilation", dilation)
    if min(*kernel, *step, *spread) < 1:
        raise ValueError(f"{what}: kernel_size, stride and dilation must be positive")
    if ph or pw:
        x = pad(x, (pw, pw, ph, ph), value=fill)
    op = ops.Unfold(kernel, step, spread)
    oh, ow = op.output_size(x.shape[2], x.shape[3])
    if oh < 1 or ow < 1:
        raise ValueError(
            f"{what}: a kernel of {kernel} (dilation {spread}) does not fit in the padded "
            f"input of size {x.shape[2:]}"
        )
    return apply(op, x)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Pair = 1,
    padding: Pair = 0,
    dilation: Pair = 1,
    groups: int = 1,
) -> Tensor:
    """2-d convolution (cross-correlation, as PyTorch): (N, C, H, W) -> (N, out, OH, OW).

    Examples:
        >>> import tinygrad_nn as tg
        >>> conv2d(tg.ones(2, 3, 5, 5), tg.ones(4, 3, 3, 3), padding=1).shape
        (2, 4, 5, 5)
    """
    if groups != 1:
        raise NotImplementedError(f"conv2d: only groups=1 is supported, got groups={groups}")
    out_channels, in_channels, kh, kw = weight.shape
    if input.ndim != 4 or input.shape[1] != in_channels:
        raise ValueError(
            f"conv2d: input of shape {input.shape} does not match a weight of shape "
            f"{weight.shape} (in_channels {in_channels})"
        )
    patches = windows("conv2d", input, (kh, kw), stride, padding, dilation)
    n, oh, ow = patches.shape[:3]
    rows = patches.reshape(n * oh * ow, in_channels * kh * kw)  # one row per output pixel
    out = rows @ weight.reshape(out_channels, in_channels * kh * kw).T  # one matrix product
    if bias is not None:
        out = out + bias
    return out.reshape(n, oh, ow, out_channels).permute(0, 3, 1, 2)


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    groups: int = 1,
) -> Tensor:
    """1-d convolution: (N, C, L) -> (N, out, OL), a conv2d over a height of 1.

    Examples:
        >>> import tinygrad_nn as tg
        >>> conv1d(tg.ones(1, 1, 5), tg.ones(1, 1, 3)).tolist()
        [[[3.0, 3.0, 3.0]]]
    """
    if input.ndim != 3 or weight.ndim != 3:
        raise ValueError(
            f"conv1d: input must be (N, C, L) and weight (out, C, k), got {input.shape} "
            f"and {weight.shape}"
        )
    n, c, length = input.shape
    out = conv2d(
        input.reshape(n, c, 1, length),
        weight.reshape(*weight.shape[:2], 1, weight.shape[2]),
        bias,
        (1, stride),
        (0, padding),
        (1, dilation),
        groups,
    )
    return out.reshape(out.shape[0], out.shape[1], out.shape[3])


def max_pool2d(
    input: Tensor, kernel_size: Pair, stride: Pair | None = None, padding: Pair = 0
) -> Tensor:
    """The largest value of each window (padding counts as -inf); stride = kernel_size
    by default.

    Examples:
        >>> import tinygrad_nn as tg
        >>> max_pool2d(tg.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
        [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    step = kernel_size if stride is None else stride
    _check_pool_padding("max_pool2d", kernel_size, padding)
    blocks = _tiles(input, kernel_size, step, padding)
    if blocks is not None:
        return blocks.max(axis=(3, 5))
    patches = windows("max_pool2d", input, kernel_size, step, padding, 1, -math.inf)
    return patches.max(axis=-1).permute(0, 3, 1, 2)


def avg_pool2d(
    input: Tensor, kernel_size: Pair, stride: Pair | None = None, padding: Pair = 0
) -> Tensor:
    """The mean of each window (zero padding included in the count, PyTorch's default).

    Examples:
        >>> import tinygrad_nn as tg
        >>> avg_pool2d(tg.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
        [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    step = kernel_size if stride is None else stride
    _check_pool_padding("avg_pool2d", kernel_size, padding)
    blocks = _tiles(input, kernel_size, step, padding)
    if blocks is not None:
        return blocks.mean(axis=(3, 5))
    patches = windows("avg_pool2d", input, kernel_size, step, padding, 1)
    return patches.mean(axis=-1).permute(0, 3, 1, 2)


def _check_pool_padding(what: str, kernel_size: Pair, padding: Pair) -> None:
    """PyTorch's limit, with its RuntimeError and wording: padding past half the kernel
    would make windows of padding alone (-inf for max, 0 for the mean), which no input
    value reaches. Height first, then width, as PyTorch checks them."""
    kernel, pads = _pair(what, "kernel_size", kernel_size), _pair(what, "padding", padding)
    for k, p in zip(kernel, pads):
        if p > k // 2:  # the effective kernel is k: these pools have no dilation
            raise RuntimeError(
                f"{what}: pad should be at most half of effective kernel size, but got "
                f"pad={p}, kernel_size={k} and dilation=1"
            )


def _tiles(x: Tensor, kernel_size: Pair, stride: Pair, padding: Pair) -> Tensor | None:
    """Windows that tile the image (stride = kernel, no padding) are a reshape, with no
    copy: (N, C, OH, kh, OW, kw). None for overlapping or padded windows.
    (cnn workload, bench/cnn.py: 1.16x -> 1.05x the hand-written NumPy step.)"""
    kernel, step = _pair("pool", "kernel_size", kernel_size), _pair("pool", "stride", stride)
    if kernel != step or _pair("pool", "padding", padding) != (0, 0) or x.ndim != 4:
        return None
    n, c, height, width = x.shape
    (kh, kw), (oh, ow) = kernel, (height // kernel[0], width // kernel[1])
    if oh < 1 or ow < 1:
        return None
    if (oh * kh, ow * kw) != (height, width):  # the rows and columns no window reaches
        x = x[:, :, : oh * kh, : ow * kw]
    return x.reshape(n, c, oh, kh, ow, kw)


def adaptive_avg_pool2d(input: Tensor, output_size: Pair) -> Tensor:
    """Average pooling to a given output size; the input's size must be a multiple of it
    (1x1: the mean over the whole image, global average pooling).

    Examples:
        >>> import tinygrad_nn as tg
        >>> adaptive_avg_pool2d(tg.ones(2, 3, 4, 4), 1).shape
        (2, 3, 1, 1)
    """
    oh, ow = _pair("adaptive_avg_pool2d", "output_size", output_size)
    height, width = input.shape[2], input.shape[3]
    if not oh or not ow or height % oh or width % ow:
        raise NotImplementedError(
            f"adaptive_avg_pool2d: input size {(height, width)} must be a multiple of the "
            f"output size {(oh, ow)} here"
        )
    return avg_pool2d(input, (height // oh, width // ow))


class Conv2d(Module):
    """A 2-d convolution layer; weight (out, in, kh, kw) and bias drawn from
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as PyTorch's default.

    Examples:
        >>> import tinygrad_nn as tg
        >>> Conv2d(1, 16, 3)(tg.ones(8, 1, 28, 28)).shape
        (8, 16, 26, 26)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Pair,
        stride: Pair = 1,
        padding: Pair = 0,
        dilation: Pair = 1,
        bias: bool = True,
    ) -> None:
        super().__init__()
        kh, kw = _pair("Conv2d", "kernel_size", kernel_size)
        self.stride, self.padding, self.dilation = stride, padding, dilation
        self.weight, self.bias = _parameters((out_channels, in_channels, kh, kw), bias)

    def forward(self, x: Tensor) -> Tensor:
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        out, c, kh, kw = self.weight.shape
        return f"{c}, {out}, kernel_size={(kh, kw)}, stride={self.stride}"


class Conv1d(Module):
    """A 1-d convolution layer over (N, C, L); weight (out, in, k).

    Examples:
        >>> import tinygrad_nn as tg
        >>> Conv1d(2, 4, 3, padding=1)(tg.ones(5, 2, 10)).shape
        (5, 4, 10)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.stride, self.padding, self.dilation = stride, padding, dilation
        self.weight, self.bias = _parameters((out_channels, in_channels, kernel_size), bias)

    def forward(self, x: Tensor) -> Tensor:
        return conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)


def _parameters(shape: tuple[int, ...], bias: bool) -> tuple[Parameter, Parameter | None]:
    fan_in = math.prod(shape[1:])
    uniform = initializers.uniform(-1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in))
    weight = Parameter(uniform(shape, default_generator()))
    return weight, Parameter(uniform((shape[0],), default_generator())) if bias else None


class _Pool(Module):
    pool: Any = None

    def __init__(self, kernel_size: Pair, stride: Pair | None = None, padding: Pair = 0) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x: Tensor) -> Tensor:
        return type(self).pool(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class MaxPool2d(_Pool):
    """:func:`max_pool2d` as a layer.

    Examples:
        >>> import tinygrad_nn as tg
        >>> MaxPool2d(2)(tg.ones(1, 3, 8, 8)).shape
        (1, 3, 4, 4)
    """

    pool = staticmethod(max_pool2d)


class AvgPool2d(_Pool):
    """:func:`avg_pool2d` as a layer."""

    pool = staticmethod(avg_pool2d)


class AdaptiveAvgPool2d(Module):
    """:func:`adaptive_avg_pool2d` as a layer.

    Examples:
        >>> import tinygrad_nn as tg
        >>> AdaptiveAvgPool2d(1)(tg.ones(2, 5, 3, 3)).shape
        (2, 5, 1, 1)
    """

    def __init__(self, output_size: Pair) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return adaptive_avg_pool2d(x, self.output_size)
