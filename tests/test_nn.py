"""Modules, layers and losses: registration, state dicts, printing, and their errors."""

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn import nn


def seed_model() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(3, 4, bias=False), nn.Sigmoid(), nn.Linear(4, 1, bias=False), nn.Sigmoid()
    )


def test_parameters_are_found_in_registration_order_with_dotted_names() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Sequential(nn.Linear(3, 1)))
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.0.weight", "2.0.bias"]
    assert [p.shape for p in model.parameters()] == [(3, 2), (3,), (1, 3), (1,)]  # (out, in)
    assert model[0].weight is next(iter(model.parameters()))


def test_a_shared_parameter_is_listed_once() -> None:
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, layer)
    assert len(list(model.parameters())) == 2


def test_reassigning_an_attribute_replaces_the_registration() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(np.ones(2))

    net = Net()
    net.w = nn.Parameter(np.zeros(3))
    assert [p.shape for p in net.parameters()] == [(3,)]
    net.w = None  # no longer a parameter
    assert list(net.parameters()) == []


def test_forgetting_super_init_is_a_clear_error() -> None:
    class Broken(nn.Module):
        def __init__(self) -> None:
            self.w = nn.Parameter(np.ones(1))

    with pytest.raises(AttributeError, match="super"):
        Broken()


def test_zero_grad_train_eval() -> None:
    model = seed_model()
    nn.SSE()(model(tg.Tensor(np.ones((4, 3)))), np.zeros((4, 1))).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.eval()
    assert not model.training and not model[0].training
    model.train()
    assert model.training and model[2].training


def test_repr_shows_the_tree() -> None:
    text = repr(nn.Sequential(nn.Linear(3, 4), nn.Sequential(nn.ReLU(), nn.Softmax(axis=0))))
    assert text == (
        "Sequential(\n"
        "  (0): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Softmax(axis=0)\n"
        "  )\n"
        ")"
    )


def test_linear_shapes_and_default_initialisation_bounds() -> None:
    layer = nn.Linear(16, 5, rng=0)
    assert layer.weight.shape == (5, 16) and layer.bias is not None
    assert np.abs(layer.weight.data).max() <= 1 / 4 and np.abs(layer.bias.data).max() <= 1 / 4
    assert layer(tg.Tensor(np.ones((7, 16)))).shape == (7, 5)
    assert layer(tg.Tensor(np.ones(16))).shape == (5,)
    with pytest.raises(ValueError, match="positive"):
        nn.Linear(0, 3)


def test_explicit_initialiser_reproduces_the_seed_weights() -> None:
    layer = nn.Linear(3, 4, bias=False, init=nn.init.uniform(0, 1), rng=np.random.default_rng(7))
    np.testing.assert_array_equal(layer.weight.data, np.random.default_rng(7).random((3, 4)).T)


def test_manual_seed_makes_initialisation_repeatable() -> None:
    tg.manual_seed(3)
    a = nn.Linear(4, 4).weight.data
    tg.manual_seed(3)
    b = nn.Linear(4, 4).weight.data
    np.testing.assert_array_equal(a, b)


def test_float32_layers() -> None:
    layer = nn.Linear(3, 2, dtype=np.float32)
    out = layer(tg.Tensor(np.ones((2, 3), dtype=np.float32)))
    nn.SSE()(out, np.zeros((2, 2), dtype=np.float32)).backward()
    assert out.dtype == np.float32 and layer.weight.grad.dtype == np.float32


