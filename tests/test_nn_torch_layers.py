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
from tinygrad_nn.nn.attention import join_in_proj, split_in_proj

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


def test_decoder_layer_parameters_are_pytorch_s() -> None:
    layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=12)
    shapes = {k: v.shape for k, v in join_in_proj(layer.state_dict()).items()}
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
    keys = list(join_in_proj(model.state_dict()))
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
    ours.load_state_dict(split_in_proj(state))


def assert_same_gradients(ours: nn.Module, theirs: Any, tol: float = 1e-10) -> None:
    """Every parameter's gradient equal to PyTorch's (relative to the largest entry)."""
    got = join_in_proj({n: p.grad.detach().numpy() for n, p in ours.named_parameters()})
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
    assert {k: v.shape for k, v in join_in_proj(ours.state_dict()).items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()
    }
    assert list(join_in_proj(ours.state_dict())) == list(theirs.state_dict())
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


# ------------------------------------------------------------------ lazy convolutions


def test_lazy_conv2d_becomes_a_conv2d_and_trains() -> None:
    tg.manual_seed(4)
    conv = nn.LazyConv2d(3, (2, 3), stride=1, padding=1)
    before = list(conv.parameters())
    assert [p.shape for p in before] == [(0,), (0,)] and conv.in_channels == 0
    optimizer = tg.optim.SGD(conv.parameters(), lr=0.1)  # built before the first call
    x = tg.tensor(RNG.normal(size=(2, 4, 5, 6)))
    out = conv(x)
    assert type(conv) is nn.Conv2d and conv.weight.shape == (3, 4, 2, 3)
    assert out.shape == (2, 3, 6, 6) and conv.bias is not None and conv.bias.shape == (3,)
    assert [id(p) for p in conv.parameters()] == [id(p) for p in before]
    bound = 1 / np.sqrt(4 * 2 * 3)  # Conv2d's default draw, fan_in = C * kh * kw
    assert np.abs(conv.weight.detach().numpy()).max() <= bound
    eager = nn.Conv2d(4, 3, (2, 3), padding=1)
    eager.load_state_dict(conv.state_dict())
    np.testing.assert_allclose(out.detach().numpy(), eager(x).detach().numpy(), rtol=1e-13)
    start = conv.weight.detach().numpy().copy()
    (conv(x) ** 2).sum().backward()
    optimizer.step()
    assert not np.allclose(conv.weight.detach().numpy(), start)
    assert parameter_gradcheck(conv, lambda: (conv(x) ** 2).sum())
    unbiased = nn.LazyConv2d(2, 3, bias=False)
    assert unbiased(tg.ones(1, 1, 4, 4)).shape == (1, 2, 2, 2) and unbiased.bias is None


def test_lazy_conv1d_and_errors() -> None:
    conv = nn.LazyConv1d(4, 3, padding=1)
    assert conv(tg.ones(2, 5, 7)).shape == (2, 4, 7) and type(conv) is nn.Conv1d
    assert conv.weight.shape == (4, 5, 3)
    single = nn.LazyConv2d(2, 3, dtype="float32")
    single(tg.ones(1, 1, 3, 3))
    assert single.weight.dtype == single.bias.dtype == np.float32
    with pytest.raises(ValueError, match=r"LazyConv2d: cannot infer in_channels .*\(4, 4\)"):
        nn.LazyConv2d(2, 3)(tg.ones(4, 4))
    with pytest.raises(NotImplementedError, match="LazyConv2d: groups=2 is not supported"):
        nn.LazyConv2d(2, 3, groups=2)
    with pytest.raises(NotImplementedError, match="padding_mode='reflect' is not supported"):
        nn.LazyConv1d(2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="LazyConv2d: out_channels must be a positive int"):
        nn.LazyConv2d(0, 3)


def test_lazy_conv2d_equals_pytorch() -> None:
    torch = pytest.importorskip("torch")
    theirs = torch.nn.LazyConv2d(3, 3, stride=2, padding=1, dtype=torch.float64)
    ours = nn.LazyConv2d(3, 3, stride=2, padding=1)
    x = RNG.normal(size=(2, 4, 7, 7))
    with torch.no_grad():
        theirs(torch.tensor(x))
    ours(tg.tensor(x))
    assert type(theirs).__name__ == type(ours).__name__ == "Conv2d"
    copy_from_torch(ours, theirs)
    run_both(ours, theirs, [x], RNG.normal(size=(2, 3, 4, 4)))


# ------------------------------------------------------------------ bidirectional RNNs


def make_recurrent(kind: str, *args: Any, **kwargs: Any) -> nn.Module:
    if kind == "lstm":
        return nn.LSTM(*args, **kwargs)
    if kind == "gru":
        return nn.GRU(*args, **kwargs)
    return nn.RNN(*args, nonlinearity=kind, **kwargs)


