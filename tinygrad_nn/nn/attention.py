"""Attention: ``softmax(q @ k.T / sqrt(d) + mask) @ v``, multi-head attention, and the
Transformer's encoder layer.

Built from the engine's ops (matmul, softmax, where), so its backward is the chain rule
through them. The softmax's backward needs only its output ``p``:
``dL/ds = p * (g - sum(g * p))`` — which is why attention keeps its weights for backward.

Examples:
    >>> import tinygrad_nn as tg
    >>> q = k = v = tg.ones(1, 2, 4)
    >>> scaled_dot_product_attention(q, k, v).shape
    (1, 2, 4)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.dtypes import dtype_name
from tinygrad_nn.functions import where
from tinygrad_nn.namespace.array_api import like
from tinygrad_nn.nn.blocks import LayerNorm, dropout
from tinygrad_nn.nn.layers import Linear
from tinygrad_nn.nn.loss_functions import host_values
from tinygrad_nn.nn.module import Module
from tinygrad_nn.tensor import Tensor, apply


def attention_weights(
    query: Tensor,
    key: Tensor,
    attn_mask: Any = None,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """``softmax(query @ key.T * scale + mask)`` over the last axis (keys), as PyTorch: a
    boolean mask is True where a query may attend, a float mask is added; ``is_causal``
    lets position i attend to positions <= i only.

    Examples:
        >>> import tinygrad_nn as tg
        >>> attention_weights(tg.zeros(2, 1), tg.zeros(2, 1), is_causal=True).tolist()
        [[1.0, 0.0], [0.5, 0.5]]
    """
    if attn_mask is not None and is_causal:
        raise ValueError("scaled_dot_product_attention: give attn_mask or is_causal, not both")
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query @ key.swapaxes(-2, -1) * scale
    if is_causal:
        length, source = scores.shape[-2:]
        attn_mask = np.tril(np.ones((length, source), dtype=bool))
    if attn_mask is not None:
        mask = host_values(attn_mask)
        if mask.dtype == bool:  # where the mask is False, no attention: a score of -inf
            scores = where(like(mask, scores.data), scores, -math.inf)
        else:
            scores = scores + Tensor._wrap(like(mask.astype(dtype_name(scores.data)), scores.data))
    return scores.softmax(-1)


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """Attention of ``query`` (..., L, E) over ``key`` (..., S, E) and ``value`` (..., S, Ev),
    as ``torch.nn.functional.scaled_dot_product_attention``: (..., L, Ev).

    Examples:
        >>> import tinygrad_nn as tg
        >>> v = tg.tensor([[1.0], [3.0]])
        >>> scaled_dot_product_attention(tg.zeros(2, 1), tg.zeros(2, 1), v).tolist()
        [[2.0], [2.0]]
    """
    weights = attention_weights(query, key, attn_mask, is_causal, scale)
    return dropout(weights, dropout_p, dropout_p > 0) @ value


class MultiheadAttention(Module):
    """Multi-head attention, as ``torch.nn.MultiheadAttention``: the embeddings are
    projected to queries, keys and values, split into ``num_heads`` heads that attend
    separately, joined and projected back. Returns ``(output, weights)``; the weights are
    averaged over the heads unless ``average_attn_weights=False``.

    The projections are ``Linear`` layers (weights ``(in, out)``: ``x @ W``, this
    library's layout; PyTorch stores the transpose in one ``in_proj_weight``).

    Examples:
        >>> import tinygrad_nn as tg
        >>> attention = MultiheadAttention(8, 2, batch_first=True)
        >>> out, weights = attention(tg.ones(3, 5, 8), tg.ones(3, 5, 8), tg.ones(3, 5, 8))
        >>> out.shape, weights.shape
        ((3, 5, 8), (3, 5, 5))
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        batch_first: bool = False,
    ) -> None:
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim {embed_dim} must be divisible by num_heads "
                f"{num_heads}"
            )
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.batch_first = batch_first
        self.q_proj = Linear(embed_dim, embed_dim, bias=bias)
        self.k_proj = Linear(embed_dim, embed_dim, bias=bias)
        self.v_proj = Linear(embed_dim, embed_dim, bias=bias)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        need_weights: bool = True,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        if not self.batch_first:  # (L, N, E) -> (N, L, E)
            query, key, value = (t.swapaxes(0, 1) for t in (query, key, value))
        q, k, v = (
            self._heads(proj(t))
            for proj, t in ((self.q_proj, query), (self.k_proj, key), (self.v_proj, value))
        )
        weights = attention_weights(q, k, attn_mask, is_causal)  # (N, heads, L, S)
        p = self.dropout if self.training else 0.0
        heads = dropout(weights, p, p > 0) @ v  # (N, heads, L, head_dim)
        batch, _, length, _ = heads.shape
        joined = heads.swapaxes(1, 2).reshape(batch, length, self.embed_dim)
        out = self.out_proj(joined)
        if not self.batch_first:
            out = out.swapaxes(0, 1)
        if not need_weights:
            return out, None
        return out, weights.mean(axis=1) if average_attn_weights else weights

    def _heads(self, x: Tensor) -> Tensor:
        """(N, L, E) -> (N, heads, L, E / heads)."""
        batch, length, _ = x.shape
        head_dim = self.embed_dim // self.num_heads
        return x.reshape(batch, length, self.num_heads, head_dim).swapaxes(1, 2)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward network, each with a residual connection and
    layer norm, as ``torch.nn.TransformerEncoderLayer``. Post-norm by default
    (``x = norm(x + block(x))``, the original Transformer's); ``norm_first=True`` is
    pre-norm (``x = x + block(norm(x))``, which trains more easily when deep).

    Examples:
        >>> import tinygrad_nn as tg
        >>> layer = TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
        >>> layer(tg.ones(3, 5, 8), is_causal=True).shape
        (3, 5, 8)
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
    ) -> None:
        super().__init__()
        if activation not in ("relu", "gelu"):
            raise ValueError(
                f"TransformerEncoderLayer: activation must be 'relu' or 'gelu', got {activation!r}"
            )
        self.self_attn = MultiheadAttention(d_model, nhead, dropout, batch_first=batch_first)
        self.linear1 = Linear(d_model, dim_feedforward)
        self.linear2 = Linear(dim_feedforward, d_model)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout, self.activation, self.norm_first = dropout, activation, norm_first

    def forward(self, src: Tensor, src_mask: Any = None, is_causal: bool = False) -> Tensor:
        x = src
        if self.norm_first:
            x = x + self._attend(self.norm1(x), src_mask, is_causal)
            return x + self._feed_forward(self.norm2(x))
        x = self.norm1(x + self._attend(x, src_mask, is_causal))
        return self.norm2(x + self._feed_forward(x))

    def _attend(self, x: Tensor, mask: Any, is_causal: bool) -> Tensor:
        out, _ = self.self_attn(x, x, x, need_weights=False, attn_mask=mask, is_causal=is_causal)
        return dropout(out, self.dropout, self.training)

    def _feed_forward(self, x: Tensor) -> Tensor:
        hidden = self.linear1(x)
        hidden = hidden.relu() if self.activation == "relu" else apply(ops.Gelu(), hidden)
        hidden = dropout(hidden, self.dropout, self.training)
        return dropout(self.linear2(hidden), self.dropout, self.training)
