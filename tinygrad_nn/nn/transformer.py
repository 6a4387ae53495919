"""``TransformerEncoder``: a stack of encoder layers, as ``torch.nn.TransformerEncoder``.

The stack holds ``num_layers`` deep copies of the layer it is given, so, as in PyTorch,
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

from tinygrad_nn.nn.attention import Mask, TransformerEncoderLayer
from tinygrad_nn.nn.containers import ModuleList
from tinygrad_nn.nn.module import Module
from tinygrad_nn.tensor import Tensor


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
        if not isinstance(encoder_layer, Module):
            raise TypeError(
                f"TransformerEncoder: encoder_layer must be a Module, not "
                f"{type(encoder_layer).__name__}"
            )
        if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(
                f"TransformerEncoder: num_layers must be a positive int, got {num_layers!r}"
            )
        if norm is not None and not isinstance(norm, Module):
            raise TypeError(f"TransformerEncoder: norm must be a Module or None, not "
                            f"{type(norm).__name__}")  # fmt: skip
        # deep copies: the same starting weights in every layer, as PyTorch's _get_clones
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
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


__all__ = ["TransformerEncoder", "TransformerEncoderLayer"]
