"""tinygrad_nn.exercises.check: a learner's hand gradients graded, and each mistake named.

Every planted mistake is built the way a learner would write it (NumPy, by hand) and must
get its own diagnosis; correct derivations must come out exact or close.
"""

from __future__ import annotations

import contextlib
import io
import re
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nn as tg
from tinygrad_nn import exercises, nn
from tinygrad_nn.exercises import check

SEED_X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64)
SEED_Y = np.array([[0], [1], [1], [0]], dtype=np.float64)


# A quiet check. A partial adds no Python frame, so check still sees the test's variables
# (a wrapper function would hide them: check names tensors by its caller's variables).
grade = partial(exercises.check, show=False)


# ---------------------------------------------------------------- the seed network


@pytest.fixture
def seed() -> dict:
    """The seed's forward pass in tinygrad_nn, and its gradients derived by hand (DESIGN's
    formulas, with the gradient's sign: 2 (out - y))."""
    rng = np.random.default_rng(0)
    X = tg.Tensor(SEED_X)
    W1 = tg.Tensor(rng.random((3, 4)), requires_grad=True)
    W2 = tg.Tensor(rng.random((4, 1)), requires_grad=True)
    z1 = X @ W1
    layer1 = z1.sigmoid()
    out = (layer1 @ W2).sigmoid()
    loss = nn.SSE()(out, SEED_Y)
    L1, Out = layer1.array, out.array
    delta = 2 * (Out - SEED_Y) * Out * (1 - Out)
    dlayer1 = delta @ W2.array.T
    dz1 = dlayer1 * L1 * (1 - L1)
    return {
        "loss": loss, "X": X, "W1": W1, "W2": W2, "z1": z1, "layer1": layer1, "out": out,
        "dW1": SEED_X.T @ dz1, "dW2": L1.T @ delta, "dlayer1": dlayer1, "dz1": dz1,
        "delta": delta,
    }  # fmt: skip


def test_the_seed_by_hand_is_right(seed: dict) -> None:
    loss, W1, W2, z1, layer1 = seed["loss"], seed["W1"], seed["W2"], seed["z1"], seed["layer1"]
    result = grade(loss, dW1=seed["dW1"], d_W2=seed["dW2"], dlayer1=seed["dlayer1"], z1=seed["dz1"])
    assert result.ok, str(result)
    assert [v.target for v in result] == ["W1", "W2", "layer1", "z1"]
    for v in result:
        assert v.status in ("exact", "close") and v.max_abs_diff < 1e-12
    assert W1.grad is None and W2.grad is None  # nothing written to .grad
    again = grade(loss, dW1=seed["dW1"])  # the graph is kept: check again...
    assert again.ok
    loss.backward()  # ...and train on
    np.testing.assert_allclose(W1.grad.array, seed["dW1"], rtol=1e-12)
    del z1, layer1


def test_the_seeds_own_sign_is_recognised_kindly(seed: dict) -> None:
    """The seed computes 2 (y - output): its d_weights are minus the gradient."""
    loss, W1, W2, layer1 = seed["loss"], seed["W1"], seed["W2"], seed["layer1"]
    Out, L1 = seed["out"].array, layer1.array
    d_weights2 = L1.T @ (2 * (SEED_Y - Out) * Out * (1 - Out))
    d_weights1 = SEED_X.T @ (((2 * (SEED_Y - Out) * Out * (1 - Out)) @ W2.array.T) * L1 * (1 - L1))
    result = grade(loss, dW1=d_weights1, dW2=d_weights2)
    for name in ("dW1", "dW2"):
        assert result[name].status == "wrong"
        assert result[name].diagnosis == "sign flipped"
        assert result[name].factor == -1.0
        assert "If you followed the seed, that is expected" in result[name].message
    del W1