@pytest.mark.parametrize("kind", ["tanh", "relu", "lstm", "gru"])
def test_bidirectional_names_and_shapes(kind: str) -> None:
    module = make_recurrent(kind, 3, 5, num_layers=2, bidirectional=True)
    gates = {"lstm": 4, "gru": 3}.get(kind, 1) * 5
    shapes = {k: v.shape for k, v in module.state_dict().items()}
    want = {}
    for layer, width in ((0, 3), (1, 10)):
        for suffix in ("", "_reverse"):
            want[f"weight_ih_l{layer}{suffix}"] = (gates, width)
            want[f"weight_hh_l{layer}{suffix}"] = (gates, 5)
            want[f"bias_ih_l{layer}{suffix}"] = (gates,)
            want[f"bias_hh_l{layer}{suffix}"] = (gates,)
    assert shapes == want and list(shapes) == list(want)  # PyTorch's order too
    out, last = module(tg.ones(7, 4, 3))
    h_n = last[0] if kind == "lstm" else last
    assert out.shape == (7, 4, 10) and h_n.shape == (4, 4, 5)
    if kind == "lstm":
        assert last[1].shape == (4, 4, 5)
    first = make_recurrent(kind, 3, 5, batch_first=True, bidirectional=True)
    out, last = first(tg.ones(4, 7, 3))
    assert out.shape == (4, 7, 10) and (last[0] if kind == "lstm" else last).shape == (2, 4, 5)
    out, last = first(tg.ones(7, 3))  # unbatched
    assert out.shape == (7, 10) and (last[0] if kind == "lstm" else last).shape == (2, 5)
    assert "bidirectional=True" in repr(first)


