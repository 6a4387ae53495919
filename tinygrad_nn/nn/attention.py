"""Attention: ``softmax(q @ k.T / sqrt(d) + mask) @ v`` and multi-head attention (the
Transformer's layers, built on it, are in :mod:`tinygrad_nn.nn.transformer_layers`).

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
from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_nn.combining import where
from tinygrad_nn.dtypes import dtype_name
from tinygrad_nn.namespace.array_api import like
from tinygrad_nn.nn.blocks import dropout
from tinygrad_nn.nn.layers import Linear
from tinygrad_nn.nn.loss_functions import host_values
from tinygrad_nn.nn.module import Module
from tinygrad_nn.tensor import Tensor

Mask = Any  # a boolean or float mask: a Tensor, another library's array, or plain data


def split_mask(what: str, name: str, mask: Mask, true_takes_part: bool) -> tuple[Any, Any]:
    """``(keep, bias)`` of a mask: a boolean one is ``keep`` (a host array, True where a
    query may attend: ``true_takes_part`` says which way the caller's True points), a float
    one ``bias`` (added to the scores; a Tensor that requires grad stays one, for its grad).

    Examples:
        >>> split_mask("f", "attn_mask", [True, False], true_takes_part=False)
        (array([False,  True]), None)
    """
    if isinstance(mask, Tensor) and mask.requires_grad:
        return None, mask
    values = host_values(mask)
    if values.dtype == bool:
        return (values if true_takes_part else ~values), None
    if values.dtype.kind != "f":
        raise TypeError(
            f"{what}: only bool and floating types of {name} are supported, got {values.dtype}"
        )
    return None, values


def masked_softmax(scores: Tensor, keep: Any = None, biases: Sequence[Any] = ()) -> Tensor:
    """``softmax(scores + biases)`` over the keys (last axis), -inf where ``keep`` is False.

    A query that may attend to no key (every score -inf) gets zero weights, as PyTorch's
    scaled_dot_product_attention (2.5 and later, its ``_safe_softmax``): a plain softmax
    would give 0/0 = NaN there, and NaN gradients to everything before it. Those rows are
    known from the masks (host constants), and their scores are set to 0 before the softmax,
    so that neither the softmax nor its backward meets a NaN. Rows that keep a key pay
    nothing: with no fully masked row there is no extra op.

    Examples:
        >>> import numpy as np
        >>> import tinygrad_nn as tg
        >>> masked_softmax(tg.zeros(2, 2), np.array([[True, True], [False, False]])).tolist()
        [[0.5, 0.5], [0.0, 0.0]]
    """
    dtype = dtype_name(scores.array)
    blocked = None
    if keep is not None:
        scores = where(like(keep, scores.array), scores, -math.inf)
        blocked = ~keep
    for bias in biases:
        if isinstance(bias, Tensor):
            values = host_values(bias)
            scores = scores + (bias if dtype_name(bias.array) == dtype else bias.astype(dtype))
        else:
            values = bias
            scores = scores + Tensor._wrap(like(bias.astype(dtype), scores.array))
        minus_inf = values == -math.inf
        blocked = minus_inf if blocked is None else blocked | minus_inf
    if blocked is not None:
        dead = np.all(blocked, axis=-1, keepdims=True)
        if dead.any():
            rows = like(dead, scores.array)
            return where(rows, 0.0, where(rows, 0.0, scores).softmax(-1))
    return scores.softmax(-1)


def _scores(query: Tensor, key: Tensor, scale: float | None) -> Tensor:
    """``query @ key.T * scale``, the scale ``1 / sqrt(E)`` by default: (..., L, S)."""
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    return query @ key.swapaxes(-2, -1) * scale


def _causal(length: int, source: int) -> np.ndarray:
    """Position i may attend to keys 0..i (top-left aligned, as PyTorch's is_causal)."""
    return np.tril(np.ones((length, source), dtype=bool))


def attention_weights(
    query: Tensor,
    key: Tensor,
    attn_mask: Mask = None,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """``softmax(query @ key.T * scale + mask)`` over the last axis (keys), with
    ``scaled_dot_product_attention``'s conventions: a boolean mask is True where a query
    may attend (takes part), a float mask is added (and gets a gradient when it requires
    one); ``is_causal`` lets position i attend to positions <= i only.

    Examples:
        >>> import tinygrad_nn as tg
        >>> attention_weights(tg.zeros(2, 1), tg.zeros(2, 1), is_causal=True).tolist()
        [[1.0, 0.0], [0.5, 0.5]]
    """
    if attn_mask is not None and is_causal:
        raise ValueError("scaled_dot_product_attention: give attn_mask or is_causal, not both")
    scores = _scores(query, key, scale)
    if is_causal:
        return masked_softmax(scores, _causal(*scores.shape[-2:]))
    if attn_mask is None:
        return scores.softmax(-1)
    keep, bias = split_mask("scaled_dot_product_attention", "attn_mask", attn_mask, True)
    return masked_softmax(scores, keep, () if bias is None else (bias,))


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Mask = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """Attention of ``query`` (..., L, E) over ``key`` (..., S, E) and ``value`` (..., S, Ev),
    as ``torch.nn.functional.scaled_dot_product_attention``: (..., L, Ev).

    ``attn_mask`` broadcasts against (..., L, S). A boolean one is True where a query may
    attend (the opposite of ``nn.MultiheadAttention``'s, as in PyTorch); a float one is
    added to the scores, so a float mask that requires grad gets the scores' gradient. A
    query that may attend to no key gives zeros (and zero gradients), as PyTorch 2.5 and
    later; before 2.5 PyTorch gave NaN there.

    Examples:
        >>> import tinygrad_nn as tg
        >>> v = tg.tensor([[1.0], [3.0]])
        >>> scaled_dot_product_attention(tg.zeros(2, 1), tg.zeros(2, 1), v).tolist()
        [[2.0], [2.0]]
        >>> scaled_dot_product_attention(tg.zeros(2, 1), tg.zeros(2, 1), v, [[True, False],
        ...                              [False, False]]).tolist()
        [[1.0], [0.0]]
    """
    weights = attention_weights(query, key, attn_mask, is_causal, scale)
    return dropout(weights, dropout_p, dropout_p > 0) @ value


def _reshaped(mask: Any, shape: tuple[int, ...]) -> Any:
    """A mask (host array, Tensor, or None) in a new shape."""
    if mask is None:
        return None
    if isinstance(mask, Tensor):
        return mask.reshape(shape)
    return np.reshape(host_values(mask), shape)


class MultiheadAttention(Module):
    """Multi-head attention, as ``torch.nn.MultiheadAttention``: the embeddings are
    projected to queries, keys and values, split into ``num_heads`` heads that attend
    separately, joined and projected back. Returns ``(output, weights)``; the weights are
    averaged over the heads unless ``average_attn_weights=False``.

    Masks as PyTorch's: a boolean ``attn_mask`` ((L, S), or (N * num_heads, L, S)) or
    ``key_padding_mask`` ((N, S); (S,) for an unbatched (L, E) input) is True where a key
    is masked out (the opposite of ``scaled_dot_product_attention``'s); a float one is
    added to the scores. ``is_causal=True`` with an ``attn_mask`` is PyTorch's hint that
    the mask is causal (the mask is used); alone, it makes the causal mask here, where
    PyTorch asks for one. A query left with no key gets zero weights (PyTorch's
    ``need_weights=False`` path since 2.5; its ``need_weights=True`` path gave NaN).

    The projections are ``Linear`` layers, weights ``(out, in)`` as PyTorch's; PyTorch
    keeps the query, key and value weights stacked, in that order, in one
    ``in_proj_weight`` of shape ``(3 * embed_dim, embed_dim)``: :func:`split_in_proj`
    reads a PyTorch state dict (of this layer or of a model holding it) into these names,
    :func:`join_in_proj` writes PyTorch's.

    Examples:
        >>> import numpy as np
        >>> import tinygrad_nn as tg
        >>> attention = MultiheadAttention(8, 2, batch_first=True)
        >>> x = tg.ones(3, 5, 8)
        >>> out, weights = attention(x, x, x)
        >>> out.shape, weights.shape
        ((3, 5, 8), (3, 5, 5))
        >>> padding = np.array([[False, False, False, True, True]] * 3)  # True: ignored
        >>> [round(w, 4) for w in attention(x, x, x, padding)[1][0, 0].tolist()]
        [0.3333, 0.3333, 0.3333, 0.0, 0.0]
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
        key_padding_mask: Mask = None,
        need_weights: bool = True,
        attn_mask: Mask = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        batched = query.ndim == 3
        if not batched:  # (L, E) -> (1, L, E), and a (S,) padding mask -> (1, S)
            query, key, value = (t.reshape(1, *t.shape) for t in (query, key, value))
            key_padding_mask = _reshaped(key_padding_mask, (1, -1))
        elif not self.batch_first:  # (L, N, E) -> (N, L, E)
            query, key, value = (t.swapaxes(0, 1) for t in (query, key, value))
        q, k, v = (
            self._heads(proj(t))
            for proj, t in ((self.q_proj, query), (self.k_proj, key), (self.v_proj, value))
        )
        keep, biases = self._masks(attn_mask, key_padding_mask, is_causal, q.shape, k.shape[2])
        weights = masked_softmax(_scores(q, k, None), keep, biases)  # (N, heads, L, S)
        p = self.dropout if self.training else 0.0
        heads = dropout(weights, p, p > 0) @ v  # (N, heads, L, head_dim)
        batch, _, length, _ = heads.shape
        joined = heads.swapaxes(1, 2).reshape(batch, length, self.embed_dim)
        out = self.out_proj(joined)
        if not batched:
            out, weights = out[0], weights[0]
        elif not self.batch_first:
            out = out.swapaxes(0, 1)
        if not need_weights:
            return out, None
        return out, weights.mean(axis=-3) if average_attn_weights else weights

    def _masks(
        self, attn_mask: Mask, padding: Mask, is_causal: bool, shape: tuple[int, ...], source: int
    ) -> tuple[Any, list[Any]]:
        """PyTorch's two masks as one ``keep`` (host bool, True = may attend) and the float
        terms to add, each shaped to broadcast against the (N, heads, L, S) scores."""
        batch, heads, length = shape[:3]
        keep, biases = None, []
        if attn_mask is not None:
            keep, bias = split_mask("MultiheadAttention", "attn_mask", attn_mask, False)
            dims = tuple((keep if bias is None else bias).shape)
            want = {2: (length, source), 3: (batch * heads, length, source)}.get(len(dims))
            if want is None:
                raise RuntimeError(
                    f"MultiheadAttention: attn_mask's dimension {len(dims)} is not supported"
                )
            if dims != want:
                raise RuntimeError(
                    f"MultiheadAttention: the shape of the {len(dims)}D attn_mask is {dims}, "
                    f"but should be {want}."
                )
            if len(dims) == 3:  # (N * heads, L, S), batch-major as PyTorch's -> 4 axes
                keep, bias = (_reshaped(m, (batch, heads, length, source)) for m in (keep, bias))
            biases += [] if bias is None else [bias]
        elif is_causal:
            keep = _causal(length, source)
        if padding is not None:
            kept, bias = split_mask("MultiheadAttention", "key_padding_mask", padding, False)
            dims = tuple((kept if bias is None else bias).shape)
            if dims != (batch, source):
                raise ValueError(
                    f"MultiheadAttention: expecting key_padding_mask shape of "
                    f"{(batch, source)}, but got {dims}"
                )
            kept, bias = (_reshaped(m, (batch, 1, 1, source)) for m in (kept, bias))
            if kept is not None:
                keep = kept if keep is None else keep & kept
            biases += [] if bias is None else [bias]
        return keep, biases

    def _heads(self, x: Tensor) -> Tensor:
        """(N, L, E) -> (N, heads, L, E / heads)."""
        batch, length, _ = x.shape
        head_dim = self.embed_dim // self.num_heads
        return x.reshape(batch, length, self.num_heads, head_dim).swapaxes(1, 2)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"


def split_in_proj(state: dict[str, Any]) -> dict[str, Any]:
    """A state dict in PyTorch's names for tinygrad_nn: every ``MultiheadAttention``'s
    stacked ``in_proj_weight`` (3 * E, E) and ``in_proj_bias`` (3 * E,) become its
    ``q_proj``, ``k_proj``, ``v_proj`` weights and biases (query, key, value, in that
    order); the other entries are kept. ``join_in_proj`` goes back.

    Examples:
        >>> import numpy as np
        >>> parts = split_in_proj({"attn.in_proj_bias": np.arange(6.0), "w": 1})
        >>> list(parts), parts["attn.v_proj.bias"].tolist()
        (['attn.q_proj.bias', 'attn.k_proj.bias', 'attn.v_proj.bias', 'w'], [4.0, 5.0])
    """
    out: dict[str, Any] = {}
    for key, value in state.items():
        prefix, dot, name = key.rpartition(".")
        if name not in ("in_proj_weight", "in_proj_bias"):
            out[key] = value
            continue
        kind = name[len("in_proj_") :]
        for part, piece in zip("qkv", np.split(host_values(value), 3)):
            out[f"{prefix}{dot}{part}_proj.{kind}"] = piece
    return out


def join_in_proj(state: dict[str, Any]) -> dict[str, Any]:
    """A state dict in tinygrad_nn's names in PyTorch's: ``q_proj``, ``k_proj``,
    ``v_proj`` of an attention joined into its ``in_proj_weight``/``in_proj_bias``
    (the reverse of :func:`split_in_proj`; the other entries, in order, kept).

    Examples:
        >>> from tinygrad_nn import nn
        >>> state = join_in_proj(nn.MultiheadAttention(4, 2).state_dict())
        >>> {k: v.shape for k, v in state.items()}["in_proj_weight"], len(state)
        ((12, 4), 4)
    """
    out: dict[str, Any] = {}
    for key, value in state.items():
        owner, _, name = key.rpartition(".")
        outer, dot, projection = owner.rpartition(".")
        if projection not in ("q_proj", "k_proj", "v_proj"):
            out[key] = value
            continue
        stacked = f"{outer}{dot}in_proj_{name}"
        if stacked not in out:
            parts = [host_values(state[f"{outer}{dot}{p}_proj.{name}"]) for p in "qkv"]
            out[stacked] = np.concatenate(parts)
    return out
