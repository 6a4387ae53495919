"""In-place updates (issue 25: ``x[idx] = v``, ``p.data`` as a Tensor, PyTorch's in-place
methods; issue 23: an in-place edit between forward and backward gave wrong gradients).

Every in-place change writes a new array (copy-on-write), so a recorded graph keeps the
values it was computed with; on a tensor that requires grad it is recorded as PyTorch
records it, or refused with PyTorch's message where PyTorch refuses.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as npst

import tinygrad_nn as tg
from tinygrad_nn.testing import arrays, assert_gradients_match, shapes

LEAF = "a leaf Variable that requires grad is being used in an in-place operation."


# ---------------------------------------------------------------- issue 23: saved arrays


def test_editing_w_data_between_forward_and_backward_keeps_the_gradient() -> None:
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    w.data[:] = np.array([10.0, 20.0])  # issue 23 measured [20, 40]
    loss.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(w.detach().numpy(), [10.0, 20.0])


def test_scaling_a_saved_sigmoid_output_keeps_the_gradient() -> None:
    x = tg.Tensor([0.5, -1.0], requires_grad=True)
    s = x.sigmoid()
    s.data *= 0  # sigmoid's rule reads its output: z (1 - z)
    s.sum().backward()
    z = 1 / (1 + np.exp(-np.array([0.5, -1.0])))
    np.testing.assert_allclose(x.grad.numpy(), z * (1 - z), rtol=1e-15)
    np.testing.assert_array_equal(s.detach().numpy(), [0.0, 0.0])


def test_a_leaf_changed_under_no_grad_keeps_first_order_gradients() -> None:
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w * w).sum()
    with tg.no_grad():
        w.mul_(100)
    loss.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 12.0])


def test_a_leaf_changed_before_a_create_graph_backward_is_refused() -> None:
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with tg.no_grad():
        w += 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        tg.grad(loss, [w], create_graph=True)


# ---------------------------------------------------------------- .data and .numpy()


def test_data_is_a_detached_tensor_sharing_the_array() -> None:
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    d = w.data
    assert isinstance(d, tg.Tensor) and not d.requires_grad and d.op is None
    assert d.numpy() is w.array  # shared, not copied
    assert w.detach().numpy() is w.array


def test_the_manual_sgd_loops_update_the_parameter() -> None:
    lr = 0.1
    for step in ("add_", "isub", "setitem", "no_grad_isub", "sub_alpha"):
        p = tg.Tensor([1.0, 2.0], requires_grad=True)
        (p * p).sum().backward()
        if step == "add_":
            p.data.add_(-lr * p.grad)
        elif step == "isub":
            p.data -= lr * p.grad
        elif step == "setitem":
            p.data[:] = p.data - lr * p.grad
        elif step == "no_grad_isub":
            with tg.no_grad():
                p -= lr * p.grad
        else:
            p.data.sub_(p.grad, alpha=lr)
        np.testing.assert_allclose(p.detach().numpy(), [0.8, 1.6], err_msg=step)
        assert p.requires_grad and p.is_leaf, step
        p.grad.data.zero_()
        np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0])


def test_setting_data_replaces_the_values_shape_and_dtype_included() -> None:
    p = tg.Tensor([1.0, 2.0], requires_grad=True)
    p.data = tg.Tensor([[1.0, 2.0, 3.0]], dtype="float32")
    assert p.shape == (1, 3) and p.dtype == np.float32 and p.requires_grad
    p.data = np.zeros(2)
    assert p.shape == (2,)
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        p.data = [1.0, 2.0]


def test_an_alias_whose_tensor_was_given_new_values_no_longer_writes_into_it() -> None:
    p = tg.Tensor([1.0, 2.0])
    d = p.data
    p.data = np.array([5.0, 5.0])
    d.zero_()
    np.testing.assert_array_equal(p.numpy(), [5.0, 5.0])


def test_numpy_of_a_tensor_that_requires_grad_is_refused_as_in_pytorch() -> None:
    w = tg.Tensor([1.0], requires_grad=True)
    message = (
        "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
    )
    with pytest.raises(RuntimeError) as error:
        w.numpy()
    assert str(error.value) == message
    assert w.detach().numpy().tolist() == [1.0]


# ---------------------------------------------------------------- the methods


def test_each_in_place_method_gives_pytorchs_values_and_returns_self() -> None:
    base = np.array([-2.0, 0.5, 3.0])
    cases = {
        "add_": (lambda t: t.add_(tg.Tensor([1.0, 1.0, 1.0]), alpha=2), base + 2),
        "sub_": (lambda t: t.sub_(1.0), base - 1),
        "mul_": (lambda t: t.mul_(3), base * 3),
        "div_": (lambda t: t.div_(2), base / 2),
        "pow_": (lambda t: t.pow_(2), base**2),
        "neg_": (lambda t: t.neg_(), -base),
        "exp_": (lambda t: t.exp_(), np.exp(base)),
        "copy_": (lambda t: t.copy_(tg.Tensor(7.0)), np.full(3, 7.0)),
        "zero_": (lambda t: t.zero_(), np.zeros(3)),
        "fill_": (lambda t: t.fill_(tg.Tensor(4.0)), np.full(3, 4.0)),
        "clamp_": (lambda t: t.clamp_(-1, 1), np.clip(base, -1, 1)),
        "clamp_min_": (lambda t: t.clamp_min_(0), np.maximum(base, 0)),
        "clamp_max_": (lambda t: t.clamp_max_(0), np.minimum(base, 0)),
        "masked_fill_": (lambda t: t.masked_fill_(t > 0, -1.0), np.where(base > 0, -1.0, base)),
        "iadd": (lambda t: t.__iadd__(1), base + 1),
        "imul": (lambda t: t.__imul__(2), base * 2),
        "itruediv": (lambda t: t.__itruediv__(4), base / 4),
    }
    for name, (method, expected) in cases.items():
        t = tg.Tensor(base)
        before = t.array
        assert method(t) is t, name
        np.testing.assert_allclose(t.numpy(), expected, rtol=1e-15, err_msg=name)
        assert before.tolist() == base.tolist(), name  # copy-on-write: the old array stays


def test_copy_casts_and_broadcasts_the_source() -> None:
    t = tg.zeros(2, 2, dtype="int64")
    t.copy_(tg.Tensor([1.7, -2.2]))
    assert t.dtype == np.int64 and t.tolist() == [[1, -2], [1, -2]]
    with pytest.raises(RuntimeError, match=r"copy_.*\[3\].*\[2, 2\]"):
        t.copy_(tg.zeros(3))


def test_a_result_that_would_broadcast_or_change_kind_is_refused() -> None:
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast"):
        tg.zeros(3).add_(tg.zeros(2, 3))
    with pytest.raises(
        RuntimeError, match="result type Double can't be cast to the desired output"
    ):
        tg.tensor([1, 2]).add_(1.5)
    t = tg.tensor([1, 2])
    t += 3  # an integer stays an integer
    assert t.dtype == np.int64 and t.tolist() == [4, 5]


def test_random_fills_follow_manual_seed_and_generators() -> None:
    tg.manual_seed(3)
    a = tg.zeros(2000).uniform_(-0.5, 0.5)
    tg.manual_seed(3)
    b = tg.zeros(2000).uniform_(-0.5, 0.5)
    assert a.tolist() == b.tolist() and a.min().item() >= -0.5 and a.max().item() < 0.5
    g = tg.Generator().manual_seed(1)
    n = tg.zeros(20000).normal_(2.0, 0.5, generator=g)
    assert abs(n.mean().item() - 2.0) < 0.02 and abs(n.std().item() - 0.5) < 0.02
    with pytest.raises(TypeError, match="uniform_"):
        tg.zeros(2, dtype="int64").uniform_()
    w = tg.Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=LEAF):
        w.normal_()
    with tg.no_grad():
        w.normal_()  # nn.init's way


# ---------------------------------------------------------------- the rules of recording


def test_in_place_on_a_leaf_that_requires_grad_is_refused_with_pytorchs_message() -> None:
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    for change in (
        lambda: w.add_(1),
        lambda: w.__iadd__(1),
        lambda: w.zero_(),
        lambda: w.__setitem__(0, 5.0),
        lambda: w.masked_fill_(w > 1, 0.0),
    ):
        with pytest.raises(RuntimeError) as error:
            change()
        assert str(error.value) == LEAF
    assert w.tolist() == [1.0, 2.0] and w.is_leaf


def test_dcounts_plus_equals_on_a_non_leaf_gives_pytorchs_gradient() -> None:
    # the backprop-ninja exercise's pattern: a gradient accumulated with +=
    x = tg.Tensor([0.5, -1.5, 2.0], requires_grad=True)
    dcounts = x * 2.0
    first = dcounts.exp()  # a use of the old value: keeps the old node
    dcounts += x * x
    assert not dcounts.is_leaf and dcounts.op.name == "add"
    (first.sum() + (dcounts * 3.0).sum()).backward()
    a = np.array([0.5, -1.5, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * a) + 3 * (2 + 2 * a), rtol=1e-14)


def test_a_retained_gradient_and_the_name_follow_the_new_value() -> None:
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    h = (x * 1.0).retain_grad()
    h.name = "h"
    h *= 3.0
    (h * h).sum().backward()
    assert h.name == "h"
    np.testing.assert_allclose(h.grad.numpy(), 2 * 3 * np.array([1.0, 2.0]))
    np.testing.assert_allclose(x.grad.numpy(), 18 * np.array([1.0, 2.0]))


def test_writing_a_constant_into_a_non_leaf_zeroes_its_old_gradient() -> None:
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    h.zero_()
    assert h.requires_grad and not h.is_leaf  # as PyTorch: still in the graph
    (h + x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_a_constant_leaf_that_a_setitem_made_computed_gets_no_grad() -> None:
    v = tg.Tensor(3.0, requires_grad=True)
    buffer = tg.zeros(2)
    early = buffer * v  # buffer as a constant (it did not require grad then)
    buffer[0] = v
    assert buffer.requires_grad and not buffer.is_leaf
    (early.sum() + buffer.sum()).backward()
    assert v.grad.item() == 1.0  # early is 0 * v: only buffer[0] = v counts
    assert buffer._grad is None


def test_nothing_requires_grad_or_no_grad_only_changes_values() -> None:
    t = tg.zeros(3)
    t[1] = 2.0
    t.add_(1)
    assert t.is_leaf and not t.requires_grad and t.tolist() == [1.0, 3.0, 1.0]
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        w[0] = 7.0
        w.clamp_(max=5.0)
    assert w.is_leaf and w.requires_grad and w.tolist() == [5.0, 2.0]


# ---------------------------------------------------------------- x[index] = value


def test_setitem_as_in_the_programs_of_issue_25() -> None:
    logits = tg.tensor([[1.0, 3.0, 2.0], [0.0, -1.0, 5.0]])
    v = logits.topk(2)[0][:, [-1]] if hasattr(logits, "topk") else tg.tensor([[2.0], [0.0]])
    logits[logits < v] = -float("inf")
    assert logits.tolist() == [[-math.inf, 3.0, 2.0], [0.0, -math.inf, 5.0]]
    x = tg.zeros(4, dtype="int64")
    ix = tg.tensor([7, 8, 9])
    x[1:] = ix
    assert x.tolist() == [0, 7, 8, 9]
    pe = tg.zeros(5, 6)
    position = tg.arange(5).unsqueeze(1).float()
    div = tg.tensor(np.exp(np.arange(0, 6, 2) * (-math.log(10000.0) / 6)))
    pe[:, 0::2] = (position * div).sin()
    pe[:, 1::2] = (position * div).cos()
    angles = np.arange(5)[:, None] * div.numpy()
    np.testing.assert_allclose(pe.numpy()[:, 0::2], np.sin(angles), rtol=1e-15)
    np.testing.assert_allclose(pe.numpy()[:, 1::2], np.cos(angles), rtol=1e-15)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_setitem_writes_what_numpy_writes(data: st.DataObject) -> None:
    shape = data.draw(shapes(min_dims=1, max_side=4), label="shape")
    target = data.draw(arrays(shape), label="target")
    index = data.draw(_indices(shape), label="index")
    selected = np.empty(shape)[index].shape
    value_shape = data.draw(st.sampled_from([(), selected, selected[1:]]), label="value shape")
    value = data.draw(arrays(value_shape), label="value")
    expected = target.copy()
    expected[index] = value
    t = tg.Tensor(target)
    t[index] = tg.Tensor(value)
    np.testing.assert_array_equal(t.numpy(), expected)


def _indices(shape: tuple[int, ...]) -> st.SearchStrategy:
    """A slice, an integer, an integer array (repeats allowed), a boolean mask, a mix."""
    n = shape[0]
    basic = st.one_of(
        st.integers(-n, n - 1),
        st.builds(
            slice,
            st.none() | st.integers(-n, n),
            st.none() | st.integers(-n, n),
            st.sampled_from([None, 1, 2, -1]),
        ),
    )
    integer_array = st.lists(st.integers(-n, n - 1), min_size=1, max_size=5).map(np.array)
    mask = npst.arrays(bool, shape)
    mixed = (
        st.tuples(st.just(slice(None)), st.integers(0, shape[1] - 1)) if len(shape) > 1 else basic
    )
    return st.one_of(basic, integer_array, mask, mixed)


@pytest.mark.parametrize(
    "index, value_shape",
    [
        ((slice(1, None),), (2, 3)),
        ((slice(None), 1), ()),
        (([0, 2, 0],), (3, 3)),  # a repeated row: the last write wins, and its gradient
        ((np.array([[True, False, True], [False, True, True], [True, True, False]]),), (6,)),
        ((slice(None), slice(0, None, 2)), (3, 1)),  # broadcast: the gradient sums back
    ],
)
def test_a_recorded_setitem_matches_finite_differences(index: tuple, value_shape: tuple) -> None:
    rng = np.random.default_rng(0)
    target, value = rng.standard_normal((3, 3)), rng.standard_normal(value_shape)

    def written(x: tg.Tensor, v: tg.Tensor) -> tg.Tensor:
        y = x * 1.5  # a non-leaf: in place is recorded
        y[index] = v * v
        return y * y  # second order needs a non-linear use

    assert_gradients_match(written, [target, value], rng.standard_normal((3, 3)))
    x, v = tg.Tensor(target, requires_grad=True), tg.Tensor(value, requires_grad=True)
    assert tg.gradcheck(written, [x, v]) and tg.gradgradcheck(written, [x, v])


@pytest.mark.parametrize("method", ["add_", "mul_", "div_", "pow_", "copy_", "clamp_"])
def test_recorded_in_place_methods_match_finite_differences(method: str) -> None:
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0.5, 2.0, (2, 3)), rng.uniform(0.5, 2.0, (3,))

    def changed(x: tg.Tensor, y: tg.Tensor) -> tg.Tensor:
        h = x.exp()
        if method == "clamp_":
            h.clamp_(1.5, 5.0)
        elif method == "add_":
            h.add_(y, alpha=-2.0)
        else:
            getattr(h, method)(y)
        return h * x

    assert_gradients_match(changed, [a, b], rng.standard_normal((2, 3)))
    x, y = tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
    assert tg.gradgradcheck(changed, [x, y])


def test_setitem_errors_name_the_shapes_and_change_nothing() -> None:
    t = tg.zeros(2, 3)
    with pytest.raises(ValueError, match=r"setitem.*\(4,\).*\(2, 3\)"):
        t[0] = tg.zeros(4)
    with pytest.raises(IndexError, match=r"setitem.*\(2, 3\)"):
        t[5] = 1.0
    h = tg.Tensor(np.ones((2, 3)), requires_grad=True) * 1.0
    with pytest.raises(ValueError, match=r"setitem.*\(4,\).*\(2, 3\)"):
        h[0] = tg.Tensor(np.zeros(4), requires_grad=True)
    assert t.tolist() == [[0.0] * 3] * 2 and h.op.name == "mul"


# ---------------------------------------------------------------- copy-on-write's cost


def test_setitem_writes_in_place_only_when_nothing_else_holds_the_array() -> None:
    t = tg.zeros(3)
    alone = t.array
    del alone
    held = id(t.array)
    t[0] = 1.0  # no graph, no view, no user holds it: written in place
    assert id(t.array) == held
    kept = t.numpy()  # the user holds it now: a new array
    t[1] = 2.0
    assert kept.tolist() == [1.0, 0.0, 0.0] and t.tolist() == [1.0, 2.0, 0.0]
    p = tg.Tensor([1.0, 2.0], requires_grad=True)
    loss = (p * p).sum()  # the graph holds p's array
    p.data[0] = 5.0
    loss.backward()
    assert p.grad.tolist() == [2.0, 4.0] and p.tolist() == [5.0, 2.0]
    view = tg.zeros(4)[1:]  # a view of another array: never written in place
    base = view.array.base
    view[0] = 3.0
    assert base.tolist() == [0.0] * 4


# ---------------------------------------------------------------- the other interpreters


def test_a_compiled_function_with_in_place_ops_gives_the_eager_gradients() -> None:
    def f(x: tg.Tensor, v: tg.Tensor) -> tg.Tensor:
        y = x * 2.0
        y[1:] = v * v  # recorded as ops that compile writes like any other
        y += x
        return (y * y).sum()

    x, v = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True), tg.Tensor(0.5, requires_grad=True)
    loss, grads = tg.compile(f)(x, v)
    x, v = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True), tg.Tensor(0.5, requires_grad=True)
    eager = f(x, v)
    eager.backward()
    assert loss.item() == eager.item() == 24.625
    np.testing.assert_allclose(grads[0].numpy(), x.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(grads[1].numpy(), v.grad.numpy(), rtol=1e-15)


def test_in_place_ops_on_another_array_library() -> None:
    xp = pytest.importorskip("array_api_strict")
    t = tg.Tensor(xp.asarray([1.0, 2.0, 3.0]))
    t.add_(1.0)
    t[0] = 7.0
    assert t.mul_(2).tolist() == [14.0, 6.0, 8.0] and "array_api_strict" in repr(t)
    w = tg.Tensor(xp.asarray([1.0, 2.0]), requires_grad=True)
    h = w * 2.0
    h[0] = 5.0
    h.sum().backward()
    assert w.grad.tolist() == [0.0, 2.0] and "array_api_strict" in repr(w.grad)