def test_state_dict_round_trip_and_copies() -> None:
    a, b = seed_model(), seed_model()
    state = a.state_dict()
    state["0.weight"][0, 0] = 123.0  # a copy: the model is unaffected
    assert a[0].weight.data[0, 0] != 123.0
    b.load_state_dict(a.state_dict())
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        (lambda s: s.pop("2.weight"), KeyError, r"missing keys \['2.weight'\]"),
        (lambda s: s.update(extra=np.ones(1)), KeyError, r"unexpected keys \['extra'\]"),
        (
            lambda s: s.update({"2.weight": np.ones((5, 1))}),
            ValueError,
            r"'2.weight'.*\(5, 1\).*\(1, 4\)",  # Linear(4, 1): (out, in)
        ),
    ],
)
def test_bad_state_dicts_name_the_key_and_change_nothing(change, error, words) -> None:
    model = seed_model()
    before = model.state_dict()
    state = {key: value + 1 for key, value in before.items()}
    change(state)
    with pytest.raises(error, match=words):
        model.load_state_dict(state)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_non_strict_loading_skips_missing_and_extra_keys() -> None:
    model = seed_model()
    model.load_state_dict({"0.weight": np.zeros((4, 3)), "other": np.ones(2)}, strict=False)
    assert not model[0].weight.data.any()


# ---------------------------------------------------------------- losses


def test_loss_values_against_numpy() -> None:
    rng = np.random.default_rng(0)
    p, t = rng.uniform(0.05, 0.95, (5, 2)), rng.uniform(0, 1, (5, 2))
    pred = tg.Tensor(p)
    assert nn.SSE()(pred, t).item() == pytest.approx(np.sum((p - t) ** 2))
    assert nn.MSE()(pred, t).item() == pytest.approx(np.mean((p - t) ** 2))
    bce = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert nn.BCE()(pred, t).item() == pytest.approx(bce)
    logits, labels = rng.standard_normal((5, 3)), np.array([0, 2, 1, 1, 0])
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    ce = -log_probs[np.arange(5), labels].mean()
    assert nn.CrossEntropy()(tg.Tensor(logits), labels).item() == pytest.approx(ce)
    assert nn.CrossEntropy()(tg.Tensor(logits), tg.Tensor(labels)).item() == pytest.approx(ce)


def test_bce_is_finite_at_zero_and_one_like_pytorch() -> None:
    p = tg.Tensor([0.0, 1.0], requires_grad=True)
    loss = nn.BCE()(p, [1.0, 0.0])
    assert loss.item() == pytest.approx(100.0)  # each log clamped at -100
    loss.backward()
    assert np.all(np.isfinite(p.grad.numpy()))


def test_cross_entropy_gradient_is_softmax_minus_one_hot() -> None:
    logits = tg.Tensor(np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]]), requires_grad=True)
    labels = np.array([1, 2])
    nn.CrossEntropy()(logits, labels).backward()
    probs = np.exp(logits.data) / np.exp(logits.data).sum(axis=1, keepdims=True)
    expected = (probs - np.eye(3)[labels]) / 2
    np.testing.assert_allclose(logits.grad.data, expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: nn.SSE()(tg.Tensor(np.ones((4, 1))), np.ones(4)), r"\(4, 1\).*\(4,\)"),
        (lambda: nn.MSE()(tg.Tensor(np.ones(3)), np.ones(2)), r"\(3,\).*\(2,\)"),
        (lambda: nn.BCE()(tg.Tensor([1.5]), [1.0]), "probability"),
        (lambda: nn.BCE()(tg.Tensor([0.5]), [2.0]), "target"),
        (lambda: nn.CrossEntropy()(tg.Tensor(np.ones((2, 3))), np.array([0, 3])), r"\[0, 3\)"),
        (lambda: nn.CrossEntropy()(tg.Tensor(np.ones((2, 3))), np.array([0.0, 1.0])), "integers"),
        (lambda: nn.CrossEntropy()(tg.Tensor(np.ones(3)), np.array([0])), r"\(N, C\)"),
    ],
)
def test_loss_errors_name_the_problem(call, words) -> None:
    with pytest.raises(ValueError, match=words):
        call()


def test_sequential_rejects_non_modules() -> None:
    with pytest.raises(TypeError, match="argument 1"):
        nn.Sequential(nn.ReLU(), lambda x: x)
