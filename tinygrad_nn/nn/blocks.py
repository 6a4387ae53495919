"""Building blocks of the next models: embeddings, dropout, layer and batch normalisation.

Each is a composition of the engine's ops, so its gradient is the chain rule through
them — no rule of its own: an embedding is an index (``weight[indices]``, whose backward
adds rows back, repeats accumulating), dropout a product with a random mask, layer norm
a mean, a variance and a division. PyTorch's names, arguments and defaults.

Examples:
    >>> import tinygrad_nn as tg
    >>> weight = tg.tensor([[0.0, 1.0], [2.0, 3.0]], requires_grad=True)
    >>> embedding(tg.tensor([1, 1, 0]), weight).tolist()
    [[2.0, 3.0], [2.0, 3.0], [0.0, 1.0]]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_nn.dtypes import as_array, dtype_name
from tinygrad_nn.namespace.array_api import like
from tinygrad_nn.nn.loss_functions import host_values
from tinygrad_nn.nn.module import Module, Parameter
from tinygrad_nn.seeding import default_generator
from tinygrad_nn.tensor import Tensor


def embedding(input: Any, weight: Tensor) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) picked by the integer ``input``: the
    result has shape ``input.shape + (dim,)``; a row picked twice gets both gradients.

    Examples:
        >>> import tinygrad_nn as tg
        >>> w = tg.tensor([[1.0], [2.0]], requires_grad=True)
        >>> embedding([0, 0, 1], w).sum().backward()
        >>> w.grad.tolist()
        [[2.0], [1.0]]
    """
    indices = as_array(host_values(input))
    rows = weight.shape[0]
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {indices.dtype}")
    if indices.size and (indices.min() < -rows or indices.max() >= rows):
        raise IndexError(
            f"embedding: indices must be in [0, {rows}) for a weight of shape {weight.shape}, "
            f"got values from {indices.min()} to {indices.max()}"
        )
    return weight[indices]


def in_place(input: Tensor, result: Tensor, name: str) -> Tensor:
    """``input`` changed to ``result`` in place, for PyTorch's ``inplace=True``: the same
    tensor back, the change recorded as any in-place method's (a leaf that requires
    grad refuses, with PyTorch's message).

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.tensor([-1.0, 2.0])
        >>> in_place(x, x.relu(), "relu_") is x, x.tolist()
        (True, [0.0, 2.0])
    """
    input._check_in_place()
    return input._take_over(result, name)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``, so
    the expected value is unchanged; the identity when not ``training``. The mask comes
    from the generator of ``tg.manual_seed``; ``inplace=True`` changes ``input`` itself.

    Examples:
        >>> import tinygrad_nn as tg
        >>> dropout(tg.ones(4), p=0.5, training=False).tolist()
        [1.0, 1.0, 1.0, 1.0]
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    keep = default_generator().random(input.shape) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = like((keep * scale).astype(dtype_name(input.array)), input.array)
    out = input * Tensor._wrap(mask)
    return in_place(input, out, "dropout_") if inplace else out


