"""exercises.fill_in: exercises made from compiled training steps, graded by the engine.

For each model of issue 26 (the seed, an MLP with biases, a small conv net, an RNN over 3
steps, one attention head): the compiler's own lines pass, each planted mistake gets its
diagnosis, and nothing is trained by making or grading the exercise.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn import nn, optim
from tinygrad_nn.exercises import FillIn, fill_in
from tinygrad_nn.nn import functional as F

SEED_X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64)
SEED_Y = np.array([[0], [1], [1], [0]], dtype=np.float64)


def seed_exercise(blanks=None) -> tuple[FillIn, list[tg.Tensor]]:
    rng = np.random.default_rng(0)
    W1 = tg.Tensor(rng.random((3, 4)), requires_grad=True)
    W2 = tg.Tensor(rng.random((4, 1)), requires_grad=True)
    opt = optim.SGD([W1, W2], lr=1.0)

    @tg.compile
    def seed_step(X):
        opt.zero_grad()
        layer1 = (X @ W1).sigmoid()
        output = (layer1 @ W2).sigmoid()
        loss = ((output - SEED_Y) ** 2).sum()
        loss.backward()
        opt.step()
        return loss

    return fill_in(seed_step, tg.Tensor(SEED_X), blanks=blanks), [W1, W2]


def grade(ex: FillIn, **lines: str) -> dict[str, str | None]:
    result = ex.answer(lines, show=False)
    return {v.name: v.diagnosis for v in result}


def solutions_pass(ex: FillIn) -> None:
    result = ex.answer(ex.solutions, show=False)
    assert result.ok, str(result)
    assert len(result) == len(ex.blanks)


# ---------------------------------------------------------------- the seed


def test_seed_shows_blanks_and_grades_without_training() -> None:
    ex, params = seed_exercise(["dW1", "d_W2", "layer1"])  # three spellings of a line
    before = [p.array.copy() for p in params]
    text = str(ex)
    assert ex.blanks == ["d_layer1", "d_W2", "d_W1"]  # in the code's order
    assert "    d_W1 = ____  # shape (3, 4): the gradient of W1" in text
    assert "d_layer1 = d_matmul_out" not in text and "W1 -= d_W1" in text
    assert repr(ex) == text and "<pre" in ex._repr_html_()
    solutions_pass(ex)
    found = grade(
        ex,
        d_W1="X.T @ (d_layer1 * (X @ W1) * (1 - X @ W1))",  # s(1-s) at the pre-activation
        d_W2="-layer1.T @ d_matmul_out",  # the seed's own sign
        d_layer1="d_matmul_out @ W2.T / 4",  # a mean's 1/N
    )
    assert found == {
        "d_layer1": "constant factor",
        "d_W2": "sign flipped",
        "d_W1": "activation derivative at the wrong value",
    }
    for p, old in zip(params, before):  # traced and graded, never stepped
        np.testing.assert_array_equal(p.array, old)
        assert p.grad is None


def test_seed_lines_as_source_text_and_whole_lines() -> None:
    ex, _ = seed_exercise()
    assert set(ex.blanks) == {"d_sub_out", "d_matmul_out", "d_layer1", "d_W2", "d_W1"}
    text = "\n".join(f"{name} = {line}" for name, line in ex.solutions.items())
    assert ex.answer(text, show=False).ok
    result = ex.answer(d_W1="d_W1 = X.T @ (d_layer1 * layer1 * (1 - layer1))", show=False)
    assert result.ok and len(result) == 1
    # the activation itself where its derivative belongs; its derivative left out
    found = grade(ex, d_matmul_out="d_sub_out * output", d_W1="X.T @ d_layer1")
    assert found == {
        "d_matmul_out": "activation instead of its derivative",
        "d_W1": "activation derivative left out",
    }


def test_a_learners_broken_line_gets_a_clear_verdict() -> None:
    ex, _ = seed_exercise(["d_W1", "d_W2", "d_layer1"])
    result = ex.answer(
        d_W1="X.T @ undefined_thing", d_W2="layer1.T @@ 2", d_layer1="d_matmul_out @ W1", show=False
    )
    assert not result.ok
    assert "not defined before it" in result["d_W1"].message
    assert "d_layer1" in result["d_W1"].message  # it lists the values there are
    assert "not a Python expression" in result["d_W2"].message
    assert "ValueError" in result["d_layer1"].message
    # a line may not use values computed after it
    assert "not defined before it" in ex.answer(d_layer1="d_W1", show=False)["d_layer1"].message
    # wrong shape and a plain array are graded like check's answers
    assert grade(ex, d_W2="d_matmul_out.T @ layer1")["d_W2"] == "transposed"
    assert grade(ex, d_W2="layer1.sum(axis=0)")["d_W2"] == "wrong shape"
    assert ex.answer(d_W2=ex.answer(d_W2="layer1.T @ d_matmul_out", show=False)["d_W2"].answer,
                     show=False).ok  # fmt: skip


def test_bad_arguments_are_refused_clearly() -> None:
    ex, _ = seed_exercise(["d_W1"])
    with pytest.raises(KeyError, match=r"d_W2.*blanks you can use: d_W1"):
        ex.answer(d_W2="0")
    with pytest.raises(TypeError, match="no answers given"):
        ex.answer()
    with pytest.raises(ValueError, match="not a line 'name = expression'"):
        ex.answer("X.T @ d_layer1")
    with pytest.raises(KeyError, match=r"no gradient line.*d_sub_out, d_matmul_out"):
        seed_exercise(["d_W3"])
    with pytest.raises(TypeError, match="compiled with tg"):
        fill_in(lambda x: x, tg.Tensor([1.0]))


# ---------------------------------------------------------------- an MLP with biases


def test_mlp_with_biases() -> None:
    tg.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    opt = optim.SGD(mlp.parameters(), lr=0.1)

    @tg.compile(dynamic=["labels"])
    def mlp_step(x, labels):
        opt.zero_grad()
        loss = F.cross_entropy(mlp(x), labels)
        loss.backward()
        opt.step()
        return loss

    rng = np.random.default_rng(1)
    x, labels = tg.Tensor(rng.normal(size=(6, 3))), tg.tensor(rng.integers(0, 2, 6))
    ex = fill_in(mlp_step, x, labels)
    assert {"d_mlp_0_bias", "d_mlp_2_weight", "d_add_out"} <= set(ex.blanks)
    solutions_pass(ex)
    # planted mistakes written from the compiler's own lines (so whichever way round
    # Linear stores its weight): the tanh's derivative divided back out, a sign
    tanh_left_out = "(d_add_out_2 / (1 - tanh_out * tanh_out))"
    found = grade(
        ex,
        d_mlp_2_bias="d_add_out",  # a bias's gradient left with one row per example
        d_mlp_0_weight=ex.solutions["d_mlp_0_weight"].replace("d_add_out_2", tanh_left_out),
        d_mlp_2_weight=f"-({ex.solutions['d_mlp_2_weight']})",
    )
    assert found == {
        "d_mlp_2_bias": "broadcast axis not summed",
        "d_mlp_2_weight": "sign flipped",
        "d_mlp_0_weight": "activation derivative left out",
    }


# ---------------------------------------------------------------- a small conv net


def test_small_conv_net() -> None:
    tg.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 2))
    opt = optim.SGD(net.parameters(), lr=0.1)

    @tg.compile(dynamic=["labels"])
    def conv_step(x, labels):
        opt.zero_grad()
        loss = F.cross_entropy(net(x), labels)
        loss.backward()
        opt.step()
        return loss

    rng = np.random.default_rng(2)
    ex = fill_in(
        conv_step,
        tg.Tensor(rng.normal(size=(2, 1, 4, 4))),
        tg.tensor(np.array([0, 1])),
        blanks=["d_net_0_weight", "d_net_0_bias", "d_net_3_bias"],
    )
    assert ex.shapes["d_net_0_weight"] == (2, 1, 3, 3)
    solutions_pass(ex)
    solution = ex.solutions
    found = grade(
        ex,
        d_net_0_bias=f"({solution['d_net_0_bias']}) * 2",
        d_net_3_bias=solution["d_net_3_bias"].replace(".sum(axis=0)", ""),  # a row per example
        d_net_0_weight=f"({solution['d_net_0_weight']}).reshape((2, 9))",  # not the kernel's shape
    )
    assert found == {
        "d_net_0_weight": "right numbers, wrong shape",
        "d_net_0_bias": "constant factor",
        "d_net_3_bias": "broadcast axis not summed",
    }


# ---------------------------------------------------------------- an RNN over 3 steps


def test_rnn_over_three_steps() -> None:
    rng = np.random.default_rng(3)
    Wx = tg.Tensor(rng.normal(size=(2, 3)) * 0.5, requires_grad=True)
    Wh = tg.Tensor(rng.normal(size=(3, 3)) * 0.5, requires_grad=True)
    opt = optim.SGD([Wx, Wh], lr=0.1)

    @tg.compile
    def rnn_step(xs):
        opt.zero_grad()
        h = tg.zeros((1, 3))
        for t in range(3):
            h = (xs[t] @ Wx + h @ Wh).tanh()
        loss = (h**2).sum()
        loss.backward()
        opt.step()
        return loss

    ex = fill_in(rnn_step, tg.Tensor(rng.normal(size=(3, 1, 2))), blanks=["d_Wh", "d_Wx", "d_h"])
    solutions_pass(ex)
    result = ex.answer(
        d_Wh="tanh_out_2.T @ d_add_out",  # only the last time step
        d_h="h",  # the 2 of the square dropped
        d_Wx="getitem_out_3.T @ d_add_out + getitem_out_2.T @ d_add_out_2",  # two of three
        show=False,
    )
    assert result["d_Wh"].diagnosis == "fan-out contribution missing"
    assert "Wh is used 3 times" in result["d_Wh"].message
    assert "matmul(tanh_out_2, Wh)" in result["d_Wh"].message  # inlined values get names
    assert result["d_Wx"].diagnosis == "fan-out contribution missing"
    assert result["d_h"].diagnosis == "constant factor" and result["d_h"].factor == 0.5


# ---------------------------------------------------------------- one attention head


def test_one_attention_head() -> None:
    rng = np.random.default_rng(4)
    Wq, Wk, Wv = (tg.Tensor(rng.normal(size=(4, 2)), requires_grad=True) for _ in range(3))
    opt = optim.SGD([Wq, Wk, Wv], lr=0.1)

    @tg.compile
    def attention_step(x):
        opt.zero_grad()
        q, k, v = x @ Wq, x @ Wk, x @ Wv
        scores = q @ k.T / np.sqrt(2.0)
        weights = scores.softmax(axis=-1)
        out = weights @ v
        loss = (out**2).sum()
        loss.backward()
        opt.step()
        return loss

    ex = fill_in(attention_step, tg.Tensor(rng.normal(size=(3, 4))),
                 blanks=["d_scores", "d_v", "d_matmul_out", "d_Wq", "d_k"])  # fmt: skip
    solutions_pass(ex)
    found = grade(
        ex,
        d_scores="d_weights * weights * (1 - weights)",
        d_v="d_out.T @ weights",
        d_Wq="x.T @ d_q * 2",
        d_k="q.T @ d_matmul_out",
    )
    assert found == {
        "d_scores": "softmax derivative taken elementwise",
        "d_v": "transposed",
        "d_Wq": "constant factor",
        "d_k": "transposed",
    }
    assert ex.answer(d_matmul_out="d_scores / np.sqrt(2.0)", show=False).ok
