"""Fuzzing the engine's entry points with bad and edge inputs (issue 23): backward's and
tg.grad's gradients, requires_grad_ on computed tensors, tg.func's cotangents, tangents
and directions, 0-d values, and compile with code objects in scope. A clear error or the
right value, and never a changed gradient or a consumed graph."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nn as tg
from tinygrad_nn import nn
from tinygrad_nn.gradcheck import numerical_jacobian
from tinygrad_nn.testing import arrays, shapes

NOT_GRADIENTS = st.one_of(
    st.text(max_size=4),
    st.binary(max_size=4),
    st.just(object()),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.just([[1.0, 2.0], [3.0]]),  # ragged
    st.complex_numbers(allow_nan=False, max_magnitude=10).filter(lambda z: z.imag != 0),
    st.lists(st.text(max_size=2), min_size=1, max_size=3),
    st.just(np.array(["a", "b"])),
    st.just(np.array([None, 1.0], dtype=object)),
    st.sets(st.integers(), max_size=2),
)


def graph(shape: tuple[int, ...]) -> tuple[tg.Tensor, tg.Tensor]:
    x = tg.Tensor(np.linspace(-1.0, 1.0, math.prod(shape)).reshape(shape), requires_grad=True)
    return x, (x * x).tanh()


@settings(max_examples=50, deadline=None)
@given(bad=NOT_GRADIENTS, shape=shapes(max_dims=2, max_side=3), way=st.integers(0, 2))
def test_a_grad_that_is_no_gradient_is_a_type_error_and_consumes_nothing(bad, shape, way) -> None:
    x, y = graph(shape)
    calls = [
        lambda: y.backward(bad),
        lambda: tg.grad(y, [x], grad_outputs=bad),
        lambda: tg.autograd.backward([y, y], [np.ones(shape), bad]),
    ]
    with pytest.raises(TypeError, match="gradients can be either Tensors or None, but got"):
        calls[way]()
    assert x.grad is None
    y.backward(np.ones(shape))  # the graph is still whole
    np.testing.assert_allclose(x.grad.data, 2 * x.data / np.cosh(x.data**2) ** 2)


@settings(max_examples=50, deadline=None)
@given(shape=shapes(max_dims=2, max_side=3), other=shapes(max_dims=2, max_side=3), data=st.data())
def test_a_gradient_of_another_shape_is_a_value_error_naming_both(shape, other, data) -> None:
    if other == shape:
        other = (*shape, 2)
    x, y = graph(shape)
    wrong = data.draw(st.sampled_from([np.ones(other), tg.ones(*other), np.ones(other).tolist()]))
    with pytest.raises(ValueError, match=re.escape(f"grad has shape {other}")) as caught:
        y.backward(wrong)
    assert f"shape {shape}" in str(caught.value)
    assert x.grad is None
    (g,) = tg.grad(y, [x], np.ones(shape))
    assert g.shape == shape


@settings(max_examples=30, deadline=None)
@given(shape=shapes(max_dims=2, max_side=3), flag=st.booleans(), op=st.sampled_from(["exp", "sum"]))
def test_requires_grad_on_a_computed_tensor(shape, flag, op) -> None:
    x, _ = graph(shape)
    y = getattr(x * 2, op)()
    node = y.op
    if flag:
        assert y.requires_grad_(flag) is y and y.op is node and y.requires_grad
    else:
        with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
            y.requires_grad_(flag)
        assert y.op is node and y.requires_grad
    y.sum().backward()  # the graph works either way
    assert x.grad is not None


@settings(max_examples=30, deadline=None)
@given(shape=shapes(max_dims=2, max_side=3), retain=st.booleans())
def test_only_a_computed_tensors_grad_without_retain_grad_warns(shape, retain) -> None:
    x, y = graph(shape)
    if retain:
        y.retain_grad()
    y.sum().backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert x.grad is not None
        assert (y.grad is not None) == retain
    assert [str(w.message)[:20] for w in caught] == ([] if retain else ["The .grad attribute "])


FUNCTIONS = {
    "poly": lambda t: t**3 - t,
    "mix": lambda t: t.sin() * t.sum(),
    "scalar": lambda t: (t.exp() * t).sum(),
    "constant": lambda t: tg.ones(2) * 3.0,
    "detached": lambda t: t.detach() * 2.0,
}


def numeric(f, x: np.ndarray) -> np.ndarray:
    out_shape = f(tg.Tensor(x)).shape
    (block,) = numerical_jacobian(f, [tg.Tensor(x, requires_grad=True)])[0]
    return block.reshape((*out_shape, *x.shape))


@settings(max_examples=50, deadline=None)
@given(
    x=arrays(shapes(min_dims=0, max_dims=2, max_side=3)),
    name=st.sampled_from(sorted(FUNCTIONS)),
    mode=st.sampled_from(["reverse", "forward"]),
)
def test_jacobians_of_any_rank_including_0d_and_constants(x, name, mode) -> None:
    f = FUNCTIONS[name]
    got = tg.func.jacobian(f, tg.Tensor(x), mode=mode)
    expected = np.zeros_like(got.data) if name == "detached" else numeric(f, x)
    np.testing.assert_allclose(got.data, expected, rtol=1e-5, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(x=arrays(shapes(min_dims=0, max_dims=2, max_side=3)), data=st.data())
def test_func_transforms_check_every_direction_shape(x, data) -> None:
    wrong = data.draw(shapes(min_dims=0, max_dims=3, max_side=3).filter(lambda s: s != x.shape))
    f = FUNCTIONS["scalar"]
    with pytest.raises(ValueError, match="shape"):
        tg.func.hvp(f, tg.Tensor(x), np.ones(wrong))
    with pytest.raises(ValueError, match="tangent has shape"):
        tg.func.jvp(f, [tg.Tensor(x)], [np.ones(wrong)])
    with pytest.raises(ValueError, match="tangent has shape"):  # an unused primal too
        tg.func.jvp(lambda a, b: a * 2, [tg.ones(2), tg.Tensor(x)], [np.ones(2), np.ones(wrong)])
    out_wrong = data.draw(shapes(min_dims=1, max_dims=2, max_side=3))
    for name in ("scalar", "constant"):
        _, vjp_fn = tg.func.vjp(FUNCTIONS[name], tg.Tensor(x))
        with pytest.raises(ValueError, match="shape"):
            vjp_fn(np.ones((*out_wrong, 5)))
        with pytest.raises(TypeError, match="gradients can be either Tensors or None"):
            vjp_fn("ab")


CODE = [np, nn, nn.Linear, nn.Module, tg.Tensor, len, math.sqrt, np.exp, tg.func.jacobian]


def closing_over(first, second, w):
    def loss(x):
        assert first is not None and second is not None  # two closure variables
        return (x * w).tanh().sum()

    return loss


@settings(max_examples=20, deadline=None)
@given(first=st.sampled_from(CODE), second=st.sampled_from(CODE))
def test_compile_runs_with_any_code_objects_in_the_closure(first, second) -> None:
    w = tg.Tensor([0.5, -1.5], requires_grad=True)
    loss = closing_over(first, second, w)
    x = tg.Tensor([1.0, 2.0])
    value, _ = tg.compile(loss)(x)
    compiled = w.grad.array.copy()
    w.zero_grad()
    eager = loss(x)
    eager.backward()
    assert value.item() == pytest.approx(eager.item())
    np.testing.assert_allclose(compiled, w.grad.data)
