"""The checker as a learner meets it in the course: each slip named in the learner's terms.

Every answer here is one a learner of lessons 0, 3 and 6 writes by hand (the seed, an MLP
with cross-entropy, one attention head) with a typical mistake: a ``.T`` left out where
the shapes still agree, the softmax's sum along the wrong axis, a bias summed along the
wrong axis, one term per example not added up, a step of the chain rule not taken, a
scale left out... Each must get its own diagnosis, naming the values involved, where
the checker used to say "no common mistake" or just "wrong shape". The course's own
code must also survive the way notebooks are used: run all, then do the exercises.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
from functools import partial
from pathlib import Path

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn import exercises, nn, optim
from tinygrad_nn.exercises import fill_in
from tinygrad_nn.nn import functional as F

ROOT = Path(__file__).resolve().parent.parent
SEED_X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64)
SEED_Y = np.array([[0], [1], [1], [0]], dtype=np.float64)

# quiet; a partial adds no frame, so check still names tensors by this test's variables
grade = partial(exercises.check, show=False)


# ---------------------------------------------------------------- lesson 0: the seed


@pytest.fixture
def seed() -> dict:
    rng = np.random.default_rng(0)
    W1 = tg.Tensor(rng.random((3, 4)), requires_grad=True)
    W2 = tg.Tensor(rng.random((4, 1)), requires_grad=True)
    layer1 = (tg.Tensor(SEED_X, name="X") @ W1).sigmoid()
    output = (layer1 @ W2).sigmoid()
    loss = ((output - SEED_Y) ** 2).sum()
    o, l1 = output.detach().numpy(), layer1.detach().numpy()
    delta2 = 2 * (o - SEED_Y) * o * (1 - o)
    dh = delta2 @ W2.detach().numpy().T
    return {
        "loss": loss, "W1": W1, "W2": W2, "layer1": layer1, "o": o, "l1": l1,
        "delta2": delta2, "delta1": dh * l1 * (1 - l1),
    }  # fmt: skip


def test_a_weight_gradient_left_as_one_term_per_example(seed: dict) -> None:
    """l1 * delta2 (elementwise) where l1.T @ delta2 sums over the examples."""
    loss, W1, W2 = seed["loss"], seed["W1"], seed["W2"]
    verdict = grade(loss, dW2=seed["l1"] * seed["delta2"])["dW2"]
    assert verdict.diagnosis == "terms not added up", verdict.message
    assert "summed over axis 0 it is the gradient (W2: (4, 1))" in verdict.message
    assert "x.T @ g" in verdict.message
    del W1, W2


def test_a_transposed_answer_with_the_seeds_sign_names_both(seed: dict) -> None:
    loss, W1, W2 = seed["loss"], seed["W1"], seed["W2"]
    verdict = grade(loss, dW2=(-seed["delta2"]).T @ seed["l1"])["dW2"]
    assert verdict.diagnosis == "transposed", verdict.message
    assert "shape (1, 4), the gradient's transpose" in verdict.message
    assert "sign flipped" in verdict.message and verdict.factor == -1.0
    del W1, W2


def test_a_flattened_answer_is_the_right_numbers_in_the_wrong_shape(seed: dict) -> None:
    """.ravel() drops a size-1 axis: nothing was summed."""
    loss, W1, W2 = seed["loss"], seed["W1"], seed["W2"]
    verdict = grade(loss, dW2=(seed["l1"].T @ seed["delta2"]).ravel())["dW2"]
    assert verdict.diagnosis == "right numbers, wrong shape", verdict.message
    assert "summed" not in verdict.message
    del W1, W2


def test_the_last_step_to_a_weight_not_taken(seed: dict) -> None:
    """dL/dz1 given for dL/dW1: the checker names the value and the rule still to apply."""
    loss, W1, W2 = seed["loss"], seed["W1"], seed["W2"]
    verdict = grade(loss, dW1=seed["delta1"])["dW1"]
    assert verdict.diagnosis == "the gradient of another value", verdict.message
    assert "the gradient of matmul_out (shape (4, 4)), not of W1" in verdict.message
    assert "dL/dy = x.T @ g" in verdict.message and "y = W1" in verdict.message
    del W1, W2


def test_a_square_operand_without_its_transpose(seed: dict) -> None:
    """layer1 is 4 x 4, so layer1 @ delta2 has W2's shape: only the values tell."""
    loss, W1, W2, layer1 = seed["loss"], seed["W1"], seed["W2"], seed["layer1"]
    verdict = grade(loss, dW2=seed["l1"] @ seed["delta2"])["dW2"]
    assert verdict.diagnosis == "transpose left out", verdict.message
    assert "with layer1 in place of layer1.T" in verdict.message
    del W1, W2, layer1