@pytest.mark.parametrize("kind", ["tanh", "lstm", "gru"])
def test_bidirectional_is_the_reverse_direction_on_the_flipped_sequence(kind: str) -> None:
    tg.manual_seed(5)
    both = make_recurrent(kind, 2, 3, bidirectional=True)
    forward, backward = make_recurrent(kind, 2, 3), make_recurrent(kind, 2, 3)
    state = both.state_dict()
    forward.load_state_dict({k: v for k, v in state.items() if not k.endswith("_reverse")})
    backward.load_state_dict(
        {k[: -len("_reverse")]: v for k, v in state.items() if k.endswith("_reverse")}
    )
    x = RNG.normal(size=(6, 2, 2))
    h0 = RNG.normal(size=(2, 2, 3))
    given: Any = (tg.tensor(h0), tg.tensor(-h0)) if kind == "lstm" else tg.tensor(h0)

    def part(d: int) -> Any:
        return tuple(s[d : d + 1] for s in given) if kind == "lstm" else given[d : d + 1]

    out, last = both(tg.tensor(x), given)
    ahead, ahead_last = forward(tg.tensor(x), part(0))
    behind, behind_last = backward(tg.tensor(x[::-1].copy()), part(1))
    out = out.detach().numpy()
    np.testing.assert_allclose(out[..., :3], ahead.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(out[..., 3:], behind.detach().numpy()[::-1], rtol=1e-13)
    states = (
        zip(last, ahead_last, behind_last) if kind == "lstm" else [(last, ahead_last, behind_last)]
    )
    for both_s, ahead_s, behind_s in states:
        np.testing.assert_allclose(both_s.detach().numpy()[0], ahead_s.detach().numpy()[0])
        np.testing.assert_allclose(both_s.detach().numpy()[1], behind_s.detach().numpy()[0])


@pytest.mark.parametrize("kind", ["tanh", "lstm", "gru"])
def test_bidirectional_gradients_match_finite_differences(kind: str) -> None:
    tg.manual_seed(6)
    module = make_recurrent(kind, 2, 2, num_layers=2, bidirectional=True, batch_first=True)
    x = leaf(RNG.normal(size=(2, 3, 2)))
    upstream = RNG.normal(size=(2, 3, 4))

    def loss(x: tg.Tensor) -> tg.Tensor:
        out, last = module(x)
        h_n = last[0] if kind == "lstm" else last
        return (out * upstream).sum() + (h_n**2).sum()

    assert tg.gradcheck(loss, [x], atol=1e-6, rtol=1e-5)
    assert parameter_gradcheck(module, lambda: loss(x))


@pytest.mark.parametrize("kind", ["tanh", "relu", "lstm", "gru"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_bidirectional_equals_pytorch(kind: str, batch_first: bool) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(7)
    settings: dict[str, Any] = {"num_layers": 2, "bidirectional": True, "batch_first": batch_first}
    if kind == "lstm":
        theirs = torch.nn.LSTM(3, 4, dtype=torch.float64, **settings)
    elif kind == "gru":
        theirs = torch.nn.GRU(3, 4, dtype=torch.float64, **settings)
    else:
        theirs = torch.nn.RNN(3, 4, nonlinearity=kind, dtype=torch.float64, **settings)
    ours = make_recurrent(kind, 3, 4, **settings)
    copy_from_torch(ours, theirs)
    x = RNG.normal(size=(2, 5, 3) if batch_first else (5, 2, 3))
    h0, c0 = RNG.normal(size=(4, 2, 4)), RNG.normal(size=(4, 2, 4))
    upstream, h_up = RNG.normal(size=(*x.shape[:2], 8)), RNG.normal(size=(4, 2, 4))

    def total(module: Any, library: Any, x: Any, h0: Any, c0: Any) -> tuple[Any, Any]:
        out, last = module(x, (h0, c0) if kind == "lstm" else h0)
        h_n = last[0] if kind == "lstm" else last
        loss = (out * library.tensor(upstream)).sum() + (h_n * library.tensor(h_up)).sum()
        if kind == "lstm":
            loss = loss + (last[1] ** 2).sum()
        return out, loss

    mine = [leaf(a) for a in (x, h0, c0)]
    out, loss = total(ours, tg, *mine)
    loss.backward()
    t_inputs = [torch.tensor(a, requires_grad=True) for a in (x, h0, c0)]
    t_out, t_loss = total(theirs, torch, *t_inputs)
    t_loss.backward()
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-12)
    for a, t in zip(mine, t_inputs):
        if t.grad is not None:
            np.testing.assert_allclose(
                a.grad.detach().numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12
            )
    assert_same_gradients(ours, theirs)


def test_bidirectional_dropout_between_layers_only_in_training() -> None:
    tg.manual_seed(8)
    module = nn.GRU(2, 3, num_layers=2, dropout=0.5, bidirectional=True)
    x = tg.tensor(RNG.normal(size=(4, 2, 2)))
    module.eval()
    a, b = (module(x)[0].detach().numpy() for _ in range(2))
    np.testing.assert_array_equal(a, b)
    module.train()
    c = module(x)[0].detach().numpy()
    assert not np.allclose(a, c)
    single = nn.GRU(2, 3, num_layers=1, bidirectional=True)
    single.train()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no dropout, no warning, with one layer
        np.testing.assert_array_equal(
            single(x)[0].detach().numpy(), single.eval()(x)[0].detach().numpy()
        )


# ------------------------------------------------------------------ modes, compile, errors


def compiled_equals_eager(fn: Callable[..., tg.Tensor], *inputs: tg.Tensor) -> None:
    eager_loss = fn(*inputs)
    eager = tg.grad(eager_loss, list(inputs))
    loss, grads = tg.compile(fn)(*[leaf(t.detach().numpy()) for t in inputs])
    np.testing.assert_allclose(loss.item(), eager_loss.item(), rtol=1e-12)
    for got, want in zip(grads, eager):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)


def test_compiled_steps_equal_eager() -> None:
    tg.manual_seed(9)
    model = nn.Transformer(4, 2, 1, 1, 8, dropout=0.0, batch_first=True)
    mask = nn.Transformer.generate_square_subsequent_mask(2)
    src, tgt = leaf(RNG.normal(size=(2, 3, 4))), leaf(RNG.normal(size=(2, 2, 4)))
    compiled_equals_eager(lambda s, t: (model(s, t, tgt_mask=mask) ** 2).sum(), src, tgt)
    lstm = nn.LSTM(2, 3, num_layers=2, bidirectional=True)
    compiled_equals_eager(lambda x: (lstm(x)[0] ** 2).sum(), leaf(RNG.normal(size=(4, 2, 2))))


def test_decoder_dropout_only_while_training_and_unbatched() -> None:
    tg.manual_seed(10)
    layer = nn.TransformerDecoderLayer(4, 2, 8, dropout=0.5)
    tgt, memory = tg.tensor(RNG.normal(size=(3, 4))), tg.tensor(RNG.normal(size=(5, 4)))
    assert layer(tgt, memory).shape == (3, 4)  # unbatched (T, E), (S, E)
    first, second = (layer(tgt, memory).detach().numpy() for _ in range(2))
    assert not np.allclose(first, second)
    layer.eval()
    first, second = (layer(tgt, memory).detach().numpy() for _ in range(2))
    np.testing.assert_array_equal(first, second)
    batched = layer(tgt.reshape(3, 1, 4), memory.reshape(5, 1, 4)).detach().numpy()
    np.testing.assert_allclose(batched[:, 0], first, rtol=1e-13)


def test_bidirectional_initial_state_shape_is_checked() -> None:
    lstm = nn.LSTM(2, 3, num_layers=2, bidirectional=True)
    h0 = tg.zeros(2, 1, 3)  # one direction's count: PyTorch wants 2 * num_layers
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(4, 1, 3\), got \[2, 1, 3\]"):
        lstm(tg.ones(5, 1, 2), (h0, h0))
    out, (h_n, c_n) = lstm(tg.ones(5, 1, 2), (tg.zeros(4, 1, 3), tg.zeros(4, 1, 3)))
    assert out.shape == (5, 1, 6) and h_n.shape == c_n.shape == (4, 1, 3)
    # the last forward step and the first reverse step are h_n's last layer's two states
    np.testing.assert_allclose(out.detach().numpy()[-1, :, :3], h_n.detach().numpy()[2])
    np.testing.assert_allclose(out.detach().numpy()[0, :, 3:], h_n.detach().numpy()[3])
