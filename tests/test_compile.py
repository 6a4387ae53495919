"""compile: the generated NumPy equals eager mode, reads like the seed, and is cached."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_op_gradients import CASES, Case

import tinygrad_nn as tg
from tinygrad_nn import nn, optim, tutorial
from tinygrad_nn.testing import Expression, arrays, expressions


def eager_loss_and_grads(fn, arrays_in, weights):
    leaves = [tg.Tensor(a, requires_grad=True) for a in arrays_in]
    loss = (fn(*leaves) * weights).sum()
    grads = tg.grad(loss, leaves, allow_unused=True)
    return loss.data, [None if g is None else g.data for g in grads]


def assert_compiled_equals_eager(fn, arrays_in, weights) -> None:
    expected_loss, expected_grads = eager_loss_and_grads(fn, arrays_in, weights)
    compiled = tg.compile(lambda *ts: (fn(*ts) * weights).sum())
    leaves = [tg.Tensor(a, requires_grad=True) for a in arrays_in]
    loss, grads = compiled(*leaves)
    np.testing.assert_allclose(loss.data, expected_loss, rtol=1e-12, atol=1e-12)
    for i, (got, expected) in enumerate(zip(grads, expected_grads)):
        if expected is None:
            assert got is None
            continue
        assert got is not None, f"compiled gave no gradient for input {i}"
        assert got.shape == leaves[i].shape and got.dtype == leaves[i].dtype
        np.testing.assert_allclose(got.data, expected, rtol=1e-12, atol=1e-12, err_msg=f"{i}")
        np.testing.assert_array_equal(leaves[i].grad.data, got.data)  # .grad filled too


@settings(max_examples=100)
@given(expr=expressions(), data=st.data())
def test_random_expressions_compile_to_the_eager_result(expr: Expression, data) -> None:
    out_shape = expr(*(tg.Tensor(a) for a in expr.inputs)).shape
    weights = data.draw(arrays(out_shape), label="weights")
    assert_compiled_equals_eager(expr, expr.inputs, weights)


@pytest.mark.parametrize("case", CASES, ids=repr)
@settings(max_examples=15)
@given(data=st.data())
def test_every_op_compiles_to_the_eager_result(case: Case, data) -> None:
    inputs, fn = case.draw(data.draw, 3)
    out_shape = fn(*(tg.Tensor(a) for a in inputs)).shape
    weights = data.draw(arrays(out_shape), label="weights")
    assert_compiled_equals_eager(fn, inputs, weights)


def test_the_seed_network_compiles_to_the_seeds_own_backprop() -> None:
    W1, W2 = tutorial.seed_weights(*tutorial.initial_weights(0))  # the seed's (3, 4), (4, 1)
    loss_fn = nn.SSE()

    @tg.compile
    def seed_loss(X):
        layer1 = (X @ W1).sigmoid()
        output = (layer1 @ W2).sigmoid()
        return loss_fn(output, tutorial.y)

    loss, grads = seed_loss(tg.Tensor(tutorial.X))
    assert grads == ()  # X does not require grad; W1 and W2 get theirs in .grad
    source = seed_loss.source
    for line in [
        "def seed_loss(X, W1, W2):",
        "layer1 = sigmoid(X @ W1)",
        "output = sigmoid(layer1 @ W2)",
        "d_output = 2.0 * t1",
        "d_layer1 = d_matmul_out @ W2.T",
        "d_W1 = X.T @ (d_layer1 * layer1 * (1 - layer1))",
        "d_W2 = layer1.T @ d_matmul_out",
    ]:
        assert line in source, f"{line!r} not in\n{source}"
    assert source.index("# backward") > source.index("output = ")
    # the gradients equal the seed's hand-derived ones (which are negated: the seed adds)
    net = tutorial.feedforward(
        tutorial.SeedNetwork(tutorial.X, *tutorial.initial_weights(0), tutorial.y)
    )
    delta = 2 * (net.y - net.output) * net.output * (1 - net.output)
    np.testing.assert_allclose(-W2.grad.data, net.layer1.T @ delta, rtol=1e-12)
    assert loss.item() == pytest.approx(tutorial.loss_function(net), rel=1e-12)


def test_compiled_training_follows_the_hand_derived_trajectory() -> None:
    result = tutorial.train_side_by_side(steps=1500, compiled=True)
    assert result.max_difference < 1e-12
    assert result.compiled is not None and len(result.compiled.traces) == 1


def test_an_optimizer_step_works_unchanged_with_module_parameters() -> None:
    tg.manual_seed(0)
    X = np.random.default_rng(1).standard_normal((16, 3))
    labels = np.arange(16) % 2
    eager_model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
    compiled_model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
    compiled_model.load_state_dict(eager_model.state_dict())
    loss_fn = nn.CrossEntropy()
    step = tg.compile(lambda x: loss_fn(compiled_model(x), labels))
    eager_opt = optim.Adam(eager_model.parameters(), lr=0.05)
    compiled_opt = optim.Adam(compiled_model.parameters(), lr=0.05)
    for _ in range(20):
        eager_opt.zero_grad()
        loss_fn(eager_model(tg.Tensor(X)), labels).backward()
        eager_opt.step()
        compiled_opt.zero_grad()
        step(tg.Tensor(X))
        compiled_opt.step()
    for (name, p), (_, q) in zip(eager_model.named_parameters(), compiled_model.named_parameters()):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-11, atol=1e-13, err_msg=name)


def test_gradients_accumulate_into_dot_grad_like_backward() -> None:
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    f = tg.compile(lambda w: (w * w).sum())
    f(w)
    f(w)
    np.testing.assert_array_equal(w.grad.data, [4.0, 8.0])


def test_the_trace_is_cached_per_signature() -> None:
    calls = []

    def body(x: tg.Tensor) -> tg.Tensor:
        calls.append(1)
        return (x * x).sum()

    f = tg.compile(body)
    f(tg.Tensor(np.ones(3), requires_grad=True))
    f(tg.Tensor(np.full(3, 2.0), requires_grad=True))
    assert len(calls) == 2  # one trace (which runs the function twice); same shape: no new one
    f(tg.Tensor(np.ones(4), requires_grad=True))
    f(tg.Tensor(np.ones(4, dtype=np.float32), requires_grad=True))
    f(tg.Tensor(np.ones(4)))  # no longer requires grad
    assert len(calls) == 8 and len(f.traces) == 4


def test_integer_inputs_are_part_of_the_signature() -> None:
    logits = tg.Tensor(np.array([[1.0, 2.0], [0.5, -1.0]]), requires_grad=True)
    f = tg.compile(lambda z, labels: nn.CrossEntropy()(z, labels.data))
    a, _ = f(logits, tg.Tensor(np.array([0, 1])))
    b, _ = f(logits, tg.Tensor(np.array([1, 0])))
    assert a.item() != b.item() and len(f.traces) == 2
    expected = nn.CrossEntropy()(logits, np.array([1, 0])).data
    np.testing.assert_allclose(b.data, expected, rtol=1e-12)


def test_inputs_that_do_not_require_grad_are_arguments_not_constants() -> None:
    w = tg.Tensor(np.ones(3), requires_grad=True)
    f = tg.compile(lambda x, w: (x * w).sum())
    assert f(tg.Tensor([1.0, 2.0, 3.0]), w)[0].item() == 6.0
    assert f(tg.Tensor([4.0, 5.0, 6.0]), w)[0].item() == 15.0
    assert len(f.traces) == 1


def test_float32_stays_float32() -> None:
    w = tg.Tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)
    f = tg.compile(lambda x: ((x @ w).sigmoid() * 2.0).sum())
    loss, _ = f(tg.Tensor(np.ones((4, 3), dtype=np.float32)))
    assert loss.dtype == np.float32 and w.grad.dtype == np.float32


@pytest.mark.parametrize(
    "body",
    [
        lambda x, c: (x * c).sum(),
        lambda x, c: tg.maximum(x, c).sum(),
        lambda x, c: (x.relu() + c).sigmoid().sum(),
        lambda x, c: (x * 2.0 - c).sum(),
    ],
)
@pytest.mark.parametrize("dtypes", [(np.float32, np.float64), (np.float64, np.float32)])
def test_constants_promote_as_in_eager_mode(body, dtypes) -> None:
    """A 0-d float64 Tensor promotes float32 data to float64 (it is an array, not a
    Python number): the generated code must write it so that it does the same."""
    data_dtype, constant_dtype = dtypes
    c = tg.Tensor(np.array(0.5, dtype=constant_dtype))
    x = tg.Tensor(np.array([1.0, -2.0], dtype=data_dtype), requires_grad=True)
    eager = body(x, c)
    eager.backward()
    eager_grad, x.grad = x.grad, None
    loss, (grad,) = tg.compile(lambda x: body(x, c))(x)
    assert loss.dtype == eager.dtype
    np.testing.assert_allclose(loss.data, eager.data, rtol=1e-6)
    assert grad.dtype == eager_grad.dtype == data_dtype
    np.testing.assert_allclose(grad.data, eager_grad.data, rtol=1e-6)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (lambda x: (x * 2).sum() if (x.sum() > 1) else x.sum(), "comparison"),
        (lambda x: x.sum() * float(x.sum()), "item"),
        (lambda x: x.sum() * 2 if bool((x * 1).sum()) else x.sum(), "bool"),
        (lambda x: tg.where(x > 0, x, 0.0).sum(), "comparison"),
        (lambda x: x * 2, "one-element"),
        (lambda x: tg.Tensor(np.ones(1)).sum(), "does not depend"),
    ],
)
def test_what_a_trace_cannot_capture_is_a_clear_error(body, words) -> None:
    f = tg.compile(body)
    with pytest.raises(tg.TracingError, match=words):
        f(tg.Tensor(np.array([1.0, -2.0]), requires_grad=True))


def test_tracing_leaves_no_state_behind() -> None:
    f = tg.compile(lambda x: x.sum() * x.sum().item())
    with pytest.raises(tg.TracingError):
        f(tg.Tensor([1.0], requires_grad=True))
    assert tg.Tensor([2.0]).item() == 2.0  # tracing mode was switched off again
    assert tg.is_grad_enabled()


def test_source_before_any_call_says_so() -> None:
    with pytest.raises(RuntimeError, match="not been called"):
        _ = tg.compile(lambda x: x.sum()).source


def test_compiled_chain_of_2000_ops() -> None:
    def chain(x: tg.Tensor) -> tg.Tensor:
        for i in range(2000):
            x = x * 1.01 if i % 3 == 0 else x + 0.01 if i % 3 == 1 else x.sigmoid()
        return x.sum()

    x = tg.Tensor(np.random.default_rng(0).random(4), requires_grad=True)
    eager_x = tg.Tensor(x.data, requires_grad=True)
    chain(eager_x).backward()
    tg.compile(chain)(x)
    np.testing.assert_allclose(x.grad.data, eager_x.grad.data, rtol=1e-12)


def test_the_trace_cache_is_bounded_and_warns_once(monkeypatch) -> None:
    from tinygrad_nn.compile import compiled as compiler

    monkeypatch.setattr(compiler, "MAX_TRACES", 3)
    logits = tg.Tensor(np.array([[1.0, 2.0], [0.5, -1.0]]), requires_grad=True)
    f = tg.compile(lambda z, labels: nn.CrossEntropy()(z, labels.data))
    labels = [np.array(pair) for pair in ([0, 0], [0, 1], [1, 0], [1, 1])]
    with pytest.warns(RuntimeWarning, match="traced for more than 3 input signatures"):
        for y in labels:
            f(logits, tg.Tensor(y))
    assert len(f.traces) == 3  # the oldest ([0, 0]) was dropped
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # only the first drop warns
        loss, _ = f(logits, tg.Tensor(labels[0]))
    np.testing.assert_allclose(loss.data, nn.CrossEntropy()(logits, labels[0]).data, rtol=1e-12)


def test_switching_train_and_eval_mode_traces_again() -> None:
    """The code is traced for one mode: dropout in eval mode is the identity, so after
    model.train() the compiled function must not keep running eval-mode code."""
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.Linear(4, 1))
    model.eval()
    f = tg.compile(lambda x: model(x).sum())
    x = tg.Tensor(np.ones((2, 4)))
    first, _ = f(x)
    model.train()  # dropout draws a mask now: that cannot be compiled, and says so
    with pytest.raises(tg.TracingError, match="random draw"):
        f(x)
    model.eval()
    assert f(x)[0].item() == first.item()
