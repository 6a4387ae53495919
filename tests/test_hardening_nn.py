"""Hardening of nn (issue 23): attention masks as PyTorch reads them, cross_entropy's
class axis with probability targets, pooling's padding limit, batch norm with one value
per channel, and every loss keeping a float32 model in float32 (and on array-api-strict).

Each test failed on the code before its fix; the references are NumPy, written here."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn import nn
from tinygrad_nn.nn import functional as F

RNG = np.random.default_rng(23)


def leaf(array) -> tg.Tensor:
    return tg.Tensor(np.asarray(array, dtype=float), requires_grad=True)


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# ---------------------------------------------------------------- 1. mask conventions


def reference_mha(module, query, key, value, blocked=None, added=None):
    """Multi-head attention in NumPy, batch first: ``blocked`` (True = not attended) and
    ``added`` (a float mask) broadcast against the (N, heads, L, S) scores."""
    heads = module.num_heads

    def project(layer, x):
        return (
            x @ layer.weight.detach().numpy().T + layer.bias.detach().numpy()
        )  # Linear: (out, in)

    def split(x):
        n, length, e = x.shape
        return x.reshape(n, length, heads, e // heads).transpose(0, 2, 1, 3)

    q, k, v = (
        split(project(layer, x))
        for layer, x in ((module.q_proj, query), (module.k_proj, key), (module.v_proj, value))
    )
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(q.shape[-1])
    if added is not None:
        scores = scores + added
    if blocked is not None:
        scores = np.where(blocked, -np.inf, scores)
    weights = softmax(scores)
    joined = (weights @ v).transpose(0, 2, 1, 3).reshape(query.shape)
    return project(module.out_proj, joined), weights


def mha_inputs(n=2, length=3, source=4, e=4):
    q = RNG.normal(size=(n, length, e))
    kv = RNG.normal(size=(n, source, e))
    return q, kv, RNG.normal(size=(n, source, e))


def test_multihead_attention_boolean_attn_mask_is_true_where_masked_out() -> None:
    tg.manual_seed(0)
    attention = nn.MultiheadAttention(4, 2, batch_first=True)
    q, k, v = mha_inputs()
    blocked = np.array([[False, True, False, True]] * 3)  # (L, S): True = not attended
    out, weights = attention(tg.tensor(q), tg.tensor(k), tg.tensor(v), attn_mask=blocked)
    want_out, want_weights = reference_mha(attention, q, k, v, blocked=blocked)
    np.testing.assert_allclose(out.detach().numpy(), want_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        weights.detach().numpy(), want_weights.mean(1), rtol=1e-10, atol=1e-12
    )
    assert np.all(weights.detach().numpy()[..., blocked[0]] == 0)


def test_multihead_attention_float_and_per_head_masks_are_added() -> None:
    tg.manual_seed(1)
    attention = nn.MultiheadAttention(4, 2, batch_first=True)
    q, k, v = mha_inputs()
    added = RNG.normal(size=(2 * 2, 3, 4))  # (N * heads, L, S), PyTorch's 3-D layout
    out, weights = attention(
        tg.tensor(q), tg.tensor(k), tg.tensor(v), attn_mask=added, average_attn_weights=False
    )
    want_out, want_weights = reference_mha(attention, q, k, v, added=added.reshape(2, 2, 3, 4))
    np.testing.assert_allclose(out.detach().numpy(), want_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weights.detach().numpy(), want_weights, rtol=1e-10, atol=1e-12)


def test_multihead_attention_key_padding_mask_ignores_padded_keys() -> None:
    tg.manual_seed(2)
    attention = nn.MultiheadAttention(4, 2)  # (L, N, E), PyTorch's default layout
    q, k, v = mha_inputs()
    padding = np.array([[False, False, True, True], [False, False, False, True]])  # (N, S)
    as_seq = [tg.tensor(a.transpose(1, 0, 2)) for a in (q, k, v)]
    out, weights = attention(*as_seq, key_padding_mask=padding)
    want_out, want_weights = reference_mha(attention, q, k, v, blocked=padding[:, None, None])
    np.testing.assert_allclose(
        out.detach().numpy(), want_out.transpose(1, 0, 2), rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(
        weights.detach().numpy(), want_weights.mean(1), rtol=1e-10, atol=1e-12
    )
    # positional, in PyTorch's order: query, key, value, key_padding_mask, need_weights
    out2, none = attention(*as_seq, padding, False)
    assert none is None
    np.testing.assert_allclose(out2.detach().numpy(), out.detach().numpy())
    # a float key padding mask is added, and combines with a boolean attn_mask
    added = RNG.normal(size=(2, 4))
    blocked = np.tril(np.ones((3, 4), dtype=bool), 1) == 0
    out3, _ = attention(*as_seq, key_padding_mask=added, attn_mask=blocked)
    want3, _ = reference_mha(attention, q, k, v, blocked=blocked, added=added[:, None, None])
    np.testing.assert_allclose(
        out3.detach().numpy(), want3.transpose(1, 0, 2), rtol=1e-10, atol=1e-12
    )


def test_multihead_attention_unbatched_input_as_pytorch() -> None:
    tg.manual_seed(3)
    attention = nn.MultiheadAttention(4, 2)
    q, k, v = (a[0] for a in mha_inputs(n=1))
    padding = np.array([False, True, False, False])  # (S,) for an unbatched input
    out, weights = attention(tg.tensor(q), tg.tensor(k), tg.tensor(v), key_padding_mask=padding)
    want_out, want_weights = reference_mha(
        attention, q[None], k[None], v[None], blocked=padding[None, None, None]
    )
    assert out.shape == (3, 4) and weights.shape == (3, 4)
    np.testing.assert_allclose(out.detach().numpy(), want_out[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weights.detach().numpy(), want_weights[0].mean(0), rtol=1e-10)


def test_multihead_attention_refuses_masks_of_the_wrong_shape_or_dtype() -> None:
    attention = nn.MultiheadAttention(4, 2, batch_first=True)
    q, k, v = (tg.tensor(a) for a in mha_inputs())
    with pytest.raises(RuntimeError, match=r"2D attn_mask is \(4, 3\), but should be \(3, 4\)"):
        attention(q, k, v, attn_mask=np.zeros((4, 3), dtype=bool))
    with pytest.raises(
        RuntimeError, match=r"3D attn_mask is \(2, 3, 4\), but should be \(4, 3, 4\)"
    ):
        attention(q, k, v, attn_mask=np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"key_padding_mask shape of \(2, 4\), but got \(4,\)"):
        attention(q, k, v, key_padding_mask=np.zeros(4, dtype=bool))
    with pytest.raises(TypeError, match="only bool and floating types of attn_mask"):
        attention(q, k, v, attn_mask=np.zeros((3, 4), dtype=np.int64))


def test_multihead_attention_uses_attn_mask_when_is_causal_is_a_hint() -> None:
    """PyTorch reads is_causal as a hint that attn_mask is causal: both together are fine."""
    attention = nn.MultiheadAttention(4, 2, batch_first=True)
    x = tg.tensor(RNG.normal(size=(2, 3, 4)))
    causal = np.triu(np.ones((3, 3), dtype=bool), 1)  # True above the diagonal: masked
    with_hint, _ = attention(x, x, x, attn_mask=causal, is_causal=True)
    without, _ = attention(x, x, x, attn_mask=causal)
    alone, _ = attention(x, x, x, is_causal=True)  # here is_causal alone makes the mask
    np.testing.assert_allclose(with_hint.detach().numpy(), without.detach().numpy())
    np.testing.assert_allclose(alone.detach().numpy(), without.detach().numpy())


def test_transformer_encoder_layer_masks_as_pytorch() -> None:
    tg.manual_seed(4)
    layer = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True)
    x = RNG.normal(size=(2, 4, 4))
    causal_bool = np.triu(np.ones((4, 4), dtype=bool), 1)
    causal_float = np.where(causal_bool, -np.inf, 0.0)  # generate_square_subsequent_mask
    by_bool = layer(tg.tensor(x), src_mask=causal_bool).detach().numpy()
    np.testing.assert_allclose(by_bool, layer(tg.tensor(x), src_mask=causal_float).detach().numpy())
    np.testing.assert_allclose(by_bool, layer(tg.tensor(x), is_causal=True).detach().numpy())
    # a causal mask: changing the last position leaves the earlier ones alone
    moved = x.copy()
    moved[:, -1] += 1.0
    causal_moved = layer(tg.tensor(moved), src_mask=causal_bool).detach().numpy()
    np.testing.assert_allclose(causal_moved[:, :-1], by_bool[:, :-1])
    # a padded key changes only its own position's output
    padding = np.array([[False, False, False, True]] * 2)
    padded = layer(tg.tensor(x), src_key_padding_mask=padding).detach().numpy()
    moved_padded = layer(tg.tensor(moved), src_key_padding_mask=padding).detach().numpy()
    np.testing.assert_allclose(moved_padded[:, :-1], padded[:, :-1], rtol=1e-12, atol=1e-12)
    assert not np.allclose(padded[:, :-1], layer(tg.tensor(x)).detach().numpy()[:, :-1])


# ---------------------------------------------------------------- 2. mask gradient, dead rows


def test_sdpa_float_mask_that_requires_grad_gets_the_scores_gradient() -> None:
    q, k, v = (leaf(RNG.normal(size=(2, 3, 2))) for _ in range(3))
    mask = leaf(RNG.normal(size=(3, 3)))
    upstream = RNG.normal(size=(2, 3, 2))

    def loss(q, k, v, mask):
        return (F.scaled_dot_product_attention(q, k, v, mask) * upstream).sum()

    assert tg.gradcheck(loss, [q, k, v, mask])
    assert tg.gradgradcheck(loss, [q, k, v, mask])
    # the mask's gradient is the scores' gradient, summed over the batch it broadcasts over
    scores = q @ k.swapaxes(-2, -1) * (1 / np.sqrt(2)) + mask
    by_scores = tg.grad(((scores.softmax(-1) @ v) * upstream).sum(), [scores])[0]
    mask_grad = tg.grad(loss(q, k, v, mask), [mask])[0]
    np.testing.assert_allclose(mask_grad.numpy(), by_scores.numpy().sum(0), rtol=1e-12)


def test_sdpa_float_mask_of_another_float_dtype_still_gets_a_gradient() -> None:
    q = k = v = tg.ones(2, 2, dtype=np.float32)
    mask = tg.tensor([[0.0, 1.0], [2.0, 0.0]], requires_grad=True)  # float64
    out = F.scaled_dot_product_attention(q, k, v * tg.tensor([[1.0], [3.0]], dtype=np.float32),
                                         mask)  # fmt: skip
    assert out.dtype == np.float32
    out.sum().backward()
    assert mask.grad is not None and mask.grad.dtype == np.float64
    assert np.abs(mask.grad.numpy()).sum() > 0


def test_sdpa_fully_masked_row_gives_zeros_and_finite_gradients() -> None:
    """PyTorch >= 2.5 (its math backend's _safe_softmax): a query that may attend to no key
    gets zero weights, so a zero output, and zero gradients, not NaN."""
    q, k, v = (leaf(RNG.normal(size=(3, 2))) for _ in range(3))
    allowed = np.array([[True, False, True], [False, False, False], [True, True, True]])
    out = F.scaled_dot_product_attention(q, k, v, allowed)
    assert np.all(np.isfinite(out.detach().numpy())) and np.all(out.detach().numpy()[1] == 0)
    partial = F.scaled_dot_product_attention(q[[0, 2]], k, v, allowed[[0, 2]])
    np.testing.assert_allclose(out.detach().numpy()[[0, 2]], partial.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    for t in (q, k, v):
        assert np.all(np.isfinite(t.grad.numpy()))
    assert np.all(q.grad.numpy()[1] == 0)
    upstream = RNG.normal(size=(3, 2))
    assert tg.gradcheck(
        lambda q, k, v: (F.scaled_dot_product_attention(q, k, v, allowed) * upstream).sum(),
        [q, k, v],
    )
    # a float mask of -inf across a row is fully masked too
    minus_inf = np.where(allowed, 0.0, -np.inf)
    by_float = F.scaled_dot_product_attention(q, k, v, minus_inf).detach().numpy()
    np.testing.assert_allclose(by_float, out.detach().numpy(), rtol=1e-12)


def test_multihead_attention_fully_padded_sequence_gives_no_nan() -> None:
    tg.manual_seed(5)
    attention = nn.MultiheadAttention(4, 2, batch_first=True)
    x = leaf(RNG.normal(size=(2, 3, 4)))
    padding = np.array([[False, False, True], [True, True, True]])  # sequence 1: all padding
    out, weights = attention(x, x, x, key_padding_mask=padding)
    assert np.all(np.isfinite(out.detach().numpy())) and np.all(weights.detach().numpy()[1] == 0)
    np.testing.assert_allclose(
        out.detach().numpy()[1], np.tile(attention.out_proj.bias.detach().numpy(), (3, 1))
    )
    out.sum().backward()
    assert all(np.all(np.isfinite(p.grad.numpy())) for p in attention.parameters())


# ---------------------------------------------------------------- 3. cross_entropy's class axis


def reference_cross_entropy(logits, target, weight=None, label_smoothing=0.0, reduction="mean"):
    classes = logits.shape[1] if logits.ndim > 1 else logits.shape[0]
    axis = 1 if logits.ndim > 1 else 0
    shifted = logits - logits.max(axis, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis, keepdims=True))
    smoothed = target * (1 - label_smoothing) + label_smoothing / classes
    w = np.ones(classes) if weight is None else np.asarray(weight, dtype=float)
    w = w.reshape((classes,) + (1,) * (logits.ndim - axis - 1))
    per_element = -(log_p * smoothed * w).sum(axis)
    return {"none": per_element, "sum": per_element.sum(), "mean": per_element.mean()}[reduction]


def probabilities(shape, axis=1):
    p = RNG.uniform(size=shape)
    return p / p.sum(axis, keepdims=True)


@pytest.mark.parametrize("shape", [(32, 4, 4, 4), (5, 3, 2), (4, 3), (3,)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    "options", [{}, {"label_smoothing": 0.2}, {"weight": [0.5, 2.0, 1.0]}], ids=str
)
def test_cross_entropy_probability_targets_reduce_over_the_class_axis(
    shape, reduction, options
) -> None:
    options = dict(options)
    if "weight" in options:
        options["weight"] = options["weight"] + [1.5] * (shape[min(1, len(shape) - 1)] - 3)
    logits = RNG.normal(size=shape)
    target = probabilities(shape, axis=1 if len(shape) > 1 else 0)
    want = reference_cross_entropy(logits, target, reduction=reduction, **options)
    got = F.cross_entropy(tg.tensor(logits), tg.tensor(target), reduction=reduction, **options)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)
    module = nn.CrossEntropyLoss(reduction=reduction, **options)
    np.testing.assert_allclose(module(tg.tensor(logits), target).numpy(), want, rtol=1e-10)


def test_cross_entropy_probability_targets_gradient_on_images() -> None:
    logits = leaf(RNG.normal(size=(2, 3, 2, 2)))
    target = probabilities((2, 3, 2, 2))
    assert tg.gradcheck(
        lambda x: F.cross_entropy(x, target, weight=[1.0, 2.0, 0.5], label_smoothing=0.1),
        [logits],
    )
    # the gradient PyTorch's formula gives: (softmax - smoothed target) / count, unweighted
    got = tg.grad(F.cross_entropy(logits, target), [logits])[0].numpy()
    p = np.exp(logits.detach().numpy()) / np.exp(logits.detach().numpy()).sum(1, keepdims=True)
    np.testing.assert_allclose(got, (p - target) / 8, rtol=1e-10, atol=1e-14)


# ---------------------------------------------------------------- 4. pooling padding


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d, nn.MaxPool2d, nn.AvgPool2d])
def test_pooling_refuses_padding_over_half_the_kernel(pool) -> None:
    def run(kernel, padding, stride=None):
        fn = pool if pool in (F.max_pool2d, F.avg_pool2d) else pool(kernel, stride, padding)
        x = tg.ones(1, 1, 6, 6)
        return fn(x, kernel, stride, padding) if fn is pool else fn(x)

    wording = "pad should be at most half of effective kernel size, but got pad=2, "
    with pytest.raises(RuntimeError, match=wording + "kernel_size=2 and dilation=1"):
        run(2, 2)
    with pytest.raises(RuntimeError, match=wording + "kernel_size=3 and dilation=1"):
        run((4, 3), (1, 2), 1)
    assert run(4, 2).shape == (1, 1, 2, 2)  # exactly half is allowed
    assert run(3, (1, 0), 1).shape == (1, 1, 6, 4)


# ---------------------------------------------------------------- 5. batch norm


@pytest.mark.parametrize(
    ("make", "shape"), [(nn.BatchNorm1d, (1, 3)), (nn.BatchNorm1d, (1, 3, 1)),
                        (nn.BatchNorm2d, (1, 3, 1, 1))]
)  # fmt: skip
def test_batch_norm_refuses_one_value_per_channel_when_training(make, shape) -> None:
    layer = make(3)
    before = {k: v.copy() for k, v in layer.state_dict().items()}
    message = rf"Expected more than 1 value per channel when training, got input size \{shape}"
    with pytest.raises(ValueError, match=message.replace(")", r"\)")):
        layer(tg.ones(*shape))
    for key, value in layer.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        F.batch_norm(tg.ones(*shape), None, None, training=True)
    assert layer.eval()(tg.ones(*shape)).shape == shape  # evaluation uses the running stats
    assert make(3)(tg.ones(2, *shape[1:])).shape == (2, *shape[1:])


# ---------------------------------------------------------------- 6. float32 losses, strict

LABELS = np.array([0, 2, 1, 1])


def float_target(shape=(4, 3)):
    return RNG.uniform(0.05, 0.95, size=shape)


LOSSES = {
    "SSE": (lambda: nn.SSE(), "float"),
    "MSE": (lambda: nn.MSE(), "float"),
    "BCE": (lambda: nn.BCE(), "prob"),
    "CrossEntropy": (lambda: nn.CrossEntropy(), "labels"),
    "MSELoss": (lambda: nn.MSELoss(), "float"),
    "L1Loss": (lambda: nn.L1Loss(), "float"),
    "HuberLoss": (lambda: nn.HuberLoss(delta=0.3), "float"),
    "SmoothL1Loss": (lambda: nn.SmoothL1Loss(beta=0.5), "float"),
    "BCELoss": (lambda: nn.BCELoss(weight=np.array([1.0, 2.0, 0.5])), "prob"),
    "BCEWithLogitsLoss": (
        lambda: nn.BCEWithLogitsLoss(weight=np.full(3, 0.5), pos_weight=np.array([1.0, 2.0, 3.0])),
        "float",
    ),
    "NLLLoss": (lambda: nn.NLLLoss(weight=[1.0, 2.0, 3.0]), "labels"),
    "CrossEntropyLoss": (lambda: nn.CrossEntropyLoss(), "labels"),
    "CrossEntropyLoss-smoothed": (
        lambda: nn.CrossEntropyLoss(weight=[1.0, 2.0, 3.0], label_smoothing=0.1),
        "labels",
    ),
    "CrossEntropyLoss-probabilities": (
        lambda: nn.CrossEntropyLoss(weight=[1.0, 2.0, 3.0], label_smoothing=0.1),
        "prob-rows",
    ),
}


def target_for(kind: str):
    if kind == "labels":
        return LABELS
    if kind == "prob-rows":
        return probabilities((4, 3))
    return float_target()


def sigmoid_model(dtype) -> nn.Module:
    tg.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 3, dtype=dtype), nn.Sigmoid())


@pytest.mark.parametrize("name", list(LOSSES))
def test_every_loss_keeps_a_float32_model_in_float32(name) -> None:
    make, kind = LOSSES[name]
    model = sigmoid_model(np.float32)
    x = tg.tensor(RNG.normal(size=(4, 2)), dtype=np.float32)
    prediction = model(x)
    target = target_for(kind)  # NumPy's float64: host data takes the prediction's dtype
    loss = make()(prediction, target)
    assert loss.dtype == np.float32, f"{name}: the loss is {loss.dtype}"
    (by_prediction,) = tg.grad(loss, [prediction], retain_graph=True)
    assert by_prediction.dtype == np.float32
    loss.backward()
    for parameter in model.parameters():
        assert parameter.grad.dtype == np.float32, f"{name}: a gradient is {parameter.grad.dtype}"


@pytest.mark.parametrize("name", list(LOSSES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_loss_trains_on_array_api_strict_as_on_numpy(name, dtype) -> None:
    strict = pytest.importorskip("array_api_strict")
    make, kind = LOSSES[name]
    x = RNG.normal(size=(4, 2))
    target = target_for(kind)
    if kind != "labels":
        target = target.astype(dtype)
    results = []
    for library in ("numpy", strict):
        model = sigmoid_model(dtype).to(library)
        loss = make()(model(tg.tensor(x, dtype=dtype).to(library)), tg.tensor(target).to(library))
        loss.backward()
        assert tg.namespace.array_api.library_name(loss.array) == (
            "numpy" if library == "numpy" else "array_api_strict"
        )
        assert tg.dtypes.dtype_name(loss.data) == np.dtype(dtype).name
        results.append([loss.detach().numpy(), *(p.grad.numpy() for p in model.parameters())])
    for got, want in zip(results[1], results[0]):
        np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", [{}, {"weight": [0.5, 2.0, 1.0]}, {"label_smoothing": 0.3}])
def test_cross_entropy_class_indices_on_images(reduction, options) -> None:
    """(N, C, d1, ...) logits with (N, d1, ...) class indices, as PyTorch: the same as the
    (N * d1 * ..., C) rows, with ``none`` shaped (N, d1, ...)."""
    logits = RNG.normal(size=(2, 3, 2, 2))
    labels = RNG.integers(0, 3, size=(2, 2, 2))
    labels[0, 0, 0] = -100  # ignore_index, at one position
    rows = logits.transpose(0, 2, 3, 1).reshape(-1, 3)
    want = F.cross_entropy(tg.tensor(rows), labels.reshape(-1), reduction=reduction, **options)
    got = F.cross_entropy(tg.tensor(logits), labels, reduction=reduction, **options)
    want_shape = (2, 2, 2) if reduction == "none" else ()
    assert got.shape == want_shape
    np.testing.assert_allclose(got.numpy(), want.numpy().reshape(want_shape), rtol=1e-12)
    x = leaf(logits)
    assert tg.gradcheck(lambda x: F.cross_entropy(x, labels, **options).sum(), [x])
    nll = F.nll_loss(tg.tensor(logits), labels, reduction=reduction)
    want_nll = F.nll_loss(tg.tensor(rows), labels.reshape(-1), reduction=reduction)
    np.testing.assert_allclose(nll.numpy(), want_nll.numpy().reshape(want_shape), rtol=1e-12)
