"""Fuzzing nn with bad and edge inputs (issue 23): every refusal is a clear error that
names the op and the sizes and leaves state alone; every accepted input gives finite,
correctly shaped results in the input's dtype."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nn as tg
from tinygrad_nn import nn
from tinygrad_nn.nn import functional as F
from tinygrad_nn.testing import arrays

SETTINGS = settings(max_examples=30, deadline=None)


@SETTINGS
@given(
    kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    padding=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    stride=st.integers(1, 3),
    pool=st.sampled_from(["max", "avg"]),
)
def test_pooling_refuses_exactly_the_paddings_pytorch_refuses(kernel, padding, stride, pool):
    fn = F.max_pool2d if pool == "max" else F.avg_pool2d
    x = tg.tensor(np.random.default_rng(0).normal(size=(1, 2, 7, 7)))
    too_much = [p > k // 2 for k, p in zip(kernel, padding)]
    if any(too_much):
        axis = too_much.index(True)  # height first, as PyTorch
        with pytest.raises(RuntimeError) as error:
            fn(x, kernel, stride, padding)
        assert f"{pool}_pool2d: pad should be at most half of effective kernel size" in str(
            error.value
        )
        assert f"pad={padding[axis]}, kernel_size={kernel[axis]}" in str(error.value)
        return
    out = fn(x, kernel, stride, padding)
    want = tuple((7 + 2 * p - k) // stride + 1 for k, p in zip(kernel, padding))
    assert out.shape == (1, 2, *want)
    assert np.all(np.isfinite(out.numpy()))  # every window reaches the image


@SETTINGS
@given(
    shape=st.sampled_from([(1, 3), (1, 3, 1), (1, 3, 1, 1), (2, 3), (1, 3, 2), (1, 3, 1, 2)]),
    momentum=st.floats(0.0, 1.0),
)
def test_batch_norm_one_value_per_channel_is_refused_and_state_kept(shape, momentum):
    layer = (nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d)(3, momentum=momentum)
    layer.running_mean.data = np.arange(3.0)
    before = {k: v.copy() for k, v in layer.state_dict().items()}
    x = tg.tensor(np.random.default_rng(1).normal(size=shape))
    if np.prod(shape) // 3 == 1:
        with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
            layer(x)
        for key, value in layer.state_dict().items():
            np.testing.assert_array_equal(value, before[key])
    else:
        out = layer(x)
        assert out.shape == shape and np.all(np.isfinite(out.detach().numpy()))


@SETTINGS
@given(
    batch=st.integers(1, 3),
    length=st.integers(1, 3),
    source=st.integers(1, 4),
    wrong=st.sampled_from(["attn_2d", "attn_3d", "attn_4d", "padding", "dtype"]),
    data=st.data(),
)
def test_multihead_attention_refuses_badly_shaped_masks(batch, length, source, wrong, data):
    attention = nn.MultiheadAttention(4, 2, batch_first=True)
    before = [p.detach().numpy().copy() for p in attention.parameters()]
    q = tg.ones(batch, length, 4)
    kv = tg.ones(batch, source, 4)
    bump = data.draw(st.integers(1, 2))
    kwargs = {
        "attn_2d": {"attn_mask": np.zeros((length + bump, source), dtype=bool)},
        "attn_3d": {"attn_mask": np.zeros((batch * 2 + bump, length, source))},
        "attn_4d": {"attn_mask": np.zeros((batch, 2, length, source), dtype=bool)},
        "padding": {"key_padding_mask": np.zeros((batch, source + bump), dtype=bool)},
        "dtype": {"attn_mask": np.zeros((length, source), dtype=np.int32)},
    }[wrong]
    kind = {"padding": ValueError, "dtype": TypeError}.get(wrong, RuntimeError)
    with pytest.raises(kind, match=r"MultiheadAttention: .*(attn_mask|key_padding_mask)"):
        attention(q, kv, kv, **kwargs)
    for p, b in zip(attention.parameters(), before):
        np.testing.assert_array_equal(p.detach().numpy(), b)


def safe_attention(q, k, v, allowed):
    """NumPy attention in which a row with no allowed key gives zeros (PyTorch >= 2.5)."""
    scores = np.where(allowed, q @ k.swapaxes(-1, -2) / np.sqrt(q.shape[-1]), -np.inf)
    alive = allowed.any(-1, keepdims=True)
    scores = np.where(alive, scores, 0.0)
    e = np.exp(scores - scores.max(-1, keepdims=True))
    return np.where(alive, e / e.sum(-1, keepdims=True), 0.0) @ v


@SETTINGS
@given(data=st.data(), length=st.integers(1, 3), source=st.integers(1, 3))
def test_sdpa_any_boolean_mask_gives_finite_values_and_gradients(data, length, source):
    q, k, v = (
        data.draw(arrays(shape)) for shape in ((2, length, 2), (2, source, 2), (2, source, 3))
    )
    allowed = data.draw(arrays((2, length, source), st.booleans(), dtype=bool))
    leaves = [tg.tensor(a, requires_grad=True) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(*leaves, allowed)
    np.testing.assert_allclose(out.detach().numpy(), safe_attention(q, k, v, allowed), atol=1e-12)
    out.sum().backward()
    for leaf in leaves:
        assert np.all(np.isfinite(leaf.grad.numpy()))
    upstream = data.draw(arrays(out.shape))
    assert tg.gradcheck(
        lambda *t: (F.scaled_dot_product_attention(*t, allowed) * upstream).sum(),
        [tg.tensor(a, requires_grad=True) for a in (q, k, v)],
    )


@SETTINGS
@given(
    shape=st.sampled_from([(4, 3), (2, 3, 4), (2, 3, 2, 2)]),
    other=st.sampled_from([(4, 2), (3, 3, 4), (2, 3, 2), (2, 2, 2, 3)]),
)
def test_cross_entropy_probability_targets_of_another_shape_are_refused(shape, other):
    if shape == other:
        return
    target = np.full(other, 1.0 / other[min(1, len(other) - 1)])
    message = f"cross_entropy: prediction has shape {shape} but target has shape {other}"
    with pytest.raises(ValueError, match=re.escape(message)):
        F.cross_entropy(tg.zeros(*shape), target)


LOSS_CALLS = {
    "mse": lambda p, t: F.mse_loss(p, t),
    "l1": lambda p, t: F.l1_loss(p, t, reduction="sum"),
    "huber": lambda p, t: F.huber_loss(p, t, delta=0.5),
    "smooth_l1": lambda p, t: F.smooth_l1_loss(p, t, beta=0.5),
    "bce": lambda p, t: F.binary_cross_entropy(p.sigmoid(), t, weight=np.full(t.shape, 2.0)),
    "bce_logits": lambda p, t: F.binary_cross_entropy_with_logits(
        p, t, pos_weight=np.full(t.shape[-1:], 3.0)
    ),
    "soft_ce": lambda p, t: F.cross_entropy(p, t / t.sum(-1, keepdims=True), label_smoothing=0.1),
    "SSE": lambda p, t: nn.SSE()(p, t),
    "MSE": lambda p, t: nn.MSE()(p, t),
    "BCE": lambda p, t: nn.BCE()(p.sigmoid(), t),
}


@SETTINGS
@given(
    name=st.sampled_from(sorted(LOSS_CALLS)),
    dtype=st.sampled_from([np.float32, np.float64]),
    data=st.data(),
)
def test_losses_keep_the_predictions_dtype(name, dtype, data):
    shape = data.draw(st.sampled_from([(3,), (2, 3), (4, 2)]))
    prediction = tg.tensor(data.draw(arrays(shape)), dtype=dtype, requires_grad=True)
    target = data.draw(arrays(shape, st.floats(0.05, 0.95)))  # float64 host data
    loss = LOSS_CALLS[name](prediction, target)
    assert loss.dtype == dtype
    (grad,) = tg.grad(loss, [prediction])
    assert grad.dtype == dtype and np.all(np.isfinite(grad.numpy()))
