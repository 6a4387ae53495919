"""PyTorch's nn surface (issue 25): Module.apply / children / modules,
zero_grad(set_to_none=), the in-place nn.init functions, TransformerEncoder, LazyLinear."""

import math

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn import nn, optim

# ---------------------------------------------------------------- Module.apply, zero_grad


def test_apply_visits_children_first_then_self_and_returns_self() -> None:
    inner = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    model = nn.Sequential(inner, nn.Linear(2, 1))
    seen: list[str] = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "Tanh", "Sequential", "Linear", "Sequential"]
    assert list(model.children()) == [inner, model[1]]
    assert [type(m).__name__ for m in model.modules()] == [
        "Sequential", "Sequential", "Linear", "Tanh", "Linear"
    ]  # fmt: skip


def test_apply_initialises_weights_the_pytorch_way() -> None:
    def init_weights(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0.0, std=0.02, generator=np.random.default_rng(0))
            nn.init.zeros_(m.bias)

    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).apply(init_weights)
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), rng.normal(0, 0.02, (4, 3)))
    assert model[0].bias.tolist() == [0.0] * 4 and model[2].bias.tolist() == [0.0] * 2


def grads_after_backward(model: nn.Module) -> None:
    x = tg.tensor(np.random.default_rng(0).normal(size=(5, 3)))
    model(x).sum().backward()


def test_zero_grad_sets_to_none_by_default_and_zeros_in_place_with_false() -> None:
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    grads_after_backward(model)
    fresh = [p.grad.numpy().copy() for p in model.parameters()]  # type: ignore[union-attr]
    held = model[0].weight.grad
    model.zero_grad(set_to_none=False)
    assert model[0].weight.grad is held  # the same tensor, filled with zeros
    for p in model.parameters():
        assert p.grad is not None and p.grad.shape == p.shape and not p.grad.numpy().any()
        assert p.grad.dtype == p.dtype and not p.grad.requires_grad
    grads_after_backward(model)  # accumulates onto the zeros: the fresh gradient again
    for p, g in zip(model.parameters(), fresh):
        np.testing.assert_array_equal(p.grad.numpy(), g)  # type: ignore[union-attr]
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.zero_grad(set_to_none=False)  # a parameter with no gradient keeps None
    assert all(p.grad is None for p in model.parameters())


# ---------------------------------------------------------------- nn.init, in place


def parameter(*shape: int) -> nn.Parameter:
    return nn.Parameter(np.full(shape, 7.0))


@pytest.mark.parametrize(
    ("call", "reference"),
    [
        (
            lambda t, g: nn.init.uniform_(t, -2.0, 3.0, generator=g),
            lambda r, s: r.uniform(-2.0, 3.0, s),
        ),
        (
            lambda t, g: nn.init.normal_(t, 1.0, 0.5, generator=g),
            lambda r, s: r.normal(1.0, 0.5, s),
        ),
        (
            lambda t, g: nn.init.xavier_uniform_(t, gain=2.0, generator=g),
            lambda r, s: r.uniform(-2 * math.sqrt(6 / 9), 2 * math.sqrt(6 / 9), s),
        ),
        (
            lambda t, g: nn.init.xavier_normal_(t, generator=g),
            lambda r, s: r.normal(0.0, math.sqrt(2 / 9), s),
        ),
        (
            lambda t, g: nn.init.kaiming_uniform_(t, a=math.sqrt(5), generator=g),
            lambda r, s: r.uniform(-1 / math.sqrt(5), 1 / math.sqrt(5), s),
        ),
        (
            lambda t, g: nn.init.kaiming_uniform_(
                t, mode="fan_out", nonlinearity="relu", generator=g
            ),
            lambda r, s: r.uniform(-math.sqrt(6 / 4), math.sqrt(6 / 4), s),
        ),
        (
            lambda t, g: nn.init.kaiming_normal_(t, nonlinearity="relu", generator=g),
            lambda r, s: r.normal(0.0, math.sqrt(2 / 5), s),
        ),
        (lambda t, g: nn.init.constant_(t, 0.25), lambda r, s: np.full(s, 0.25)),
        (lambda t, g: nn.init.ones_(t), lambda r, s: np.ones(s)),
        (lambda t, g: nn.init.zeros_(t), lambda r, s: np.zeros(s)),
        (lambda t, g: nn.init.eye_(t), lambda r, s: np.eye(*s)),
    ],
    ids=[
        "uniform",
        "normal",
        "xavier_uniform",
        "xavier_normal",
        "kaiming_uniform_sqrt5",
        "kaiming_uniform_fan_out",
        "kaiming_normal",
        "constant",
        "ones",
        "zeros",
        "eye",
    ],
)
def test_init_fills_the_tensor_in_place_and_returns_it(call, reference) -> None:
    """A (4, 5) weight: fan_in 5, fan_out 4 (PyTorch's); every value is the NumPy draw."""
    p = parameter(4, 5)
    result = call(p, np.random.default_rng(3))
    assert result is p and p.shape == (4, 5) and p.dtype == np.float64
    assert p.requires_grad and p.is_leaf
    np.testing.assert_allclose(
        p.detach().numpy(), reference(np.random.default_rng(3), (4, 5)), rtol=1e-15
    )