def corrupted(seed: dict, kind: str) -> tuple[str, np.ndarray]:
    """A learner's wrong answer of each kind, for the seed, written by hand."""
    X, L1, Out, Z1 = SEED_X, seed["layer1"].array, seed["out"].array, seed["z1"].array
    W2, dlayer1, delta = seed["W2"].array, seed["dlayer1"], seed["delta"]
    answers = {
        "transposed": ("dW1", seed["dW1"].T),
        "constant factor": ("dW2", L1.T @ ((Out - SEED_Y) * Out * (1 - Out))),  # the 2 dropped
        "activation derivative at the wrong value": ("dW1", X.T @ (dlayer1 * Z1 * (1 - Z1))),
        "activation instead of its derivative": ("dW1", X.T @ (dlayer1 * L1)),
        "activation derivative left out": ("dW1", X.T @ dlayer1),
        "upstream gradient left out": ("dW2", L1.T @ (Out * (1 - Out))),
        "wrong shape": ("dW2", (L1.T @ delta)[:2]),
        "summed over an axis it should keep": ("dlayer1", dlayer1.sum(axis=0)),
        "unknown": ("dW1", seed["dW1"] + np.eye(3, 4)),
    }
    del W2
    return answers[kind]


SEED_MISTAKES = [
    "transposed",
    "constant factor",
    "activation derivative at the wrong value",
    "activation instead of its derivative",
    "activation derivative left out",
    "upstream gradient left out",
    "wrong shape",
    "summed over an axis it should keep",
    "unknown",
]


@pytest.mark.parametrize("kind", SEED_MISTAKES)
def test_each_mistake_on_the_seed_is_diagnosed(seed: dict, kind: str) -> None:
    loss, W1, W2, z1, layer1, out = (seed[k] for k in ("loss", "W1", "W2", "z1", "layer1", "out"))
    name, answer = corrupted(seed, kind)
    verdict = grade(loss, **{name: answer})[name]
    assert verdict.status == "wrong"
    assert verdict.diagnosis == kind, verdict.message
    assert verdict.message
    del W1, W2, z1, layer1, out


def test_the_messages_name_the_learners_values(seed: dict) -> None:
    loss, W1, W2, z1, layer1, out = (seed[k] for k in ("loss", "W1", "W2", "z1", "layer1", "out"))
    wrong_value = grade(loss, dW1=corrupted(seed, "activation derivative at the wrong value")[1])
    assert "its output layer1" in wrong_value["dW1"].message
    assert "its input z1 (the pre-activation)" in wrong_value["dW1"].message
    upstream = grade(loss, dW2=corrupted(seed, "upstream gradient left out")[1])
    assert "at out = sigmoid" in upstream["dW2"].message
    half = grade(loss, dW2=corrupted(seed, "constant factor")[1])["dW2"]
    assert half.factor == pytest.approx(0.5) and "half the gradient" in half.message
    unknown = grade(loss, dW1=corrupted(seed, "unknown")[1])["dW1"]
    assert "at [0, 0] yours" in unknown.message  # the largest differences, with indices
    del W1, W2, z1, layer1, out


def test_a_mistake_plus_the_seeds_sign_is_still_named(seed: dict) -> None:
    loss, W1, W2, layer1, out = (seed[k] for k in ("loss", "W1", "W2", "layer1", "out"))
    L1, Out = layer1.array, out.array
    verdict = grade(loss, dW2=L1.T @ (-(Out * (1 - Out))))["dW2"]
    assert verdict.diagnosis == "upstream gradient left out"
    assert verdict.message.endswith("and the sign is flipped as well")
    del W1, W2


# ---------------------------------------------------------------- an MLP with biases


