"""Padding: ``F.pad`` with PyTorch's order of widths (last axis first), constant values.

Examples:
    >>> import tinygrad_nn as tg
    >>> pad(tg.tensor([1.0]), (1, 1)).tolist()
    [0.0, 1.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.dtypes import dtype_name
from tinygrad_nn.namespace.array_api import like
from tinygrad_nn.tensor import Tensor, apply


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> Tensor:
    """Pad with ``value``, PyTorch's order: ``(left, right)`` of the last axis first, then
    ``(top, bottom)`` of the one before, and so on.

    Examples:
        >>> import tinygrad_nn as tg
        >>> pad(tg.tensor([[1.0]]), (1, 0, 0, 1)).tolist()
        [[0.0, 1.0], [0.0, 0.0]]
    """
    if mode != "constant":
        raise NotImplementedError(f"pad: only mode='constant' is supported, got {mode!r}")
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: {tuple(pad)} needs pairs, at most one per axis of {input.shape}")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        before, after = int(pad[2 * i]), int(pad[2 * i + 1])
        if before < 0 or after < 0:
            raise ValueError(f"pad: negative padding {tuple(pad)} (cropping) is not supported")
        widths[input.ndim - 1 - i] = (before, after)
    shape = tuple(n + a + b for n, (a, b) in zip(input.shape, widths))
    inside = tuple(slice(a, a + n) for n, (a, _) in zip(input.shape, widths))
    placed = apply(ops.ScatterAdd(shape, inside), input)
    if value == 0:
        return placed
    outside = np.full(shape, value, dtype=dtype_name(input.array))
    outside[inside] = 0
    return placed + Tensor._wrap(like(outside, input.array))
