"""The Transformer's layers, as PyTorch's: ``TransformerEncoderLayer`` (self-attention,
feed-forward) and ``TransformerDecoderLayer`` (self-attention, attention over the
encoder's output — "cross-attention" — and feed-forward), each block with a residual
connection and a layer norm.

Post-norm by default (``x = norm(x + block(x))``, the original Transformer's);
``norm_first=True`` is pre-norm (``x = x + block(norm(x))``, which trains more easily
when deep). Masks are :class:`~tinygrad_nn.nn.MultiheadAttention`'s: a boolean True
means masked out, a float mask is added to the scores.

Examples:
    >>> import tinygrad_nn as tg
    >>> layer = TransformerDecoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    >>> layer(tg.ones(3, 5, 8), tg.ones(3, 7, 8), tgt_is_causal=True).shape
    (3, 5, 8)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygrad_nn import ops
from tinygrad_nn.nn.attention import Mask, MultiheadAttention
from tinygrad_nn.nn.blocks import LayerNorm, dropout
from tinygrad_nn.nn.layers import Linear
from tinygrad_nn.nn.module import Module
from tinygrad_nn.tensor import Tensor, apply

Activation = str | Callable[[Tensor], Tensor]


def relu(x: Tensor) -> Tensor:
    """``max(x, 0)``: the feed-forward's default activation (PyTorch's ``F.relu``).

    Examples:
        >>> import tinygrad_nn as tg
        >>> relu(tg.tensor([-1.0, 2.0])).tolist()
        [0.0, 2.0]
    """
    return x.relu()


def gelu(x: Tensor) -> Tensor:
    """The exact GELU, ``x * Phi(x)`` (PyTorch's ``F.gelu``).

    Examples:
        >>> import tinygrad_nn as tg
        >>> gelu(tg.tensor([0.0])).tolist()
        [0.0]
    """
    return apply(ops.Gelu(), x)


def activation_function(activation: Activation) -> Callable[[Tensor], Tensor]:
    """A Transformer layer's ``activation``: "relu", "gelu" or a callable, as PyTorch's
    (which raises a RuntimeError with these words for another string).

    Examples:
        >>> activation_function("gelu").__name__
        'gelu'
    """
    if callable(activation):
        return activation
    if activation == "relu":
        return relu
    if activation == "gelu":
        return gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _feed_forward(layer: Any, x: Tensor) -> Tensor:
    """``dropout(linear2(dropout(activation(linear1(x)))))``: a layer's feed-forward
    block (the dropouts only while training)."""
    hidden = dropout(layer.activation(layer.linear1(x)), layer.dropout, layer.training)
    return dropout(layer.linear2(hidden), layer.dropout, layer.training)


def _attend(
    layer: Any,
    attention: MultiheadAttention,
    x: Tensor,
    source: Tensor,
    mask: Mask,
    padding: Mask,
    is_causal: bool,
) -> Tensor:
    """``dropout(attention(x, source, source))``, the attention weights left out."""
    out, _ = attention(
        x, source, source, padding, need_weights=False, attn_mask=mask, is_causal=is_causal
    )
    return dropout(out, layer.dropout, layer.training)


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward network, each with a residual connection and
    layer norm, as ``torch.nn.TransformerEncoderLayer``. ``src_mask`` and
    ``src_key_padding_mask`` are :class:`MultiheadAttention`'s ``attn_mask`` and
    ``key_padding_mask`` (boolean True: masked out). ``activation`` is "relu", "gelu" or
    a callable (a function or a module); ``bias=False`` leaves the biases out of the
    attention, the linear layers and the layer norms, as PyTorch.

    Parameters, as PyTorch's but for the attention's (see :class:`MultiheadAttention`):
    ``self_attn``, ``linear1`` (dim_feedforward, d_model), ``linear2``, ``norm1``,
    ``norm2``.

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
        activation: Activation = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
    ) -> None:
        super().__init__()
        function = activation_function(activation)
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout, bias=bias, batch_first=batch_first
        )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout, self.norm_first, self.batch_first = dropout, norm_first, batch_first
        self.activation = function

    def forward(
        self,
        src: Tensor,
        src_mask: Mask = None,
        src_key_padding_mask: Mask = None,
        is_causal: bool = False,
    ) -> Tensor:
        masks = (src_mask, src_key_padding_mask, is_causal)
        x = src
        if self.norm_first:
            x = x + _attend(self, self.self_attn, (n := self.norm1(x)), n, *masks)
            return x + _feed_forward(self, self.norm2(x))
        x = self.norm1(x + _attend(self, self.self_attn, x, x, *masks))
        return self.norm2(x + _feed_forward(self, x))


class TransformerDecoderLayer(Module):
    """Self-attention over the target, attention over the encoder's output ``memory``,
    then a feed-forward network, each with a residual connection and layer norm, as
    ``torch.nn.TransformerDecoderLayer``.

    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)``:
    ``tgt`` is (T, N, E) (``batch_first``: (N, T, E); unbatched (T, E)), ``memory``
    (S, N, E). ``tgt_mask`` (T, T) and ``tgt_key_padding_mask`` (N, T) mask the
    self-attention, ``memory_mask`` (T, S) and ``memory_key_padding_mask`` (N, S) the
    attention over the memory (boolean True: masked out; floats: added). With a mask,
    ``*_is_causal`` is PyTorch's hint that it is causal (the mask is used); without one,
    it makes the causal mask (PyTorch asks for the mask).

    Parameters, as PyTorch's but for the attentions' (see :class:`MultiheadAttention`):
    ``self_attn``, ``multihead_attn``, ``linear1``, ``linear2``, ``norm1``, ``norm2``,
    ``norm3``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> from tinygrad_nn import nn
        >>> layer = nn.TransformerDecoderLayer(4, 2, dim_feedforward=8, norm_first=True)
        >>> mask = nn.Transformer.generate_square_subsequent_mask(5)
        >>> layer(tg.ones(5, 3, 4), tg.ones(6, 3, 4), tgt_mask=mask).shape
        (5, 3, 4)
        >>> [name for name, _ in layer.named_children()][:3]
        ['self_attn', 'multihead_attn', 'linear1']
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Activation = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
    ) -> None:
        super().__init__()
        function = activation_function(activation)
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout, bias=bias, batch_first=batch_first
        )
        self.multihead_attn = MultiheadAttention(
            d_model, nhead, dropout, bias=bias, batch_first=batch_first
        )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout, self.norm_first, self.batch_first = dropout, norm_first, batch_first
        self.activation = function

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Mask = None,
        memory_mask: Mask = None,
        tgt_key_padding_mask: Mask = None,
        memory_key_padding_mask: Mask = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        own = (tgt_mask, tgt_key_padding_mask, bool(tgt_is_causal))
        cross = (memory_mask, memory_key_padding_mask, bool(memory_is_causal))
        x = tgt
        if self.norm_first:
            x = x + _attend(self, self.self_attn, (n := self.norm1(x)), n, *own)
            x = x + _attend(self, self.multihead_attn, self.norm2(x), memory, *cross)
            return x + _feed_forward(self, self.norm3(x))
        x = self.norm1(x + _attend(self, self.self_attn, x, x, *own))
        x = self.norm2(x + _attend(self, self.multihead_attn, x, memory, *cross))
        return self.norm3(x + _feed_forward(self, x))


__all__ = ["TransformerDecoderLayer", "TransformerEncoderLayer", "activation_function"]
