"""``TransformerEncoder`` and ``TransformerDecoder`` (stacks of layers) and the whole
encoder-decoder ``Transformer``, as PyTorch's.

A stack holds ``num_layers`` deep copies of the layer it is given, so, as in PyTorch,
every copy starts from the same weights (and then trains on its own). An optional final
``norm`` (a ``LayerNorm``, usually with pre-norm layers) runs after the last layer.

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn import nn
    >>> layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    >>> encoder = nn.TransformerEncoder(layer, num_layers=3)
    >>> encoder(tg.ones(2, 5, 8)).shape, len(encoder.layers)
    ((2, 5, 8), 3)
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from tinygrad_nn.dtypes import DTypeLike
from tinygrad_nn.nn import init
from tinygrad_nn.nn.attention import Mask, MultiheadAttention
from tinygrad_nn.nn.blocks import LayerNorm
from tinygrad_nn.nn.containers import ModuleList
from tinygrad_nn.nn.module import Module
from tinygrad_nn.nn.transformer_layers import (
    Activation,
    TransformerDecoderLayer,
    TransformerEncoderLayer,
)
from tinygrad_nn.tensor import Tensor


def _clones(
    what: str, argument: str, layer: Module, num_layers: int, norm: Module | None
) -> ModuleList:
    """``num_layers`` deep copies of ``layer`` (the same starting weights in every layer,
    as PyTorch's ``_get_clones``), the arguments checked."""
    if not isinstance(layer, Module):
        raise TypeError(f"{what}: {argument} must be a Module, not {type(layer).__name__}")
    if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 1:
        raise ValueError(f"{what}: num_layers must be a positive int, got {num_layers!r}")
    if norm is not None and not isinstance(norm, Module):
        raise TypeError(f"{what}: norm must be a Module or None, not {type(norm).__name__}")
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` applied in turn, then ``norm`` if given.

    Args:
        encoder_layer: the layer to copy (a :class:`TransformerEncoderLayer`, or any
            module called as ``layer(src, src_mask=, src_key_padding_mask=, is_causal=)``).
        num_layers: how many copies.
        norm: a module applied to the last layer's output (``None``: none).
        enable_nested_tensor: accepted for PyTorch's signature; PyTorch's nested tensors
            only make padded batches faster, so the results are the same without them.
        mask_check: accepted for PyTorch's signature (it guards the nested-tensor path).

    ``forward(src, mask=None, src_key_padding_mask=None, is_causal=None)`` passes ``mask``
    (``(L, L)`` or ``(N * nhead, L, L)``, boolean True = masked out, or added as floats)
    and ``src_key_padding_mask`` (``(N, L)``) to every layer, as PyTorch.

    Examples:
        >>> import tinygrad_nn as tg
        >>> from tinygrad_nn import nn
        >>> layer = nn.TransformerEncoderLayer(4, 1, dim_feedforward=8, norm_first=True)
        >>> encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(4))
        >>> encoder(tg.ones(5, 3, 4)).shape      # (L, N, E): batch_first=False
        (5, 3, 4)
    """

    def __init__(
        self,
        encoder_layer: Module,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__()
        layer, name = encoder_layer, "encoder_layer"
        self.layers = _clones("TransformerEncoder", name, layer, num_layers, norm)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check

    def forward(
        self,
        src: Tensor,
        mask: Mask = None,
        src_key_padding_mask: Mask = None,
        is_causal: bool | None = None,
    ) -> Tensor:
        output = src
        for layer in self.layers:
            output = layer(
                output,
                src_mask=mask,
                src_key_padding_mask=src_key_padding_mask,
                is_causal=bool(is_causal),
            )
        return output if self.norm is None else self.norm(output)


def _reset_parameters(model: Module) -> None:
    """Every parameter with more than one axis redrawn Xavier-uniform, as PyTorch's
    ``Transformer._reset_parameters``; an attention's query, key and value weights as the
    one (3 * E, E) matrix PyTorch stacks them in (its fans are E and 3 * E)."""
    stacked: set[int] = set()
    for module in model.modules():
        if isinstance(module, MultiheadAttention):
            embed = module.embed_dim
            bound = math.sqrt(6.0 / (embed + 3 * embed))
            for projection in (module.q_proj, module.k_proj, module.v_proj):
                init.uniform_(projection.weight, -bound, bound)
                stacked.add(id(projection.weight))
    for parameter in model.parameters():
        if parameter.ndim > 1 and id(parameter) not in stacked:
            init.xavier_uniform_(parameter)


class TransformerDecoder(Module):
    """``num_layers`` copies of ``decoder_layer`` applied in turn to the target, each
    attending to the same ``memory``, then ``norm`` if given, as
    ``torch.nn.TransformerDecoder``.

    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False)`` passes
    the masks to every layer (see :class:`TransformerDecoderLayer`).

    Examples:
        >>> import tinygrad_nn as tg
        >>> from tinygrad_nn import nn
        >>> layer = nn.TransformerDecoderLayer(4, 2, dim_feedforward=8, batch_first=True)
        >>> decoder = nn.TransformerDecoder(layer, 2, norm=nn.LayerNorm(4))
        >>> decoder(tg.ones(3, 5, 4), tg.ones(3, 6, 4), tgt_is_causal=True).shape
        (3, 5, 4)
    """

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None) -> None:
        super().__init__()
        layer, name = decoder_layer, "decoder_layer"
        self.layers = _clones("TransformerDecoder", name, layer, num_layers, norm)
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Mask = None,
        memory_mask: Mask = None,
        tgt_key_padding_mask: Mask = None,
        memory_key_padding_mask: Mask = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        output = tgt
        for layer in self.layers:
            output = layer(
                output,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=bool(tgt_is_causal),
                memory_is_causal=memory_is_causal,
            )
        return output if self.norm is None else self.norm(output)


class Transformer(Module):
    """The encoder-decoder Transformer ("Attention Is All You Need"), as
    ``torch.nn.Transformer``: an ``encoder`` (a :class:`TransformerEncoder` of
    ``num_encoder_layers`` layers) reads ``src`` into a memory, and a ``decoder`` (a
    :class:`TransformerDecoder` of ``num_decoder_layers`` layers) attends to it while
    reading ``tgt``. As in PyTorch, both stacks end with a ``LayerNorm`` (``encoder.norm``,
    ``decoder.norm``), and every parameter with more than one axis is redrawn
    Xavier-uniform. ``custom_encoder``/``custom_decoder`` replace the stacks.

    ``forward(src, tgt, ...)``: ``src`` (S, N, E), ``tgt`` (T, N, E) (``batch_first``:
    (N, S, E), (N, T, E); unbatched (S, E), (T, E)) gives (T, N, E). ``src_mask``,
    ``tgt_mask``, ``memory_mask`` and the ``*_key_padding_mask`` go to the attentions
    (boolean True: masked out; floats: added); a decoder normally gets ``tgt_mask =
    Transformer.generate_square_subsequent_mask(T)``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> from tinygrad_nn import nn
        >>> model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1,
        ...                        num_decoder_layers=1, dim_feedforward=16, dropout=0.0)
        >>> mask = nn.Transformer.generate_square_subsequent_mask(4)
        >>> model(tg.ones(6, 2, 8), tg.ones(4, 2, 8), tgt_mask=mask).shape
        (4, 2, 8)
        >>> mask.tolist()[1]
        [0.0, 0.0, -inf, -inf]
    """

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Activation = "relu",
        custom_encoder: Module | None = None,
        custom_decoder: Module | None = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
    ) -> None:
        super().__init__()
        settings = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                    batch_first, norm_first, bias)  # fmt: skip
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(*settings),
                num_encoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias),
            )
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(*settings),
                num_decoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias),
            )
        _reset_parameters(self)
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def forward(
        self,
        src: Tensor,
        tgt: Tensor,
        src_mask: Mask = None,
        tgt_mask: Mask = None,
        memory_mask: Mask = None,
        src_key_padding_mask: Mask = None,
        tgt_key_padding_mask: Mask = None,
        memory_key_padding_mask: Mask = None,
        src_is_causal: bool | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        batch_axis = 0 if self.batch_first else 1
        if src.ndim == 3 and src.shape[batch_axis] != tgt.shape[batch_axis]:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )

    @staticmethod
    def generate_square_subsequent_mask(
        sz: int, device: Any = None, dtype: DTypeLike = None
    ) -> Tensor:
        """The causal mask for ``sz`` positions: ``-inf`` above the diagonal (a position
        may not attend to later ones), 0 elsewhere, float64 unless ``dtype`` says.

        Examples:
            >>> Transformer.generate_square_subsequent_mask(3).tolist()
            [[0.0, -inf, -inf], [0.0, 0.0, -inf], [0.0, 0.0, 0.0]]
        """
        values = np.triu(np.full((sz, sz), -np.inf, dtype=np.dtype(dtype or np.float64)), 1)
        mask = Tensor(values)
        return mask if device is None else mask.to(device)


__all__ = [
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
]