def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """``(x - mean) / sqrt(var + eps) * weight + bias`` over the last axes
    (``normalized_shape``), with the biased variance, as PyTorch.

    Examples:
        >>> import tinygrad_nn as tg
        >>> [round(v, 4) for v in layer_norm(tg.tensor([1.0, 3.0]), 2).tolist()]
        [-1.0, 1.0]
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[len(input.shape) - len(shape) :]) != shape or not shape:
        raise ValueError(
            f"layer_norm: normalized_shape {shape} must be the last axes of the input, "
            f"whose shape is {input.shape}"
        )
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    centred = input - input.mean(axis=axes, keepdims=True)
    variance = (centred * centred).mean(axis=axes, keepdims=True)
    out = centred / (variance + eps).sqrt()
    if weight is not None:
        out = out * weight
    return out if bias is None else out + bias


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, drawn from N(0, 1)
    as in PyTorch; called on integer indices.

    Examples:
        >>> import tinygrad_nn as tg
        >>> Embedding(10, 3)(tg.tensor([[1, 2], [3, 4]])).shape
        (2, 2, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        shape = (num_embeddings, embedding_dim)
        self.weight = Parameter(default_generator().standard_normal(shape))

    def forward(self, input: Any) -> Tensor:
        return embedding(input, self.weight)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


class Dropout(Module):
    """:func:`dropout` while training; the identity after ``model.eval()``.
    ``inplace=True`` changes the input itself, as PyTorch's.

    Examples:
        >>> import tinygrad_nn as tg
        >>> Dropout(0.3).eval()(tg.ones(2)).tolist()
        [1.0, 1.0]
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability p must be in [0, 1], got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        return dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class LayerNorm(Module):
    """:func:`layer_norm` with a learned ``weight`` (ones) and ``bias`` (zeros).

    Examples:
        >>> LayerNorm(4).weight.tolist()
        [1.0, 1.0, 1.0, 1.0]
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
    ) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape, self.eps = tuple(shape), eps
        self.weight = Parameter(np.ones(shape)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(shape)) if elementwise_affine and bias else None

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}"


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (axis 1) by its mean and variance over the batch (and any
    further axes), then scale and shift, as PyTorch. While ``training`` the batch's
    statistics are used and the running ones move toward them (``momentum``, the
    unbiased variance); otherwise the running statistics are used.

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.tensor([[1.0], [3.0]])
        >>> [round(v, 4) for v in batch_norm(x, None, None, training=True).reshape(-1).tolist()]
        [-1.0, 1.0]
    """
    axes = (0, *range(2, input.ndim))
    shape = (1, input.shape[1], *([1] * (input.ndim - 2)))
    if training and math.prod(input.shape[i] for i in axes) == 1:
        # One value per channel has no spread: it would normalise to 0 and feed the running
        # variance a 0/0. Refused, as PyTorch does, before any statistic moves.
        raise ValueError(
            "batch_norm: Expected more than 1 value per channel when training, got input "
            f"size {tuple(input.shape)}"
        )
    if training:
        mean = input.mean(axis=axes, keepdims=True)
        centred = input - mean
        variance = (centred * centred).mean(axis=axes, keepdims=True)
        count = input.numel() // input.shape[1]
        if running_mean is not None and running_var is not None:
            unbiased = variance.detach() * (count / max(count - 1, 1))
            batch_mean = mean.detach().reshape(-1)
            running_mean.array = ((1 - momentum) * running_mean + momentum * batch_mean).array
            running_var.array = (
                (1 - momentum) * running_var + momentum * unbiased.reshape(-1)
            ).array
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation needs running_mean and running_var")
        centred = input - running_mean.reshape(shape)
        variance = running_var.reshape(shape)
    out = centred / (variance + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    return out if bias is None else out + bias.reshape(shape)


class _BatchNorm(Module):
    """Batch normalisation of ``num_features`` channels, with running statistics, as
    PyTorch's: ``affine=False`` leaves out the scale and shift (``bias=False`` the
    shift); ``track_running_stats=
    False`` keeps no statistics (the batch's are used in evaluation too);
    ``momentum=None`` makes the running statistics the plain average over the batches
    seen (``num_batches_tracked``, a saved buffer as in PyTorch's checkpoints)."""

    dims: tuple[int, ...] = ()
    running_mean: Tensor | None
    running_var: Tensor | None
    num_batches_tracked: Tensor | None

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(np.ones(num_features)) if affine else None
        self.bias = Parameter(np.zeros(num_features)) if affine and bias else None
        tracked = track_running_stats
        self.register_buffer("running_mean", Tensor(np.zeros(num_features)) if tracked else None)
        self.register_buffer("running_var", Tensor(np.ones(num_features)) if tracked else None)
        self.register_buffer("num_batches_tracked", Tensor(np.array(0)) if tracked else None)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in self.dims or input.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}): input must have "
                f"{' or '.join(map(str, self.dims))} axes with {self.num_features} channels "
                f"on axis 1, got shape {input.shape}"
            )
        counter, momentum = self.num_batches_tracked, self.momentum
        counting = self.training and counter is not None
        if counting and momentum is None:  # the average over every batch so far
            momentum = 1.0 / float(counter.array + 1)  # type: ignore[union-attr]
        out = batch_norm(
            input, self.running_mean, self.running_var, self.weight, self.bias,
            self.training or self.running_mean is None, momentum or 0.0, self.eps,
        )  # fmt: skip
        if counting:  # (after: a refused batch changes nothing)
            counter.array = counter.array + 1  # type: ignore[union-attr]
        return out

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L).

    Examples:
        >>> import tinygrad_nn as tg
        >>> BatchNorm1d(3)(tg.randn(8, 3)).shape
        (8, 3)
    """

    dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over images (N, C, H, W), per channel.

    Examples:
        >>> import tinygrad_nn as tg
        >>> BatchNorm2d(4).eval()(tg.ones(2, 4, 3, 3)).shape
        (2, 4, 3, 3)
    """

    dims = (4,)