@pytest.fixture
def mlp() -> dict:
    """nn.Linear layers with biases (broadcast over the batch) and a mean loss (1/N)."""
    rng = np.random.default_rng(1)
    model = nn.Sequential(nn.Linear(3, 5, rng=1), nn.Tanh(), nn.Linear(5, 2, rng=2))
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    pred = model(tg.Tensor(x))  # one call: the drawings' paths are "0.weight", "2.bias"
    loss = nn.MSE()(pred, y)
    h = np.tanh(x @ model[0].weight.array.T + model[0].bias.array)  # weight: (out, in)
    dpred = 2 * (pred.array - y) / pred.array.size
    dz = (dpred @ model[2].weight.array) * (1 - h**2)
    return {"model": model, "loss": loss, "x": x, "dpred": dpred, "dz": dz}


def test_an_mlp_with_biases_by_module_paths(mlp: dict) -> None:
    loss, x, dz, dpred = mlp["loss"], mlp["x"], mlp["dz"], mlp["dpred"]
    answers = {"0.weight": dz.T @ x, "0.bias": dz.sum(axis=0), "2.bias": dpred.sum(axis=0)}
    result = grade(loss, answers)
    assert result.ok, str(result)
    assert result["0.bias"].target == "0.bias"


def test_a_bias_gradient_not_summed_over_the_batch(mlp: dict) -> None:
    loss, dz = mlp["loss"], mlp["dz"]
    verdict = check(loss, {"0.bias": dz}, show=False)["0.bias"]
    assert verdict.diagnosis == "broadcast axis not summed"
    assert "(shape (5,)) was stretched to (6, 5)" in verdict.message
    assert ".sum(axis=0)" in verdict.message


def test_a_mean_loss_without_its_1_over_n(mlp: dict) -> None:
    loss, dpred = mlp["loss"], mlp["dpred"]
    verdict = check(loss, {"2.bias": dpred.sum(axis=0) * 12}, show=False)["2.bias"]
    assert verdict.diagnosis == "constant factor"
    assert verdict.factor == pytest.approx(12)
    assert "a factor 12 off" in verdict.message and "mean over 12 values" in verdict.message
    divided = check(loss, {"2.bias": dpred.sum(axis=0) / 12}, show=False)["2.bias"]
    assert "divided by 12" in divided.message


# ---------------------------------------------------------------- fan-out, intermediates


def test_a_fan_out_contribution_missing() -> None:
    x = tg.Tensor([0.5, -1.0, 2.0], requires_grad=True)
    w = tg.Tensor([1.5, 0.5, -0.5], requires_grad=True)
    a = (x * w).tanh()
    b = x**2
    loss = (a * 3.0 + b).sum()
    through_a = 3.0 * (1 - a.array**2) * w.array
    through_b = 2 * x.array
    assert grade(loss, dx=through_a + through_b).ok
    only_a = grade(loss, dx=through_a)["dx"]
    assert only_a.diagnosis == "fan-out contribution missing"
    assert "x is used 2 times" in only_a.message
    assert "only the one through mul making mul_out, missing pow making b" in only_a.message
    assert grade(loss, dx=through_b)["dx"].diagnosis == "fan-out contribution missing"
    del a, b


def test_intermediate_values_logits_and_scores() -> None:
    """A pre-activation and an attention-like score, checked like parameters."""
    rng = np.random.default_rng(2)
    q = tg.Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    k = tg.Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    scores = q @ k.T / 2.0
    weights = scores.softmax(axis=-1)
    loss = (weights * tg.Tensor(rng.normal(size=(3, 3)))).sum()
    truth = tg.grad(loss, [scores], retain_graph=True)[0].array
    assert grade(loss, dscores=truth)["dscores"].status == "exact"
    assert grade(loss, dscores=truth.T)["dscores"].diagnosis == "transposed"  # square
    assert grade(loss, dscores=2 * truth)["dscores"].diagnosis == "constant factor"
    dq = truth @ k.array / 2.0
    assert grade(loss, dq=dq).ok
    del weights


