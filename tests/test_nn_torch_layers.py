"""The nn layers PyTorch programs use (issue 25): nn.TransformerDecoderLayer,
nn.TransformerDecoder, nn.Transformer, nn.LazyConv2d/LazyConv1d, bidirectional
RNN/LSTM/GRU. Shapes and parameter names, gradients against central finite differences,
masks, the reverse direction by hand, and (when torch is installed) equality with
PyTorch in float64, outputs and every parameter's gradient."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn import nn

RNG = np.random.default_rng(25)


def leaf(array: Any) -> tg.Tensor:
    return tg.Tensor(np.asarray(array, dtype=float), requires_grad=True)


def parameter_gradcheck(module: nn.Module, loss: Callable[[], tg.Tensor]) -> bool:
    """``tg.gradcheck`` of ``loss()`` with respect to every parameter of ``module``: the
    checker's perturbed copies are put in the parameters' places while ``loss`` runs."""
    slots = [(owner, name) for _, owner in module.named_modules() for name in owner._parameters]
    slots = [(owner, name) for owner, name in slots if owner._parameters[name] is not None]

    def fn(*tensors: tg.Tensor) -> tg.Tensor:
        saved = [owner.__dict__[name] for owner, name in slots]
        for (owner, name), tensor in zip(slots, tensors):
            object.__setattr__(owner, name, tensor)
        try:
            return loss()
        finally:
            for (owner, name), value in zip(slots, saved):
                object.__setattr__(owner, name, value)

    start = [owner._parameters[name] for owner, name in slots]
    return tg.gradcheck(fn, [leaf(p.detach().numpy()) for p in start], atol=1e-6, rtol=1e-5)


# ------------------------------------------------------------------ PyTorch's names


def ours_from_torch_names(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A PyTorch state dict in tinygrad_nn's names: MultiheadAttention's stacked
    ``in_proj_weight`` (3 * E, E) / ``in_proj_bias`` become ``q_proj``, ``k_proj``,
    ``v_proj`` (the one place where the names differ)."""
    out: dict[str, np.ndarray] = {}
    for key, value in state.items():
        prefix, _, name = key.rpartition(".")
        if name in ("in_proj_weight", "in_proj_bias"):
            kind = "weight" if name == "in_proj_weight" else "bias"
            for part, piece in zip("qkv", np.split(value, 3)):
                out[f"{prefix}.{part}_proj.{kind}"] = piece
        else:
            out[key] = value
    return out


