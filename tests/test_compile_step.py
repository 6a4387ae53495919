"""compile on a whole training step: forward, backward() and optimizer.step() in one
function, leaving parameters, .grad and optimizer state exactly as eager mode does."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nn as tg
from tinygrad_nn import nn, optim, tutorial

OPTIMIZERS = {
    "sgd": lambda p: optim.SGD(p, lr=1.0),
    "sgd-momentum-decay": lambda p: optim.SGD(p, lr=0.3, momentum=0.9, weight_decay=0.01),
    "sgd-nesterov-dampening": lambda p: optim.SGD(p, lr=0.3, momentum=0.5, nesterov=True),
    "sgd-dampening": lambda p: optim.SGD(p, lr=0.3, momentum=0.5, dampening=0.2),
    "adam": lambda p: optim.Adam(p, lr=0.01, weight_decay=0.01),
    "adamw-amsgrad": lambda p: optim.AdamW(p, lr=0.01, amsgrad=True),
    "rmsprop-centered": lambda p: optim.RMSprop(p, lr=0.01, centered=True, momentum=0.5),
    "adagrad": lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.001),
}


def seed_training(make_optimizer, compiled: bool, steps: int, zero_grad: bool = True):
    """The seed network trained ``steps`` times by one step function, eager or compiled."""
    model = tutorial.build_model(*tutorial.initial_weights(0))
    optimizer = make_optimizer(model.parameters())
    loss_fn = nn.SSE()

    def train_step(X):
        if zero_grad:
            optimizer.zero_grad()
        loss = loss_fn(model(X), tutorial.y)
        loss.backward()
        optimizer.step()
        return loss

    step = tg.compile(train_step) if compiled else train_step
    X = tg.Tensor(tutorial.X)
    losses = [step(X).item() for _ in range(steps)]
    return model, optimizer, losses, step


def assert_same_training(eager, compiled) -> None:
    (model_a, opt_a, losses_a, _), (model_b, opt_b, losses_b, _) = eager, compiled
    np.testing.assert_allclose(losses_b, losses_a, rtol=1e-12, atol=1e-12)
    for (name, p), q in zip(model_a.named_parameters(), model_b.parameters()):
        np.testing.assert_allclose(q.data, p.data, rtol=1e-12, atol=1e-12, err_msg=name)
        if p.grad is None:
            assert q.grad is None
        else:
            np.testing.assert_allclose(q.grad.data, p.grad.data, rtol=1e-12, atol=1e-12)
        state_a, state_b = opt_a.state[p], opt_b.state[q]
        assert state_a.keys() == state_b.keys(), name
        for key, value in state_a.items():
            assert type(state_b[key]) is type(value), key  # Adam's step stays an int
            np.testing.assert_allclose(state_b[key], value, rtol=1e-12, atol=1e-15, err_msg=key)


@pytest.mark.parametrize("kind", OPTIMIZERS)
def test_a_compiled_training_step_follows_eager_mode(kind: str) -> None:
    steps = 1500 if kind in ("sgd", "sgd-momentum-decay", "adam") else 300
    eager = seed_training(OPTIMIZERS[kind], compiled=False, steps=steps)
    compiled = seed_training(OPTIMIZERS[kind], compiled=True, steps=steps)
    assert_same_training(eager, compiled)
    assert len(compiled[3].traces) == 1  # the empty first state traced once, then replaced


@pytest.mark.parametrize("kind", ["sgd", "sgd-momentum-decay"])  # plain SGD keeps no state:
def test_without_zero_grad_the_gradients_accumulate_as_in_eager_mode(kind: str) -> None:
    make = OPTIMIZERS[kind]  # only the gradient appearing after call 1 makes it trace again
    eager = seed_training(make, compiled=False, steps=20, zero_grad=False)
    compiled = seed_training(make, compiled=True, steps=20, zero_grad=False)
    assert_same_training(eager, compiled)
    assert "d_model_0_weight = model_0_weight_grad + " in compiled[3].source


def test_the_seed_step_reads_like_the_seeds_loop_body() -> None:
    result = tutorial.train_side_by_side(steps=1500, compiled=True)
    assert result.max_difference < 1e-12
    assert result.compiled is not None
    source = result.compiled.source
    for line in [
        "def seed_step(X, W1, W2):",
        "layer1 = sigmoid(X @ W1)",
        "d_W1 = X.T @ (d_layer1 * layer1 * (1 - layer1))",
        "# update",
        "W1 -= d_W1",
        "W2 -= d_W2",
        "return loss, (d_W1, d_W2), ()",
    ]:
        assert line in source, f"{line!r} not in\n{source}"
    assert source.index("# backward") < source.index("# update") < source.index("W1 -= d_W1")


def test_the_cli_prints_the_compiled_training_step(capsys, tmp_path) -> None:
    from tinygrad_nn.__main__ import main

    assert main(["tutorial", "--compiled", "--steps", "5", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "def seed_step(X, W1, W2):" in printed and "W1 -= d_W1" in printed


def test_state_arguments_and_a_new_learning_rate_retrace() -> None:
    model, optimizer, _, step = seed_training(OPTIMIZERS["adam"], compiled=True, steps=3)
    source = step.source
    assert "model_0_weight_step_new = model_0_weight_step + 1" in source
    assert "model_0_weight_exp_avg" in source
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    scheduler.step()
    step(tg.Tensor(tutorial.X))
    assert "0.005" in step.source  # the new rate is in the code
    eager_model, eager_opt, _, _ = seed_training(OPTIMIZERS["adam"], compiled=False, steps=3)
    optim.lr_scheduler.StepLR(eager_opt, step_size=1, gamma=0.5).step()
    eager_opt.zero_grad()
    nn.SSE()(eager_model(tg.Tensor(tutorial.X)), tutorial.y).backward()
    eager_opt.step()
    for p, q in zip(eager_model.parameters(), model.parameters()):
        np.testing.assert_allclose(q.data, p.data, rtol=1e-12)


def test_zero_grad_after_the_step_leaves_no_gradients_and_none_is_returned() -> None:
    w = tg.Tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    @tg.compile
    def train_step(x):
        ((w * x) ** 2).sum().backward()
        opt.step()
        opt.zero_grad()

    assert train_step(tg.Tensor([1.0, 2.0])) is None
    np.testing.assert_allclose(w.data, [0.8, -0.4])  # w - 0.1 * 2 w x^2
    assert w.grad is None


def test_a_parameter_outside_the_graph_is_stepped_with_its_old_gradient() -> None:
    used, unused = tg.Tensor([1.0], requires_grad=True), tg.Tensor([5.0], requires_grad=True)
    unused.grad = tg.Tensor([2.0])
    opt = optim.SGD([used, unused], lr=0.5)

    @tg.compile
    def train_step(x):
        (used * x).sum().backward()
        opt.step()

    train_step(tg.Tensor([3.0]))
    np.testing.assert_allclose(unused.data, [4.0])  # 5 - 0.5 * 2, as eager mode would
    np.testing.assert_allclose(used.data, [-0.5])  # 1 - 0.5 * 3
    np.testing.assert_allclose(unused.grad.data, [2.0])


def test_gradients_that_are_parameters_are_copied_before_the_updates() -> None:
    # d(a*b)/da = b and d(a*b)/db = a: each update reads the other parameter, so the new
    # values are computed first, then written in place
    a, b = tg.Tensor([2.0], requires_grad=True), tg.Tensor([3.0], requires_grad=True)
    opt = optim.SGD([a, b], lr=0.1)

    @tg.compile
    def train_step():
        opt.zero_grad()
        (a * b).sum().backward()
        opt.step()

    train_step()
    np.testing.assert_allclose([a.item(), b.item()], [2.0 - 0.3, 3.0 - 0.2])
    np.testing.assert_allclose([a.grad.item(), b.grad.item()], [3.0, 2.0])
    assert "a[...] = a_new" in train_step.source


@settings(max_examples=20, deadline=None)
@given(
    batch=st.integers(1, 6),
    hidden=st.integers(1, 5),
    kind=st.sampled_from(sorted(OPTIMIZERS)),
    seed=st.integers(0, 2**16),
    dtype=st.sampled_from(["float64", "float32"]),
)
def test_drawn_mlps_train_the_same_compiled_and_eager(batch, hidden, kind, seed, dtype) -> None:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch, 3)).astype(dtype)
    Y = rng.standard_normal((batch, 2)).astype(dtype)
    runs = []
    for compiled in (False, True):
        tg.manual_seed(seed)
        model = nn.Sequential(nn.Linear(3, hidden), nn.Tanh(), nn.Linear(hidden, 2)).to(dtype)
        opt = OPTIMIZERS[kind](model.parameters())
        loss_fn = nn.MSELoss()

        def train_step(x, model=model, opt=opt, loss_fn=loss_fn):
            opt.zero_grad()
            loss = loss_fn(model(x), Y)
            loss.backward()
            opt.step()
            return loss

        step = tg.compile(train_step) if compiled else train_step
        losses = [step(tg.Tensor(X)).item() for _ in range(4)]
        runs.append((model, opt, losses, step))
    tolerance = 1e-12 if dtype == "float64" else 1e-5
    for p, q in zip(runs[0][0].parameters(), runs[1][0].parameters()):
        assert q.dtype == p.dtype
        np.testing.assert_allclose(q.data, p.data, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(runs[1][2], runs[0][2], rtol=tolerance, atol=tolerance)


def test_training_step_errors_name_the_problem() -> None:
    w = tg.Tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def twice(x):
        (w * x).sum().backward()
        (w * x).sum().backward()

    def after_step(x):
        (w * x).sum().backward()
        opt.step()
        return (w * x).sum()

    def clipping(x):
        (w * x).sum().backward()
        nn.utils.clip_grad_value_([w], 1.0)
        opt.step()

    def not_scalar(x):
        (w * x).backward()

    def returns_a_number(x):
        (w * x).sum().backward()
        return 1.0

    cases = [
        (twice, "calls backward() 2 times"),
        (after_step, "after optimizer.step()"),
        (clipping, "clipping gradients"),
        (not_scalar, "implicitly created only for scalar outputs"),
        (returns_a_number, "may return None or a Tensor"),
    ]
    for fn, message in cases:
        with pytest.raises((tg.TracingError, RuntimeError), match=re.escape(message)):
            tg.compile(fn)(tg.Tensor([1.0, 2.0]))
        np.testing.assert_array_equal(w.data, [1.0])  # nothing ran
        assert w.grad is None
    with pytest.raises(tg.TracingError, match="must not require grad"):
        tg.compile(lambda v: (v * 2).sum().backward())(tg.Tensor([1.0], requires_grad=True))


def test_new_minibatches_of_float_inputs_run_the_same_code() -> None:
    """Data and one-hot targets are arguments: five batches, one trace per optimizer
    state layout (the empty first state, then Adam's), and the code never retraced
    for new values."""
    from tinygrad_nn.nn import functional as F

    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    traced = []

    def train_step(x, targets):
        traced.append(1)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), targets)
        loss.backward()
        optimizer.step()
        return loss

    step = tg.compile(train_step)
    eager_model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    eager_model.load_state_dict(model.state_dict())
    eager_optimizer = optim.Adam(eager_model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    for _ in range(5):
        x, labels = rng.normal(size=(16, 4)), rng.integers(0, 3, size=16)
        loss = step(tg.Tensor(x), tg.Tensor(np.eye(3)[labels]))
        eager_optimizer.zero_grad()
        eager_loss = F.cross_entropy(eager_model(tg.Tensor(x)), labels)
        eager_loss.backward()
        eager_optimizer.step()
        assert loss.item() == pytest.approx(eager_loss.item(), rel=1e-12)
    assert len(traced) == 4  # two traces (each runs the function twice): empty state, then Adam's
    for p, q in zip(eager_model.parameters(), model.parameters()):
        np.testing.assert_allclose(q.data, p.data, rtol=1e-12, atol=1e-14)


def classifier_step(dynamic: tuple[str, ...]):
    from tinygrad_nn.nn import functional as F

    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    traced = []

    @tg.compile(dynamic=dynamic)
    def train_step(x, labels):
        traced.append(1)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), labels, weight=np.array([1.0, 2.0, 0.5]))
        loss.backward()
        optimizer.step()
        return loss

    return model, train_step, traced


def test_dynamic_integer_labels_are_arguments_of_the_compiled_step() -> None:
    """cross_entropy reads class indices through an op (nll_loss), so with
    dynamic=["labels"] a new minibatch of labels runs the same code, equal to eager."""
    from tinygrad_nn.nn import functional as F

    model, step, traced = classifier_step(("labels",))
    eager = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    eager.load_state_dict(model.state_dict())
    eager_optimizer = optim.SGD(eager.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    for _ in range(6):
        x, labels = rng.normal(size=(16, 4)), rng.integers(-1, 3, size=16)
        labels[labels < 0] = -100  # some rows ignored
        loss = step(tg.Tensor(x), tg.tensor(labels))
        eager_optimizer.zero_grad()
        expected = F.cross_entropy(eager(tg.Tensor(x)), labels, weight=np.array([1.0, 2.0, 0.5]))
        expected.backward()
        eager_optimizer.step()
        assert loss.item() == pytest.approx(expected.item(), rel=1e-12)
    assert len(traced) == 2 * 3  # (empty, then momentum state) x (run, other values, reordered)
    assert "def train_step(x, labels, " in step.source
    assert "class_mask(labels, classes=3, ignore_index=-100)" in step.source
    for p, q in zip(eager.parameters(), model.parameters()):
        np.testing.assert_allclose(q.data, p.data, rtol=1e-12, atol=1e-14)


def test_static_integer_labels_trace_per_value_and_dynamic_ones_must_not_be_read() -> None:
    _, step, traced = classifier_step(())
    rng = np.random.default_rng(1)
    x = tg.Tensor(rng.normal(size=(16, 4)))
    for _ in range(3):
        step(x, tg.tensor(rng.integers(0, 3, size=16)))
    assert len(traced) >= 3 * 2  # a trace (run twice) per new value
    with pytest.raises(ValueError, match="not parameters"):
        tg.compile(lambda x: x.sum(), dynamic=["labels"])

    @tg.compile(dynamic=["labels"])
    def reads_labels(x, labels):
        return x[labels].sum()  # an index: its values become part of the op

    with pytest.raises(tg.TracingError, match="dynamic integer inputs \\(labels\\) on the host"):
        reads_labels(tg.Tensor(np.ones(4), requires_grad=True), tg.tensor([0, 1, 3]))


def test_a_step_that_updates_running_statistics_is_refused_and_changes_nothing() -> None:
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 1))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    before = [p.array.copy() for p in model.parameters()]

    @tg.compile
    def train_step(x):
        optimizer.zero_grad()
        loss = (model(x) ** 2).mean()
        loss.backward()
        optimizer.step()
        return loss

    x = tg.Tensor(np.random.default_rng(0).normal(size=(16, 4)))
    with pytest.raises(tg.TracingError, match=r"running statistics.*eval mode"):
        train_step(x)
    np.testing.assert_array_equal(model[1].running_mean.data, np.zeros(8))  # undone
    assert all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), before))
    model.eval()  # running statistics are read, not updated: it compiles
    assert np.isfinite(train_step(x).item())


def test_a_scheduler_stepped_inside_the_compiled_step_is_refused() -> None:
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    optimizer = optim.SGD([w], lr=0.1)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)

    @tg.compile
    def train_step(x):
        optimizer.zero_grad()
        (w * x).sum().backward()
        optimizer.step()
        scheduler.step()

    with pytest.raises(tg.TracingError, match=r"scheduler's step\(\)"):
        train_step(tg.Tensor([1.0, 1.0]))
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    assert optimizer.param_groups[0]["lr"] == 0.1  # the trace's change is undone


@pytest.mark.parametrize("kind", ["minibatches of labels", "full batch of floats"])
def test_fit_compiled_gives_the_eager_history(kind: str) -> None:
    from tinygrad_nn.data import DataLoader, TensorDataset
    from tinygrad_nn.training import fit

    rng = np.random.default_rng(0)
    X, labels = rng.normal(size=(40, 4)), rng.integers(0, 3, size=40)
    histories, weights = [], []
    for compiled in (False, True):
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
        optimizer = optim.Adam(model.parameters(), lr=0.01)
        if kind == "minibatches of labels":  # 16, 16, 8 rows: two shapes, labels dynamic
            loader = DataLoader(TensorDataset(X, labels), 16, shuffle=True, seed=1)
            loss_fn = nn.functional.cross_entropy
            history = fit(model, loss_fn, optimizer, loader, epochs=3, compiled=compiled)
        else:
            Y = np.sin(X[:, :3])
            history = fit(model, nn.MSELoss(), optimizer, X, Y, steps=20, compiled=compiled)
        histories.append(history)
        weights.append(model[0].weight.array.copy())
    np.testing.assert_allclose(histories[1], histories[0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(weights[1], weights[0], rtol=1e-12, atol=1e-14)


def test_gradients_keep_each_parameters_dtype_as_in_eager_mode() -> None:
    """float32 parameters, float64 data: backward() stores float32 gradients; so does the
    compiled step (a cast in the code), and the update matches."""
    runs = []
    for compiled in (False, True):
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 1)).to("float32")
        optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

        def train_step(x, model=model, optimizer=optimizer):
            optimizer.zero_grad()
            loss = (model(x) ** 2).sum()
            loss.backward()
            optimizer.step()
            return loss

        step = tg.compile(train_step) if compiled else train_step
        x = tg.Tensor(np.random.default_rng(0).normal(size=(8, 4)))  # float64
        for _ in range(3):
            step(x)
        runs.append(model)
    for p, q in zip(runs[0].parameters(), runs[1].parameters()):
        assert q.grad.dtype == p.grad.dtype == q.dtype == np.float32
        np.testing.assert_allclose(q.data, p.data, rtol=1e-6, atol=1e-7)