def test_a_derivative_that_reads_its_input_taken_at_the_output() -> None:
    """log's derivative is 1 / x: evaluated at the output it is 1 / log(x)."""
    x = tg.Tensor([2.0, 3.0, 5.0], requires_grad=True)
    y = x.log()
    loss = (y * y).sum()
    assert grade(loss, dx=2 * y.array / x.array).ok
    verdict = grade(loss, dx=2 * y.array / y.array)["dx"]
    assert verdict.diagnosis == "activation derivative at the wrong value"
    assert "evaluated at its input x = x, and your answer matches it evaluated at its output y" in (
        verdict.message
    )


def test_an_attention_softmax_taken_elementwise() -> None:
    rng = np.random.default_rng(3)
    q = tg.Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    k = tg.Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    scores = q @ k.T / 2.0
    weights = scores.softmax(axis=-1)
    target = rng.normal(size=(3, 3))
    loss = (weights * tg.Tensor(target)).sum()
    s = weights.array
    right = s * (target - (target * s).sum(axis=-1, keepdims=True))
    assert grade(loss, dscores=right).ok
    verdict = grade(loss, dscores=target * s * (1 - s))["dscores"]
    assert verdict.diagnosis == "softmax derivative taken elementwise", verdict.message


def test_the_right_numbers_in_the_wrong_layout(seed: dict) -> None:
    loss, W1 = seed["loss"], seed["W1"]
    verdict = grade(loss, dW1=seed["dW1"].reshape(4, 3))["dW1"]  # not a transpose
    assert verdict.diagnosis == "right numbers, wrong shape"
    assert grade(loss, dW1=np.zeros((4, 3)))["dW1"].message.endswith(
        "(transposed, it still differs)"
    )
    del W1


@pytest.mark.parametrize("model_kind", ["conv", "attention"])
def test_a_conv_layer_and_an_attention_head(model_kind: str) -> None:
    """Module paths name the parameters; right answers pass, and planted mistakes (the
    sign, a factor N, a bias not summed, noise) get their diagnosis, with every corruption
    of the graph tried on the way (none may raise)."""
    rng = np.random.default_rng(4)
    tg.manual_seed(0)
    if model_kind == "conv":
        model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(32, 1))
        loss = nn.MSE()(model(tg.Tensor(rng.normal(size=(2, 1, 6, 6)))), rng.normal(size=(2, 1)))
        bias = "0.bias"
    else:
        model = nn.MultiheadAttention(4, 1, batch_first=True)
        x = tg.Tensor(rng.normal(size=(2, 3, 4)))
        loss = (model(x, x, x)[0] ** 2).sum()
        bias = "q_proj.bias"
    named = dict(model.named_parameters())
    truth = tg.grad(loss, list(named.values()), retain_graph=True)
    right = {name: g.array for name, g in zip(named, truth)}
    assert grade(loss, right).ok
    first = next(iter(right))
    assert grade(loss, {first: -right[first]})[first].diagnosis == "sign flipped"
    assert grade(loss, {first: right[first] * 24})[first].diagnosis == "constant factor"
    spread = np.broadcast_to(right[bias] / 2, (2, *right[bias].shape))
    assert grade(loss, {bias: spread})[bias].diagnosis == "broadcast axis not summed"
    noisy = {n: g + rng.normal(size=g.shape) for n, g in right.items()}
    assert {v.diagnosis for v in grade(loss, noisy)} == {"unknown"}


# ---------------------------------------------------------------- answers and names


def test_answers_as_tensors_lists_and_float32(seed: dict) -> None:
    loss, W1, W2, layer1 = seed["loss"], seed["W1"], seed["W2"], seed["layer1"]
    result = grade(
        loss,
        dW1=tg.Tensor(seed["dW1"]),
        dW2=seed["dW2"].tolist(),
        dlayer1=seed["dlayer1"].astype(np.float32),
    )
    assert [v.status for v in result][:2] == ["exact", "exact"]
    assert result["dlayer1"].status == "close"
    bad = grade(loss, dW1="nope", dW2=[[1.0], [2.0, 3.0]])
    assert bad["dW1"].diagnosis == "not numbers" and "dtype" in bad["dW1"].message
    assert bad["dW2"].diagnosis == "not numbers" and "cannot be read" in bad["dW2"].message
    del W1, W2, layer1