def test_init_keeps_the_dtype_and_uses_the_seeded_generator_by_default() -> None:
    p = nn.Parameter(np.zeros((3, 2)), dtype=np.float32)
    nn.init.uniform_(p)
    assert p.dtype == np.float32 and ((p.detach().numpy() >= 0) & (p.detach().numpy() < 1)).all()
    tg.manual_seed(5)
    a = nn.init.normal_(parameter(3)).detach().numpy()
    tg.manual_seed(5)
    np.testing.assert_array_equal(nn.init.normal_(parameter(3)).detach().numpy(), a)


def test_init_does_not_touch_a_graph_already_built_and_is_not_recorded() -> None:
    w = parameter(2, 2)
    loss = (w * w).sum()
    nn.init.zeros_(w)
    loss.backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.full((2, 2), 14.0))  # 2 * the old 7
    assert w.is_leaf and w.detach().numpy().sum() == 0


def test_trunc_normal_and_orthogonal() -> None:
    p = nn.init.trunc_normal_(parameter(20_000), mean=0.5, std=1.0, a=0.0, b=1.0)
    values = p.detach().numpy()
    assert values.min() >= 0.0 and values.max() <= 1.0
    assert abs(values.mean() - 0.5) < 0.01  # symmetric around the mean: the mean stays
    q = nn.init.orthogonal_(parameter(3, 5), gain=2.0).detach().numpy()
    np.testing.assert_allclose(q @ q.T, 4 * np.eye(3), atol=1e-12)
    tall = nn.init.orthogonal_(parameter(6, 2, 2)).detach().numpy().reshape(6, 4)  # (rows, rest)
    np.testing.assert_allclose(tall.T @ tall, np.eye(4), atol=1e-12)


def test_calculate_gain_is_pytorchs() -> None:
    assert nn.init.calculate_gain("linear") == 1 and nn.init.calculate_gain("sigmoid") == 1
    assert nn.init.calculate_gain("tanh") == 5 / 3 and nn.init.calculate_gain("selu") == 3 / 4
    assert nn.init.calculate_gain("relu") == math.sqrt(2)
    assert nn.init.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01**2))
    assert nn.init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (
            lambda: nn.init.xavier_uniform_(parameter(3)),
            ValueError,
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions",
        ),
        (
            lambda: nn.init.kaiming_uniform_(parameter(2, 2), mode="fan"),
            ValueError,
            "Mode fan not supported, please use one of fan_in, fan_out",
        ),
        (
            lambda: nn.init.calculate_gain("softsign"),
            ValueError,
            "Unsupported nonlinearity softsign",
        ),
        (
            lambda: nn.init.calculate_gain("leaky_relu", "x"),
            ValueError,
            "negative_slope x not a valid",
        ),
        (lambda: nn.init.eye_(parameter(2, 2, 2)), ValueError, "Only tensors with 2 dimensions"),
        (lambda: nn.init.orthogonal_(parameter(3)), ValueError, "2 or more dimensions"),
        (lambda: nn.init.normal_(tg.tensor([1, 2])), TypeError, "normal_.*int64.*floating"),
        (lambda: nn.init.zeros_(np.zeros(2)), TypeError, "zeros_: expected a Tensor, got ndarray"),
        (lambda: nn.init.trunc_normal_(parameter(2), a=1.0, b=0.0), ValueError, "empty"),
    ],
)
def test_init_errors_are_pytorchs_and_change_nothing(call, error, words) -> None:
    with pytest.raises(error, match=words):
        call()


def test_kaiming_on_an_empty_tensor_warns_as_pytorch() -> None:
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        assert nn.init.kaiming_uniform_(nn.Parameter(np.zeros((0, 3)))).shape == (0, 3)


# ---------------------------------------------------------------- TransformerEncoder


def numpy_layer_norm(x, w, b, eps=1e-5):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def numpy_encoder_layer(layer: nn.TransformerEncoderLayer, x, mask, padding, heads):
    """PyTorch's post-norm encoder layer, written out in NumPy (batch_first, eval mode)."""
    params = {name: p.detach().numpy() for name, p in layer.named_parameters()}

    def lin(v, name):
        return v @ params[f"{name}.weight"].T + params[f"{name}.bias"]

    n, length, d = x.shape
    hd = d // heads

    def split(v):
        return v.reshape(n, length, heads, hd).transpose(0, 2, 1, 3)

    q, k, v = (split(lin(x, f"self_attn.{p}_proj")) for p in "qkv")
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd)
    blocked = mask[None, None] | padding[:, None, None, :]
    scores = np.where(blocked, -np.inf, scores)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    attended = (weights @ v).transpose(0, 2, 1, 3).reshape(n, length, d)
    x = numpy_layer_norm(x + lin(attended, "self_attn.out_proj"),
                         params["norm1.weight"], params["norm1.bias"])  # fmt: skip
    hidden = np.maximum(lin(x, "linear1"), 0)
    return numpy_layer_norm(x + lin(hidden, "linear2"),
                            params["norm2.weight"], params["norm2.bias"])  # fmt: skip


