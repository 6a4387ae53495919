"""Array backends: the same rules on another array library's arrays.

array-api-strict is the standard's strict reference: it has nothing beyond the standard
(no ``x.copy()``, no arithmetic on booleans, no NumPy functions), so every op's forward
and first and second derivatives computed on its arrays, equal to NumPy's, show that no
rule depends on NumPy. The standard leaves general integer-array indexing out
(``x[[0, 0, 2]]``), so array-api-strict refuses it; those draws are checked on PyTorch,
a real second library, whose tests skip when it is not installed.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_op_gradients import CASES, Case

import tinygrad_nn as tg
from tinygrad_nn import tutorial
from tinygrad_nn.testing import arrays

pytest.importorskip("array_api_compat")
strict = pytest.importorskip("array_api_strict")

# Cases whose every draw indexes with integer arrays: not in the standard.
INTEGER_INDEXING = {"scatter_add"}


def strict_refuses(library, error: IndexError) -> bool:
    """True when array-api-strict refused an integer-array index (not in the standard)."""
    message = str(error)
    is_strict = library in (strict, "array_api_strict")
    return is_strict and ("ndex arrays" in message or "multi-axes index" in message)


def derivatives(inputs, fn, weights, library):
    """Loss, first and second derivatives of ``sum(fn(inputs) * weights)`` in ``library``."""
    leaves = [tg.Tensor(a).to(library).requires_grad_() for a in inputs]
    loss = (fn(*leaves) * tg.Tensor(weights).to(library)).sum()
    firsts = tg.grad(loss, leaves, create_graph=True, allow_unused=True)
    used = [g for g in firsts if g is not None and g.requires_grad]
    seconds = [None] * len(leaves)
    if used:
        total = sum(((g * g).sum() for g in used), tg.Tensor(0.0).to(library))
        seconds = list(tg.grad(total, leaves, allow_unused=True))
    for t in (loss, *firsts, *seconds):
        assert t is None or tg.namespace.array_api.library_name(t.array) == library_name(library)
    return [None if t is None else t.detach().numpy() for t in (loss, *firsts, *seconds)]


def library_name(library) -> str:
    return library if isinstance(library, str) else library.__name__


def check_case(case: Case, data, library, evaluate=None) -> None:
    """``evaluate`` (``derivatives`` by default) in ``library`` equals it in NumPy."""
    evaluate = evaluate or derivatives
    inputs, fn = case.draw(data.draw, 3)
    out_shape = fn(*(tg.Tensor(a) for a in inputs)).shape
    weights = data.draw(arrays(out_shape), label="weights")
    want = evaluate(inputs, fn, weights, "numpy")
    try:
        got = evaluate(inputs, fn, weights, library)
    except IndexError as error:
        assume(not strict_refuses(library, error))
        raise
    for g, w in zip(got, want):
        assert (g is None) == (w is None)
        if w is not None:
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", [c for c in CASES if c.name not in INTEGER_INDEXING], ids=repr)
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_every_op_on_array_api_strict_equals_numpy(case: Case, data) -> None:
    check_case(case, data, strict)


@pytest.mark.parametrize("case", CASES, ids=repr)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_every_op_on_pytorch_equals_numpy(case: Case, data) -> None:
    pytest.importorskip("torch")
    check_case(case, data, "torch")


# ---------------------------------------------------------------- training on a backend

LIBRARIES = ["array_api_strict", "torch"]


def need(library: str) -> None:
    pytest.importorskip(library)


def seed_model() -> tg.nn.Module:
    return tutorial.build_model(*tutorial.initial_weights(0))


def mlp() -> tg.nn.Module:
    tg.manual_seed(0)
    return tg.nn.Sequential(tg.nn.Linear(4, 8), tg.nn.Tanh(), tg.nn.Linear(8, 3))


def train(library, make_model, make_optimizer, loss_fn, X, y, steps, move_after=0):
    """Loss per step and the final parameters (as NumPy), training in ``library``; with
    ``move_after`` the model starts in NumPy and moves there after that many steps."""
    model = make_model()
    optimizer = make_optimizer(model.parameters())
    losses = []
    for step in range(steps):
        if step == move_after:
            model.to(library)
        inputs = tg.Tensor(X).to(library if step >= move_after else "numpy")
        target = tg.Tensor(y).to(library if step >= move_after else "numpy")
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return np.array(losses), model.state_dict()


def assert_same_training(got, want) -> None:
    np.testing.assert_allclose(got[0], want[0], rtol=1e-10, atol=1e-12)
    for key in want[1]:
        np.testing.assert_allclose(got[1][key], want[1][key], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("library", LIBRARIES)
def test_the_seed_network_trains_the_same_on_a_backend(library: str) -> None:
    need(library)
    X, y = tutorial.X, tutorial.y
    run = lambda lib: train(  # noqa: E731
        lib, seed_model, lambda ps: tg.optim.SGD(ps, lr=1.0), tg.nn.SSE(), X, y, 50
    )
    assert_same_training(run(library), run("numpy"))


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("move_after", [0, 3])
def test_an_mlp_with_adam_trains_the_same_on_a_backend(library: str, move_after: int) -> None:
    need(library)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(16, 4)), rng.integers(0, 3, size=16)

    def run(lib):
        return train(
            lib,
            mlp,
            lambda ps: tg.optim.Adam(ps, lr=0.01, amsgrad=True),
            tg.nn.functional.cross_entropy,
            X,
            y,
            12,
            move_after,  # the optimizer's moments, made in NumPy, follow the parameters
        )

    assert_same_training(run(library), run("numpy"))


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_checkpoint_saves_through_numpy_and_loads_into_the_library(library, tmp_path) -> None:
    need(library)
    model = mlp().to(library)
    tg.save(model, tmp_path / "m.safetensors")
    other = tg.nn.Sequential(tg.nn.Linear(4, 8), tg.nn.Tanh(), tg.nn.Linear(8, 3)).to(library)
    other.load_state_dict(tg.load(tmp_path / "m.safetensors"))
    assert tg.namespace.array_api.library_name(other[0].weight.array) == library
    np.testing.assert_array_equal(
        other[0].weight.detach().numpy(), model[0].weight.detach().numpy()
    )


def test_mixing_libraries_in_one_op_names_both() -> None:
    x = tg.Tensor([1.0, 2.0]).to(strict)
    with pytest.raises(TypeError, match=r"array_api_strict and numpy.*x.to\('array_api_strict'\)"):
        x * tg.Tensor([1.0, 2.0])


def test_a_device_without_float64_says_to_use_float32() -> None:
    no_float64 = strict.Device("no_float64")
    with pytest.raises(TypeError, match=r"float64 is not supported there.*float32"):
        tg.Tensor([1.0]).to(strict, device=no_float64)
    x = tg.Tensor([1.0, -2.0]).float().to(strict, device=no_float64).requires_grad_()
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, -4.0]


def test_moving_needs_a_library_name_and_a_leaf() -> None:
    if importlib.util.find_spec("cupy") is None:  # "cuda" is CuPy's GPU, as PyTorch's device
        with pytest.raises(RuntimeError, match="runs CUDA through CuPy"):
            tg.Tensor([1.0]).to("cuda")
    with pytest.raises(ValueError, match=r"neither a dtype, a device .* nor an array library"):
        tg.Tensor([1.0]).to("cupy_missing")
    y = tg.Tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="would cut the graph"):
        y.to(strict)


def test_a_tensor_keeps_another_librarys_array_and_reports_it() -> None:
    x = tg.Tensor(strict.asarray([1, 2]), requires_grad=True)
    assert tg.namespace.array_api.library_name(x.array) == "array_api_strict"
    assert "float64" in str(x.array.dtype)  # integers that require grad become float64
    assert "library=array_api_strict" in repr(x)
    assert x.device == strict.Device("CPU_DEVICE")
    assert tg.Tensor([1.0]).device == "cpu"
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 2.0])


# ---------------------------------------------------------------- compiled on a backend


def compiled_on(inputs, fn, weights, library):
    """Loss and gradients of ``sum(fn(inputs) * weights)``, compiled for ``library``."""
    leaves = [tg.Tensor(a).to(library).requires_grad_() for a in inputs]
    w = tg.Tensor(weights).to(library)
    compiled = tg.compile(lambda *xs: (fn(*xs) * w).sum())
    loss, grads = compiled(*leaves)
    if library != "numpy":
        assert "xp." in compiled.source or "np." not in compiled.source
        assert tg.namespace.array_api.library_name(loss.array) == library_name(library)
    return [loss.numpy(), *(None if g is None else g.numpy() for g in grads)]


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("case", [c for c in CASES if c.name not in INTEGER_INDEXING], ids=repr)
@settings(max_examples=4, deadline=None)
@given(data=st.data())
def test_every_op_compiled_for_a_backend_equals_numpy(case: Case, library: str, data) -> None:
    need(library)
    check_case(case, data, library, compiled_on)


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_compiled_training_step_runs_on_a_backend(library: str) -> None:
    need(library)
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(16, 4)), rng.integers(0, 3, size=16)

    def run(lib):
        model = mlp().to(lib)
        optimizer = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        x = tg.Tensor(X).to(lib)
        step = tg.compile(lambda x: tg.nn.functional.cross_entropy(model(x), y))
        losses = []
        for _ in range(6):
            optimizer.zero_grad()
            loss, _ = step(x)
            optimizer.step()
            losses.append(loss.item())
        return np.array(losses), model.state_dict()

    assert_same_training(run(library), run("numpy"))


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("kind", ["sgd-momentum", "adam"])
def test_a_whole_compiled_training_step_on_a_backend_follows_numpy(library, kind) -> None:
    """backward() and optimizer.step() compiled for another library: parameters updated
    in place there, the optimizer state (Adam's step count too) kept as eager mode does."""
    need(library)
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(16, 4)), rng.normal(size=(16, 3))

    def run(lib):
        model = mlp().to(lib)
        if kind == "adam":
            optimizer = tg.optim.Adam(model.parameters(), lr=0.01)
        else:
            optimizer = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        x, target = tg.Tensor(X).to(lib), tg.Tensor(y).to(lib)

        @tg.compile
        def train_step(x):
            optimizer.zero_grad()
            loss = tg.nn.functional.mse_loss(model(x), target)
            loss.backward()
            optimizer.step()
            return loss

        losses = np.array([train_step(x).item() for _ in range(8)])
        if kind == "adam":
            assert all(type(s["step"]) is int and s["step"] == 8 for s in optimizer.state.values())
        return losses, model.state_dict()

    assert_same_training(run(library), run("numpy"))


@pytest.mark.parametrize("library", LIBRARIES)
def test_dynamic_labels_in_a_compiled_step_on_a_backend(library) -> None:
    need(library)

    def run(lib):
        model = mlp().to(lib)
        optimizer = tg.optim.SGD(model.parameters(), lr=0.1)

        @tg.compile(dynamic=["labels"])
        def train_step(x, labels):
            optimizer.zero_grad()
            loss = tg.nn.functional.cross_entropy(model(x), labels)
            loss.backward()
            optimizer.step()
            return loss

        batches = np.random.default_rng(3)
        losses = []
        for _ in range(4):
            x, labels = batches.normal(size=(8, 4)), batches.integers(0, 3, size=8)
            losses.append(train_step(tg.Tensor(x).to(lib), tg.tensor(labels).to(lib)).item())
        assert len(train_step.traces) == 1
        return np.array(losses), model.state_dict()

    assert_same_training(run(library), run("numpy"))