def test_unknown_and_gradientless_names_list_the_known_ones(seed: dict) -> None:
    loss, W1, W2, layer1 = seed["loss"], seed["W1"], seed["W2"], seed["layer1"]
    with pytest.raises(KeyError, match=r"called 'W3'.*W1 \(3, 4\), W2 \(4, 1\)"):
        grade(loss, dW3=np.zeros(1))
    X = seed["X"]  # in the graph, but no gradient
    with pytest.raises(ValueError, match="'X' does not require grad"):
        grade(loss, dX=np.zeros((4, 3)))
    del W1, W2, layer1, X


def test_a_name_that_fits_two_tensors() -> None:
    h = tg.Tensor([1.0, 2.0], requires_grad=True, name="h")
    dh = tg.Tensor([3.0, 4.0], requires_grad=True, name="dh")
    loss = (h * dh).sum()
    with pytest.raises(ValueError, match=r"'dh' matches 2 tensors.*ddh for dh"):
        grade(loss, dh=[3.0, 4.0])
    assert grade(loss, ddh=[1.0, 2.0], d_h=[3.0, 4.0]).ok


def test_bad_losses_get_clear_errors(seed: dict) -> None:
    W1 = seed["W1"]
    with pytest.raises(ValueError, match=r"single number, but it has shape \(4, 1\)"):
        grade(seed["out"], dW1=seed["dW1"])
    loss = nn.SSE()(((tg.Tensor(SEED_X) @ W1).sigmoid() @ seed["W2"]).sigmoid(), SEED_Y)
    loss.backward()
    with pytest.raises(RuntimeError, match="freed by an earlier backward"):
        grade(loss, dW1=seed["dW1"])
    with pytest.raises(TypeError, match="no answers given"):
        check(seed["loss"])


def test_the_report_prints_and_shows_in_notebooks() -> None:
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="<w&>")
    loss = (w * w).sum()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        result = check(loss, {"<w&>": [2.0, 4.0]})
    assert "<w&>" in printed.getvalue()
    html = result._repr_html_()
    assert "&lt;w&amp;&gt;" in html and "<w&>" not in html
    assert repr(result).startswith("CheckResult(")


# ---------------------------------------------------------------- any shapes


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 5), st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_a_right_derivation_is_always_exact_or_close(n: int, d: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    W = tg.Tensor(rng.normal(size=(d, k)), requires_grad=True)
    b = tg.Tensor(rng.normal(size=k), requires_grad=True)
    z = tg.Tensor(x) @ W + b
    s = z.sigmoid()
    loss = (s**2).mean()
    ds = 2 * s.array / s.array.size
    dz = ds * s.array * (1 - s.array)
    result = grade(loss, dW=x.T @ dz, db=dz.sum(axis=0), dz=dz, ds=ds)
    assert result.ok, str(result)


# ---------------------------------------------------------------- the page shows what runs

PAGE = Path(__file__).resolve().parent.parent / "docs" / "exercises.md"
BLOCK = re.compile(r"```python\n(.*?)```\s*(?:```text\n(.*?)```)?", re.S)


def tiny_numbers(text: str) -> str:
    """Rounding-sized differences (BLAS may sum in another order) as one word."""
    return re.sub(r"\d(?:\.\d+)?e-\d\d", "tiny", text)


def test_the_page_shows_what_its_code_prints() -> None:
    blocks = BLOCK.findall(PAGE.read_text())
    assert len(blocks) >= 5 and sum(bool(shown) for _, shown in blocks) >= 5
    namespace: dict = {"__name__": "docs_exercises"}
    for code, shown in blocks:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, str(PAGE), "exec"), namespace)
        assert tiny_numbers(printed.getvalue()) == tiny_numbers(shown), code