def test_transformer_encoder_is_num_layers_layers_then_norm_against_numpy() -> None:
    tg.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=12, batch_first=True)
    encoder = nn.TransformerEncoder(layer, num_layers=3, norm=nn.LayerNorm(8)).eval()
    assert len(encoder.layers) == 3 and encoder.num_layers == 3
    for copy in encoder.layers:  # copies: PyTorch's clones all start from the same weights
        assert copy is not layer
        np.testing.assert_array_equal(
            copy.linear1.weight.detach().numpy(), layer.linear1.weight.detach().numpy()
        )
    assert len({id(p) for p in encoder.parameters()}) == 3 * len(list(layer.parameters())) + 2
    for i, copy in enumerate(encoder.layers):  # now make them differ
        nn.init.normal_(copy.linear2.weight, std=0.3, generator=np.random.default_rng(i))
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 5, 8))
    causal = np.triu(np.ones((5, 5), dtype=bool), 1)
    padding = np.array([[False] * 5, [False, False, False, True, True]])
    out = encoder(tg.tensor(x), mask=tg.tensor(causal), src_key_padding_mask=tg.tensor(padding))
    expected = x
    for copy in encoder.layers:
        expected = numpy_encoder_layer(copy, expected, causal, padding, heads=2)
    norm = encoder.norm
    expected = numpy_layer_norm(expected, norm.weight.detach().numpy(), norm.bias.detach().numpy())
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-12)


def test_transformer_encoder_gradients_match_finite_differences() -> None:
    tg.manual_seed(2)
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, norm_first=True)
    encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(4))
    x = tg.tensor(np.random.default_rng(3).normal(size=(3, 2, 4)), requires_grad=True)  # (L, N, E)
    causal = np.triu(np.ones((3, 3), dtype=bool), 1)
    assert tg.gradcheck(lambda t: encoder(t, mask=causal), [x])
    second = encoder.layers[1].linear1
    weight = second.weight

    def with_weight(w: tg.Tensor) -> tg.Tensor:  # the encoder as a function of one weight
        second.weight = w
        try:
            return encoder(tg.tensor(x.detach().numpy()), is_causal=True)
        finally:
            second.weight = weight

    assert tg.gradcheck(with_weight, [tg.tensor(weight.detach().numpy(), requires_grad=True)])


def test_transformer_encoder_errors() -> None:
    layer = nn.TransformerEncoderLayer(4, 1, dim_feedforward=4)
    with pytest.raises(ValueError, match="num_layers must be a positive int, got 0"):
        nn.TransformerEncoder(layer, 0)
    with pytest.raises(TypeError, match="encoder_layer must be a Module"):
        nn.TransformerEncoder("layer", 2)  # type: ignore[arg-type]


# ---------------------------------------------------------------- LazyLinear


def test_lazy_linear_infers_in_features_and_becomes_a_linear() -> None:
    layer = nn.LazyLinear(4, rng=0)
    before = list(layer.parameters())
    assert [p.shape for p in before] == [(0,), (0,)] and layer.in_features == 0
    assert repr(layer) == "LazyLinear(in_features=0, out_features=4, bias=True)"
    optimizer = optim.SGD(layer.parameters(), lr=0.1)  # built before the first call, as usual
    x = np.random.default_rng(1).normal(size=(5, 3))
    out = layer(tg.tensor(x))
    assert type(layer) is nn.Linear and layer.in_features == 3
    assert list(layer.parameters()) == before and layer.weight.shape == (4, 3)
    same = nn.Linear(3, 4, rng=0)  # drawn exactly as a Linear with the same seed
    np.testing.assert_array_equal(layer.weight.detach().numpy(), same.weight.detach().numpy())
    np.testing.assert_array_equal(layer.bias.detach().numpy(), same.bias.detach().numpy())  # type: ignore[union-attr]
    w, b = layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy()  # type: ignore[union-attr]
    np.testing.assert_allclose(out.detach().numpy(), x @ w.T + b, atol=1e-15)
    out.sum().backward()
    optimizer.step()  # the optimizer steps the materialised parameters
    np.testing.assert_allclose(
        layer.weight.detach().numpy(), w - 0.1 * np.tile(x.sum(0), (4, 1)), atol=1e-14
    )
    np.testing.assert_allclose(layer.bias.detach().numpy(), b - 0.1 * 5, atol=1e-14)  # type: ignore[union-attr]


def test_lazy_linear_without_bias_and_its_errors() -> None:
    layer = nn.LazyLinear(2, bias=False)
    assert layer.bias is None and [p.shape for p in layer.parameters()] == [(0,)]
    assert layer(tg.ones(3)).shape == (2,)
    with pytest.raises(ValueError, match="out_features must be positive"):
        nn.LazyLinear(0)
    with pytest.raises(ValueError, match=r"cannot infer in_features from an input of shape \(\)"):
        nn.LazyLinear(2)(tg.tensor(1.0))