def torch_names(named: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The reverse of :func:`ours_from_torch_names` (for gradients)."""
    out: dict[str, np.ndarray] = {}
    for key, value in named.items():
        prefix, _, name = key.rpartition(".")
        owner, _, projection = prefix.rpartition(".")
        if projection in ("q_proj", "k_proj", "v_proj"):
            stacked = f"{owner}.in_proj_{name}"
            if stacked not in out:
                parts = [named[f"{owner}.{p}_proj.{name}"] for p in "qkv"]
                out[stacked] = np.concatenate(parts)
        else:
            out[key] = value
    return out


def test_decoder_layer_parameters_are_pytorch_s() -> None:
    layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=12)
    shapes = {k: v.shape for k, v in torch_names(layer.state_dict()).items()}
    assert shapes == {
        "self_attn.in_proj_weight": (24, 8),
        "self_attn.in_proj_bias": (24,),
        "self_attn.out_proj.weight": (8, 8),
        "self_attn.out_proj.bias": (8,),
        "multihead_attn.in_proj_weight": (24, 8),
        "multihead_attn.in_proj_bias": (24,),
        "multihead_attn.out_proj.weight": (8, 8),
        "multihead_attn.out_proj.bias": (8,),
        "linear1.weight": (12, 8),
        "linear1.bias": (12,),
        "linear2.weight": (8, 12),
        "linear2.bias": (8,),
        **{f"norm{i}.{p}": (8,) for i in (1, 2, 3) for p in ("weight", "bias")},
    }
    unbiased = nn.TransformerDecoderLayer(8, 2, dim_feedforward=12, bias=False)
    assert not [k for k in unbiased.state_dict() if k.endswith("bias")]


def test_transformer_shapes_names_and_the_square_mask() -> None:
    model = nn.Transformer(
        8, 2, num_encoder_layers=2, num_decoder_layers=3, dim_feedforward=16, dropout=0.0
    )
    assert model(tg.ones(6, 2, 8), tg.ones(4, 2, 8)).shape == (4, 2, 8)
    assert model(tg.ones(6, 8), tg.ones(4, 8)).shape == (4, 8)  # unbatched
    keys = list(torch_names(model.state_dict()))
    assert keys.count("encoder.norm.weight") == keys.count("decoder.norm.bias") == 1
    assert len(model.encoder.layers) == 2 and len(model.decoder.layers) == 3
    assert "decoder.layers.2.multihead_attn.in_proj_weight" in keys
    assert len(keys) == 2 * 12 + 3 * 18 + 4  # PyTorch: 12 per encoder layer, 18 per decoder
    # Xavier-uniform reset of every matrix; the stacked (3E, E) attention bound
    attention = model.encoder.layers[0].self_attn.q_proj.weight.detach().numpy()
    assert np.abs(attention).max() <= np.sqrt(6 / 32)
    linear = model.decoder.layers[0].linear1.weight.detach().numpy()
    assert np.sqrt(6 / 32) < np.abs(linear).max() <= np.sqrt(6 / 24)
    # a stack's copies start equal (PyTorch's _get_clones); the Transformer redraws each
    first, second = (model.decoder.layers[i].linear2.weight.detach().numpy() for i in (0, 1))
    assert not np.allclose(first, second)
    decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 1, 8), 2)
    first, second = (decoder.layers[i].linear2.weight.detach().numpy() for i in (0, 1))
    np.testing.assert_array_equal(first, second)
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    assert mask.dtype == np.float64
    np.testing.assert_array_equal(mask.detach().numpy(), np.triu(np.full((4, 4), -np.inf), 1))
    assert nn.Transformer.generate_square_subsequent_mask(2, dtype="float32").dtype == np.float32
    batch_first = nn.Transformer(4, 1, 1, 1, 8, batch_first=True)
    assert batch_first(tg.ones(3, 5, 4), tg.ones(3, 2, 4)).shape == (3, 2, 4)


def test_transformer_errors() -> None:
    model = nn.Transformer(4, 1, 1, 1, 8)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(tg.ones(5, 2, 4), tg.ones(3, 3, 4))
    with pytest.raises(RuntimeError, match="feature number of src and tgt must be equal to d_"):
        model(tg.ones(5, 2, 4), tg.ones(3, 2, 5))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerDecoderLayer(4, 1, activation="tanh")
    with pytest.raises(TypeError, match="TransformerDecoder: decoder_layer must be a Module"):
        nn.TransformerDecoder("layer", 2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="TransformerDecoder: num_layers must be a positive"):
        nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 1), 0)


def test_custom_encoder_decoder_and_callable_activation() -> None:
    encoder = nn.Identity()
    model = nn.Transformer(4, 1, dim_feedforward=8, custom_encoder=encoder, dropout=0.0)
    assert model.encoder is encoder and not list(model.encoder.parameters())
    layer = nn.TransformerDecoderLayer(4, 1, 8, dropout=0.0, activation=nn.GELU())
    named = nn.TransformerDecoderLayer(4, 1, 8, dropout=0.0, activation="gelu")
    named.load_state_dict(layer.state_dict())
    x, memory = tg.tensor(RNG.normal(size=(3, 2, 4))), tg.tensor(RNG.normal(size=(5, 2, 4)))
    np.testing.assert_allclose(
        layer(x, memory).detach().numpy(), named(x, memory).detach().numpy(), rtol=1e-13
    )
    relu = nn.TransformerDecoderLayer(4, 1, 8, dropout=0.0)
    relu.load_state_dict(layer.state_dict())
    assert not np.allclose(relu(x, memory).detach().numpy(), named(x, memory).detach().numpy())


# ------------------------------------------------------------------ masks


def test_tgt_mask_is_causal_and_padding_hides_memory() -> None:
    tg.manual_seed(1)
    layer = nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0, batch_first=True)
    tgt, memory = RNG.normal(size=(2, 5, 4)), RNG.normal(size=(2, 6, 4))
    mask = nn.Transformer.generate_square_subsequent_mask(5)
    out = layer(tg.tensor(tgt), tg.tensor(memory), tgt_mask=mask).detach().numpy()
    hinted = layer(tg.tensor(tgt), tg.tensor(memory), tgt_mask=mask, tgt_is_causal=True)
    np.testing.assert_allclose(hinted.detach().numpy(), out, rtol=1e-13)
    alone = layer(tg.tensor(tgt), tg.tensor(memory), tgt_is_causal=True)  # makes the mask
    np.testing.assert_allclose(alone.detach().numpy(), out, rtol=1e-13)
    boolean = layer(tg.tensor(tgt), tg.tensor(memory), tgt_mask=np.triu(np.ones((5, 5)), 1) > 0)
    np.testing.assert_allclose(boolean.detach().numpy(), out, rtol=1e-13)
    # causal: a later target step changes nothing before it
    later = tgt.copy()
    later[:, 3:] += 10.0
    changed = layer(tg.tensor(later), tg.tensor(memory), tgt_mask=mask).detach().numpy()
    np.testing.assert_allclose(changed[:, :3], out[:, :3], rtol=1e-12)
    assert not np.allclose(changed[:, 3:], out[:, 3:])
    # key padding: padded memory positions (True) are ignored; padded target keys too
    padding = np.array([[False] * 4 + [True] * 2, [False] * 6])
    moved = memory.copy()
    moved[0, 4:] = 99.0
    args: dict[str, Any] = {"memory_key_padding_mask": padding}
    a = layer(tg.tensor(tgt), tg.tensor(memory), **args).detach().numpy()
    b = layer(tg.tensor(tgt), tg.tensor(moved), **args).detach().numpy()
    np.testing.assert_allclose(a, b, rtol=1e-12)
    tgt_padding = np.array([[False] * 3 + [True] * 2, [False] * 5])
    moved_tgt = tgt.copy()
    moved_tgt[0, 3:] = -50.0
    a = layer(tg.tensor(tgt), tg.tensor(memory), tgt_key_padding_mask=tgt_padding).detach().numpy()
    b = (
        layer(tg.tensor(moved_tgt), tg.tensor(memory), tgt_key_padding_mask=tgt_padding)
        .detach()
        .numpy()
    )
    np.testing.assert_allclose(a[0, :3], b[0, :3], rtol=1e-12)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-12)


# ------------------------------------------------------------------ gradients


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_gradients_match_finite_differences(norm_first: bool) -> None:
    tg.manual_seed(2)
    layer = nn.TransformerDecoderLayer(
        4, 2, 6, dropout=0.0, norm_first=norm_first, activation="gelu"
    )
    tgt, memory = leaf(RNG.normal(size=(3, 2, 4))), leaf(RNG.normal(size=(4, 2, 4)))
    upstream = RNG.normal(size=(3, 2, 4))
    padding = np.array([[False, False, False, True], [False] * 4])

    def loss(tgt: tg.Tensor, memory: tg.Tensor) -> tg.Tensor:
        out = layer(tgt, memory, tgt_is_causal=True, memory_key_padding_mask=padding)
        return (out * upstream).sum()

    assert tg.gradcheck(loss, [tgt, memory], atol=1e-6, rtol=1e-5)
    assert parameter_gradcheck(layer, lambda: loss(tgt, memory))


def test_transformer_gradients_match_finite_differences() -> None:
    tg.manual_seed(3)
    model = nn.Transformer(4, 1, 1, 1, 4, dropout=0.0, batch_first=True, norm_first=True)
    src, tgt = leaf(RNG.normal(size=(2, 3, 4))), leaf(RNG.normal(size=(2, 2, 4)))
    mask = nn.Transformer.generate_square_subsequent_mask(2)

    def loss(src: tg.Tensor, tgt: tg.Tensor) -> tg.Tensor:
        return (model(src, tgt, tgt_mask=mask) ** 2).sum()

    assert tg.gradcheck(loss, [src, tgt], atol=1e-6, rtol=1e-5)
    assert parameter_gradcheck(model, lambda: loss(src, tgt))


# ------------------------------------------------------------------ PyTorch, float64


def copy_from_torch(ours: nn.Module, theirs: Any) -> None:
    """Load the torch module's state dict (float64) into ours, names translated."""
    state = {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}
    ours.load_state_dict(ours_from_torch_names(state))


def assert_same_gradients(ours: nn.Module, theirs: Any, tol: float = 1e-10) -> None:
    """Every parameter's gradient equal to PyTorch's (relative to the largest entry)."""
    got = torch_names({n: p.grad.detach().numpy() for n, p in ours.named_parameters()})
    want = {n: p.grad.numpy() for n, p in theirs.named_parameters()}
    assert got.keys() == want.keys()
    for name, value in want.items():
        scale = max(1.0, float(np.abs(value).max()))
        np.testing.assert_allclose(got[name], value, rtol=tol, atol=tol * scale, err_msg=name)


def run_both(
    ours: nn.Module, theirs: Any, inputs: list[np.ndarray], upstream: np.ndarray, **masks: Any
) -> None:
    """Forward both with the same inputs and masks, backward ``(out * upstream).sum()``;
    outputs, input gradients and every parameter's gradient equal to 1e-10."""
    torch = pytest.importorskip("torch")
    mine = [leaf(x) for x in inputs]
    out = ours(*mine, **masks)
    (out * upstream).sum().backward()
    torch_inputs = [torch.tensor(x, requires_grad=True) for x in inputs]
    torch_masks = {
        k: (torch.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in masks.items()
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mixed bool / float masks: PyTorch's deprecation
        t_out = theirs(*torch_inputs, **torch_masks)
    (t_out * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    for x, t in zip(mine, torch_inputs):
        np.testing.assert_allclose(x.grad.detach().numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-11)
    assert_same_gradients(ours, theirs)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"norm_first": True, "activation": "gelu"},
        {"batch_first": True, "bias": False},
    ],
)
def test_decoder_layer_equals_pytorch(options: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.TransformerDecoderLayer(8, 2, 12, dropout=0.0, dtype=torch.float64, **options)
    ours = nn.TransformerDecoderLayer(8, 2, 12, dropout=0.0, **options)
    copy_from_torch(ours, theirs)
    batch_first = options.get("batch_first", False)
    tgt_shape, memory_shape = ((2, 5, 8), (2, 6, 8)) if batch_first else ((5, 2, 8), (6, 2, 8))
    masks = {
        "tgt_mask": nn.Transformer.generate_square_subsequent_mask(5).detach().numpy(),
        "memory_mask": RNG.normal(size=(5, 6)),  # a float mask, added
        "tgt_key_padding_mask": np.array([[False] * 4 + [True], [False] * 5]),
        "memory_key_padding_mask": np.array([[False] * 6, [False] * 3 + [True] * 3]),
    }
    run_both(
        ours,
        theirs,
        [RNG.normal(size=tgt_shape), RNG.normal(size=memory_shape)],
        RNG.normal(size=tgt_shape),
        **masks,
    )


def test_decoder_stack_equals_pytorch() -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    layer = torch.nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0, dtype=torch.float64)
    norm = torch.nn.LayerNorm(4, dtype=torch.float64)
    theirs = torch.nn.TransformerDecoder(layer, 3, norm=norm)
    ours = nn.TransformerDecoder(
        nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0), 3, norm=nn.LayerNorm(4)
    )
    with torch.no_grad():  # layers that differ, and a norm that is not the identity
        for p in theirs.parameters():
            p.add_(torch.tensor(RNG.normal(scale=0.1, size=tuple(p.shape))))
    copy_from_torch(ours, theirs)
    mask = nn.Transformer.generate_square_subsequent_mask(4).detach().numpy()
    run_both(
        ours,
        theirs,
        [RNG.normal(size=(4, 3, 4)), RNG.normal(size=(5, 3, 4))],
        RNG.normal(size=(4, 3, 4)),
        tgt_mask=mask,
        tgt_is_causal=True,
    )


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_equals_pytorch(norm_first: bool) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(2)
    settings: dict[str, Any] = {
        "d_model": 8,
        "nhead": 2,
        "num_encoder_layers": 2,
        "num_decoder_layers": 2,
        "dim_feedforward": 16,
        "dropout": 0.0,
        "batch_first": True,
        "norm_first": norm_first,
    }
    theirs = torch.nn.Transformer(**settings, dtype=torch.float64)
    ours = nn.Transformer(**settings)
    assert {k: v.shape for k, v in torch_names(ours.state_dict()).items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()
    }
    assert list(torch_names(ours.state_dict())) == list(theirs.state_dict())
    copy_from_torch(ours, theirs)
    masks = {
        "src_mask": RNG.normal(size=(6, 6)),
        "tgt_mask": nn.Transformer.generate_square_subsequent_mask(4).detach().numpy(),
        "src_key_padding_mask": np.array([[False] * 5 + [True], [False] * 6]),
        "tgt_key_padding_mask": np.array([[False] * 4, [False] * 3 + [True]]),
        "memory_key_padding_mask": np.array([[False] * 5 + [True], [False] * 6]),
    }
    run_both(
        ours,
        theirs,
        [RNG.normal(size=(2, 6, 8)), RNG.normal(size=(2, 4, 8))],
        RNG.normal(size=(2, 4, 8)),
        **masks,
    )
    got = nn.Transformer.generate_square_subsequent_mask(5).detach().numpy()
    want = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64).numpy()
    np.testing.assert_array_equal(got, want)