def test_values_are_checked_by_the_names_explain_prints(seed: dict) -> None:
    """viz.explain calls X @ W1 matmul_out and layer1 @ W2 matmul_out_2: so does check,
    in its answers and in its messages."""
    loss, W1, W2, layer1 = seed["loss"], seed["W1"], seed["W2"], seed["layer1"]
    result = grade(loss, dmatmul_out_2=seed["delta2"], dmatmul_out=seed["delta1"])
    assert result.ok, str(result)
    mixed_up = grade(loss, dmatmul_out=seed["delta2"])["dmatmul_out"]
    assert "the gradient of matmul_out_2 (shape (4, 1)), not of matmul_out" in mixed_up.message
    del W1, W2, layer1


def test_a_positional_array_and_a_wrong_case_are_told_plainly(seed: dict) -> None:
    loss, W1, W2 = seed["loss"], seed["W1"], seed["W2"]
    with pytest.raises(TypeError, match=r"pass your gradients by name.*got ndarray"):
        grade(loss, seed["delta2"])
    with pytest.raises(KeyError, match=r"called 'w2' \(from 'dw2'\).*Did you mean 'W2'\?"):
        grade(loss, dw2=seed["l1"].T @ seed["delta2"])
    del W1, W2


def test_a_fill_in_line_that_does_not_run_shows_the_shapes_it_read(seed: dict) -> None:
    W1, W2 = seed["W1"], seed["W2"]
    opt = optim.SGD([W1, W2], lr=1.0)

    @tg.compile
    def seed_step(X: tg.Tensor) -> tg.Tensor:
        opt.zero_grad()
        layer1 = (X @ W1).sigmoid()
        loss = (((layer1 @ W2).sigmoid() - SEED_Y) ** 2).sum()
        loss.backward()
        opt.step()
        return loss

    ex = fill_in(seed_step, tg.Tensor(SEED_X), blanks=["d_W1"])
    verdict = ex.answer(d_W1="X @ (d_layer1 * layer1 * (1 - layer1))", show=False)["d_W1"]
    assert "does not run: ValueError" in verdict.message
    assert "the values it reads have shapes X (4, 3), d_layer1 (4, 4), layer1 (4, 4)" in (
        verdict.message
    )
    short = ex.answer(d_W1="d_layer1 * layer1 * (1 - layer1)", show=False)["d_W1"]
    assert short.diagnosis == "the gradient of another value", short.message


# ---------------------------------------------------------------- lesson 3: cross-entropy


@pytest.fixture
def mlp() -> dict:
    rng = np.random.default_rng(0)
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 3))
    x = tg.Tensor(rng.normal(size=(6, 2)), name="x")
    labels = np.array([0, 1, 2, 0, 1, 2])
    logits = model(x)
    loss = F.cross_entropy(logits, tg.tensor(labels))
    Z = logits.detach().numpy()
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    with tg.no_grad():
        H = model[1](model[0](x)).detach().numpy()
    G = (P - np.eye(3)[labels]) / 6
    return {"loss": loss, "logits": logits, "G": G, "H": H, "model": model, "x": x}


def test_a_sign_flip_away_from_the_seed_does_not_talk_of_the_seed(mlp: dict) -> None:
    loss, logits = mlp["loss"], mlp["logits"]
    verdict = grade(loss, dlogits=-mlp["G"])["dlogits"]
    assert verdict.diagnosis == "sign flipped"
    assert "seed" not in verdict.message and "2 (y - output)" not in verdict.message
    assert "the other way round" in verdict.message
    del logits


def test_a_linear_weight_transposed_is_told_linears_rule(mlp: dict) -> None:
    """nn.Linear stores W as (out, in): the seed's x.T @ g is the very slip made."""
    verdict = grade(mlp["loss"], {"2.weight": mlp["H"].T @ mlp["G"]})["2.weight"]
    assert verdict.diagnosis == "transposed"
    assert "z = x @ W.T" in verdict.message and "dL/dW = g.T @ x" in verdict.message
    assert "dL/dW = x.T @ g" not in verdict.message


def test_a_bias_summed_along_the_wrong_axis(mlp: dict) -> None:
    verdict = grade(mlp["loss"], {"2.bias": mlp["G"].sum(axis=1)})["2.bias"]
    assert verdict.diagnosis == "summed along the wrong axis", verdict.message
    assert "summed over axis 1" in verdict.message
    assert "stretched along axis 0" in verdict.message


