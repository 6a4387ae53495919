"""Embedding, dropout, layer norm and attention: gradients against finite differences
(first and second order), compiled == eager, and PyTorch when it is installed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinygrad_nn as tg
from tinygrad_nn import nn
from tinygrad_nn.nn import functional as F
from tinygrad_nn.testing import arrays, shapes

SETTINGS = settings(max_examples=15, deadline=None)


def leaf(array) -> tg.Tensor:
    return tg.Tensor(np.asarray(array, dtype=float), requires_grad=True)


def compiled_equals_eager(fn, *inputs) -> None:
    eager_loss = fn(*inputs)
    eager = tg.grad(eager_loss, list(inputs))
    loss, grads = tg.compile(fn)(*[tg.Tensor(t.data, requires_grad=True) for t in inputs])
    np.testing.assert_allclose(
        loss.detach().numpy(), eager_loss.detach().numpy(), rtol=1e-12, atol=1e-12
    )
    for got, want in zip(grads, eager):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)


@SETTINGS
@given(data=st.data(), rows=st.integers(1, 4), dim=st.integers(1, 3))
def test_embedding_sums_the_gradients_of_repeated_rows(data, rows, dim) -> None:
    index_shape = data.draw(shapes(max_dims=2, max_side=4))
    indices = data.draw(arrays(index_shape, st.integers(0, rows - 1), dtype=np.int64))
    weight = leaf(data.draw(arrays((rows, dim))))
    upstream = data.draw(arrays((*index_shape, dim)))

    def loss(w):
        return (F.embedding(indices, w) * upstream).sum()

    assert tg.gradcheck(loss, [weight])
    expected = np.zeros((rows, dim))
    np.add.at(expected, indices, upstream)
    np.testing.assert_allclose(tg.grad(loss(weight), [weight])[0].numpy(), expected)
    compiled_equals_eager(loss, weight)


@SETTINGS
@given(data=st.data())
def test_layer_norm_gradients_first_and_second_order(data) -> None:
    shape = data.draw(shapes(min_dims=1, max_dims=3, max_side=4))
    last = data.draw(st.integers(1, len(shape)))
    normalized = shape[len(shape) - last :]
    x = data.draw(arrays(shape, unique=True))
    assume(np.prod(normalized) > 1 and np.ptp(x) > 0.1)  # a spread to normalise
    weight, bias = data.draw(arrays(normalized)), data.draw(arrays(normalized))
    upstream = data.draw(arrays(shape))
    inputs = [leaf(x), leaf(weight), leaf(bias)]

    def loss(x, w, b):
        return (F.layer_norm(x, normalized, w, b) * upstream).sum()

    assert tg.gradcheck(loss, inputs)
    assert tg.gradgradcheck(loss, inputs)
    compiled_equals_eager(loss, *inputs)


def test_layer_norm_normalises_and_checks_its_shape() -> None:
    out = nn.LayerNorm(3)(tg.tensor([[1.0, 2.0, 6.0]]))
    np.testing.assert_allclose(out.detach().numpy().mean(-1), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.detach().numpy().var(-1), 1.0, rtol=1e-4)
    with pytest.raises(ValueError, match=r"normalized_shape \(4,\) must be the last axes"):
        F.layer_norm(tg.ones(2, 3), 4)


def test_dropout_keeps_the_expected_value_and_is_seeded() -> None:
    x = tg.ones(200, 50, requires_grad=True)
    tg.manual_seed(0)
    y = F.dropout(x, 0.25)
    kept = y.detach().numpy() != 0
    assert 0.7 < kept.mean() < 0.8
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.75)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.75)  # the same mask, backward
    tg.manual_seed(0)
    np.testing.assert_array_equal(F.dropout(x, 0.25).detach().numpy(), y.detach().numpy())
    layer = nn.Dropout(0.5)
    assert layer.eval()(x) is x and F.dropout(x, 1.0).detach().numpy().sum() == 0
    with pytest.raises(ValueError, match="must be in"):
        F.dropout(x, 1.5)


MASKS = st.sampled_from(["none", "causal", "bool", "float"])


@SETTINGS
@given(data=st.data(), mask_kind=MASKS)
def test_attention_gradients_first_and_second_order(data, mask_kind) -> None:
    batch = data.draw(shapes(max_dims=1, max_side=2))
    length, source, e, ev = (data.draw(st.integers(1, 3)) for _ in range(4))
    if mask_kind == "causal":
        source = length
    q, k, v = (
        data.draw(arrays((*batch, n, d))) for n, d in ((length, e), (source, e), (source, ev))
    )
    mask = None
    if mask_kind == "bool":  # every query keeps at least its first key
        mask = data.draw(arrays((length, source), st.booleans(), dtype=bool))
        mask[:, 0] = True
    elif mask_kind == "float":
        mask = data.draw(arrays((length, source)))
    upstream = data.draw(arrays((*batch, length, ev)))

    def loss(q, k, v):
        out = F.scaled_dot_product_attention(q, k, v, mask, is_causal=mask_kind == "causal")
        return (out * upstream).sum()

    inputs = [leaf(q), leaf(k), leaf(v)]
    assert tg.gradcheck(loss, inputs)
    assert tg.gradgradcheck(loss, inputs)
    compiled_equals_eager(loss, *inputs)


def test_attention_masks_as_pytorch_defines_them() -> None:
    q = k = tg.zeros(3, 2)
    v = tg.tensor([[1.0], [2.0], [3.0]])
    causal = F.scaled_dot_product_attention(q, k, v, is_causal=True).numpy().ravel()
    np.testing.assert_allclose(causal, [1.0, 1.5, 2.0])  # position i averages 0..i
    keep_last = np.array([[False, False, True]] * 3)
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, k, v, keep_last).numpy(), 3.0)
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, k, v, keep_last, is_causal=True)


@pytest.mark.parametrize("batch_first", [True, False])
def test_multihead_attention_gradients_and_shapes(batch_first) -> None:
    tg.manual_seed(0)
    attention = nn.MultiheadAttention(4, 2, batch_first=batch_first)
    shape = (2, 3, 4) if batch_first else (3, 2, 4)
    x = leaf(np.random.default_rng(0).normal(size=shape))
    out, weights = attention(x, x, x, is_causal=True)
    assert out.shape == shape and weights.shape == (2, 3, 3)
    np.testing.assert_allclose(weights.detach().numpy().sum(-1), 1.0)
    assert np.all(np.triu(weights.detach().numpy()[0], 1) == 0)

    def loss(x):
        return attention(x, x, x, is_causal=True)[0].sum()

    assert tg.gradcheck(loss, [x])
    compiled_equals_eager(loss, x)
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(5, 2)


def test_embedding_refuses_bad_indices() -> None:
    layer = nn.Embedding(3, 2)
    with pytest.raises(IndexError, match=r"must be in \[0, 3\)"):
        layer(tg.tensor([3]))
    with pytest.raises(TypeError, match="must be integers"):
        layer(tg.tensor([0.5]))


def test_against_pytorch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(2, 3, 4)), rng.normal(size=4), rng.normal(size=4)
    ours = F.layer_norm(tg.tensor(x), 4, tg.tensor(w), tg.tensor(b)).numpy()
    theirs = torch.nn.functional.layer_norm(
        *(torch.tensor(a) for a in (x,)), (4,), torch.tensor(w), torch.tensor(b)
    )
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10)
    q, k, v = (rng.normal(size=(2, 3, 4)) for _ in range(3))
    mask = rng.random((3, 3)) > 0.3
    mask[:, 0] = True
    for kwargs in ({}, {"is_causal": True}, {"attn_mask": mask}, {"attn_mask": mask * 1.5}):
        ours = F.scaled_dot_product_attention(tg.tensor(q), tg.tensor(k), tg.tensor(v), **kwargs)
        torch_kwargs = {
            key: torch.tensor(val) if key == "attn_mask" else val for key, val in kwargs.items()
        }
        theirs = torch.nn.functional.scaled_dot_product_attention(
            torch.tensor(q), torch.tensor(k), torch.tensor(v), **torch_kwargs
        )
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10)
    # multi-head attention with the same weights (both store Linear weights as (out, in))
    ours_mha = nn.MultiheadAttention(4, 2, batch_first=True)
    theirs_mha = torch.nn.MultiheadAttention(4, 2, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        projections = [ours_mha.q_proj, ours_mha.k_proj, ours_mha.v_proj]
        theirs_mha.in_proj_weight.copy_(
            torch.tensor(np.concatenate([p.weight.detach().numpy() for p in projections]))
        )
        theirs_mha.in_proj_bias.copy_(
            torch.tensor(np.concatenate([p.bias.detach().numpy() for p in projections]))
        )
        theirs_mha.out_proj.weight.copy_(torch.tensor(ours_mha.out_proj.weight.detach().numpy()))
        theirs_mha.out_proj.bias.copy_(torch.tensor(ours_mha.out_proj.bias.detach().numpy()))
    out, weights = ours_mha(tg.tensor(q), tg.tensor(k), tg.tensor(v))
    t_out, t_weights = theirs_mha(torch.tensor(q), torch.tensor(k), torch.tensor(v))
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weights.detach().numpy(), t_weights.detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_encoder_layer_gradients_and_pytorch(norm_first) -> None:
    tg.manual_seed(0)
    layer = nn.TransformerEncoderLayer(
        4, 2, 8, dropout=0.0, batch_first=True, norm_first=norm_first
    )
    x = leaf(np.random.default_rng(1).normal(size=(2, 3, 4)))

    def loss(x):
        return (layer(x, is_causal=True) ** 2).sum()

    assert tg.gradcheck(loss, [x])
    compiled_equals_eager(loss, x)
    torch = pytest.importorskip("torch")
    theirs = torch.nn.TransformerEncoderLayer(
        4, 2, 8, dropout=0.0, batch_first=True, norm_first=norm_first, dtype=torch.float64
    )
    attention = layer.self_attn
    projections = [attention.q_proj, attention.k_proj, attention.v_proj]
    with torch.no_grad():
        copies = {
            "self_attn.in_proj_weight": np.concatenate(
                [p.weight.detach().numpy() for p in projections]
            ),
            "self_attn.in_proj_bias": np.concatenate(
                [p.bias.detach().numpy() for p in projections]
            ),
            "self_attn.out_proj.weight": attention.out_proj.weight.detach().numpy(),
            "self_attn.out_proj.bias": attention.out_proj.bias.detach().numpy(),
            "linear1.weight": layer.linear1.weight.detach().numpy(),
            "linear1.bias": layer.linear1.bias.detach().numpy(),
            "linear2.weight": layer.linear2.weight.detach().numpy(),
            "linear2.bias": layer.linear2.bias.detach().numpy(),
        }
        for name, value in theirs.named_parameters():
            if name in copies:
                value.copy_(torch.tensor(np.ascontiguousarray(copies[name])))
    mask = torch.nn.Transformer.generate_square_subsequent_mask(3, dtype=torch.float64)
    want = theirs(torch.tensor(x.detach().numpy()), src_mask=mask, is_causal=True).detach().numpy()
    np.testing.assert_allclose(
        layer(x, is_causal=True).detach().numpy(), want, rtol=1e-9, atol=1e-12
    )


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2), (3, 3, 2, 2)])
def test_batch_norm_gradients_and_running_statistics(shape) -> None:
    rng = np.random.default_rng(0)
    x = leaf(rng.normal(size=shape))
    w, b = leaf(rng.normal(size=3)), leaf(rng.normal(size=3))
    upstream = rng.normal(size=shape)

    def loss(x, w, b):
        return (F.batch_norm(x, None, None, w, b, training=True) * upstream).sum()

    assert tg.gradcheck(loss, [x, w, b])
    assert tg.gradgradcheck(loss, [x, w, b], atol=1e-4)
    compiled_equals_eager(loss, x, w, b)
    layer = (nn.BatchNorm1d if len(shape) < 4 else nn.BatchNorm2d)(3, momentum=0.5)
    layer(x)
    axes = tuple(i for i in range(len(shape)) if i != 1)
    np.testing.assert_allclose(
        layer.running_mean.detach().numpy(), 0.5 * x.detach().numpy().mean(axis=axes)
    )
    unbiased = x.detach().numpy().var(axis=axes, ddof=1)
    np.testing.assert_allclose(layer.running_var.numpy(), 0.5 + 0.5 * unbiased)
    assert {"running_mean", "running_var"} <= set(layer.state_dict())
    assert len(list(layer.parameters())) == 2  # buffers are not trained
    evaluated = layer.eval()(x).detach().numpy()
    moved = layer.running_mean.numpy().reshape((1, 3) + (1,) * (len(shape) - 2))
    scale = np.sqrt(layer.running_var.numpy().reshape(moved.shape) + 1e-5)
    np.testing.assert_allclose(evaluated, (x.detach().numpy() - moved) / scale, rtol=1e-12)
    with pytest.raises(ValueError, match="channels on axis 1"):
        layer(tg.ones(2, 4))


def test_batch_norm_against_pytorch() -> None:
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).normal(size=(4, 3, 2, 2))
    ours, theirs = nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3, dtype=torch.float64)
    for _ in range(2):
        out, t_out = ours(tg.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-12)
    ours.eval(), theirs.eval()
    np.testing.assert_allclose(
        ours(tg.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10
    )