def test_a_bias_summed_with_keepdims_is_only_a_layout(mlp: dict) -> None:
    verdict = grade(mlp["loss"], {"2.bias": mlp["G"].sum(axis=0, keepdims=True)})["2.bias"]
    assert verdict.diagnosis == "right numbers, wrong shape", verdict.message
    assert ".sum(axis=0) of your answer" not in verdict.message


def test_the_log_softmax_step_not_taken(mlp: dict) -> None:
    """-y/N is the gradient of log_softmax's output: the softmax part left out."""
    loss, logits = mlp["loss"], mlp["logits"]
    minus_y = (mlp["G"] < 0) * (-1 / 6)  # -1/N at each row's true class (P < 1)
    verdict = grade(loss, dlogits=minus_y)["dlogits"]
    assert verdict.diagnosis == "the gradient of another value", verdict.message
    assert "the gradient of log_softmax_out" in verdict.message
    assert "log_softmax" in verdict.message and "g - exp(z) * sum(g)" in verdict.message
    del logits


def test_a_weight_gradient_read_before_the_tanh(mlp: dict, seed: dict) -> None:
    """G.T @ z where the layer reads h = tanh(z): the pre-activation in h's place."""
    with tg.no_grad():
        pre = mlp["model"][0](mlp["x"]).detach().numpy()
    verdict = grade(mlp["loss"], {"2.weight": mlp["G"].T @ pre})["2.weight"]
    assert verdict.diagnosis == "pre-activation in place of the activation", verdict.message
    assert "reads tanh_out = tanh(add_out)" in verdict.message
    loss, W1, W2 = seed["loss"], seed["W1"], seed["W2"]
    z1 = SEED_X @ W1.detach().numpy()
    on_seed = grade(loss, dW2=z1.T @ seed["delta2"])["dW2"]
    assert on_seed.diagnosis == "pre-activation in place of the activation", on_seed.message
    del W2


def test_a_misspelt_module_path_suggests_the_nearest(mlp: dict) -> None:
    with pytest.raises(KeyError, match=r"'2\.weights'.*Did you mean '2\.weight'\?"):
        grade(mlp["loss"], {"2.weights": mlp["G"].T @ mlp["H"]})


# ---------------------------------------------------------------- lesson 6: attention


@pytest.fixture
def head() -> dict:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 4)).round(2)
    Wq, Wk, Wv = (tg.Tensor(rng.normal(size=(4, 2)), requires_grad=True) for _ in range(3))
    x = tg.Tensor(X, name="x")
    q, k, v = x @ Wq, x @ Wk, x @ Wv
    scores = q @ k.T / np.sqrt(2.0)
    weights = scores.softmax(axis=-1)
    out = weights @ v
    loss = (out * out).sum()
    A, dout = weights.detach().numpy(), 2 * out.detach().numpy()
    dweights = dout @ v.detach().numpy().T
    dscores = A * (dweights - (dweights * A).sum(axis=-1, keepdims=True))
    keep = {"Wq": Wq, "Wk": Wk, "Wv": Wv, "q": q, "k": k, "v": v, "scores": scores}
    return {**keep, "loss": loss, "A": A, "dout": dout, "dweights": dweights, "dscores": dscores}


def test_softmax_slips_each_get_their_own_name(head: dict) -> None:
    q, k, v, scores = head["q"], head["k"], head["v"], head["scores"]
    A, g, loss = head["A"], head["dweights"], head["loss"]
    slips = {
        "softmax derivative summed along the wrong axis": A
        * (g - (g * A).sum(axis=0, keepdims=True)),
        "softmax derivative without z in its sum": A * (g - g.sum(axis=-1, keepdims=True)),
        "activation instead of its derivative": g * A,
        "activation derivative left out": g,
    }
    for kind, answer in slips.items():
        verdict = grade(loss, dscores=answer)["dscores"]
        assert verdict.diagnosis == kind, (kind, verdict.message)
        assert "softmax" in verdict.message
    no_keepdims = grade(loss, dscores=A * (g - (g * A).sum(axis=-1)))["dscores"]
    assert no_keepdims.diagnosis == "softmax derivative summed along the wrong axis"
    assert "without keepdims=True" in no_keepdims.message
    del q, k, v, scores


def test_attention_transposes_left_out(head: dict) -> None:
    q, k, v, scores = head["q"], head["k"], head["v"], head["scores"]
    A, dout, loss = head["A"], head["dout"], head["loss"]
    dv = grade(loss, dv=A @ dout)["dv"]  # A is 3 x 3: A.T @ dout has the same shape
    assert dv.diagnosis == "transpose left out", dv.message
    assert "in place of" in dv.message and ".T" in dv.message
    g = head["dscores"] / np.sqrt(2.0)
    dk = grade(loss, dk=g @ q.detach().numpy())["dk"]  # g.T @ q is dk
    assert dk.diagnosis == "transpose left out", dk.message
    assert "transposed" in dk.message
    del k, v, scores


def test_a_left_out_scale_names_the_division(head: dict) -> None:
    q, k, v, scores, loss = head["q"], head["k"], head["v"], head["scores"], head["loss"]
    verdict = grade(loss, dk=head["dscores"].T @ q.detach().numpy())["dk"]  # no 1/sqrt(2)
    assert verdict.diagnosis == "constant factor"
    assert verdict.factor == pytest.approx(np.sqrt(2.0))
    assert "1.41421 times the gradient" in verdict.message
    assert "scores = div(..., 1.41421)" in verdict.message and "left out" in verdict.message
    del k, v, scores


def test_a_factor_sqrt_n_without_a_scale_in_the_graph() -> None:
    x = tg.Tensor([1.0, 2.0, -1.0], requires_grad=True)
    loss = (x * x).sum()
    verdict = grade(loss, dx=2 * x.detach().numpy() * np.sqrt(3.0))["dx"]
    assert verdict.diagnosis == "constant factor"
    assert "a factor sqrt(3) off: your answer is sqrt(3) = 1.73205 times the gradient" in (
        verdict.message
    )


def test_a_whole_jacobian_for_a_gradient(head: dict) -> None:
    q, k, v, scores, A = head["q"], head["k"], head["v"], head["scores"], head["A"]
    jacobian = np.einsum("ij,jk->ijk", A, np.eye(3)) - np.einsum("ij,ik->ijk", A, A)
    verdict = grade(head["loss"], dscores=jacobian)["dscores"]
    assert verdict.diagnosis == "a Jacobian, not a gradient", verdict.message
    assert "(3, 3, 3)" in verdict.message and "upstream gradient" in verdict.message
    del q, k, v, scores


# ---------------------------------------------------------------- the lessons, run all first

spec = importlib.util.spec_from_file_location("course_hook", ROOT / "docs" / "_hooks" / "course.py")
assert spec is not None and spec.loader is not None
course = importlib.util.module_from_spec(spec)
spec.loader.exec_module(course)
CODE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def run_all(path: Path) -> dict:
    """A notebook's 'Run All': every code cell in order, the solutions still folded."""
    pytest.importorskip("matplotlib").use("Agg")
    namespace: dict = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for code in CODE.findall(path.read_text()):
            exec(compile(code, str(path), "exec"), namespace)
    return namespace


@pytest.mark.parametrize("path", course.lessons(), ids=lambda p: p.stem)
def test_each_solution_passes_after_run_all(path: Path) -> None:
    """Learners run the whole notebook, then turn to the exercises: no later cell may
    rebind a name an earlier exercise reads (lesson 6's exercise 2 once rebound
    ``scores``, and exercise 1 then found no tensor of that name)."""
    namespace = run_all(path)
    for number, code in enumerate(course.solutions_in(path.read_text()), 1):
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                exec(compile(code, f"{path.name}, solution {number}", "exec"), namespace)
            except Exception as error:  # the message says which exercise
                pytest.fail(f"{path.stem}, exercise {number}, after Run All: {error!r}")


def test_lesson_3s_probabilities_belong_to_its_loss_after_run_all() -> None:
    """Exercise 1 takes P and the loss after training: the right answer is right."""
    namespace = run_all(ROOT / "docs" / "course" / "3-the-mlp-and-cross-entropy.md")
    exec(
        "assert check(loss, dlogits=(P - Y) / 6, show=False).ok\n"
        "assert abs(check(loss, dlogits=P - Y, show=False)['dlogits'].factor - 6) < 1e-9",
        namespace,
    )


def test_the_page_lists_every_mistake_the_checker_names() -> None:
    """docs/exercises.md's table: one row per diagnosis the checker can give."""
    from tinygrad_nn.exercises import diagnose, elsewhere, rules, shapes

    table = (ROOT / "docs" / "exercises.md").read_text()
    rows = {line.split("|")[1].strip() for line in table.splitlines() if line.startswith("| ")}
    kinds = {
        value
        for module in (diagnose, elsewhere, rules, shapes)
        for name, value in vars(module).items()
        if name.isupper() and isinstance(value, str) and " " in value and len(value) < 60
    }
    kinds -= {diagnose.UNKNOWN}
    assert kinds and kinds <= rows, sorted(kinds - rows)
