"""Hardening of the engine (issue 23): backward's grad argument, requires_grad_ on computed
tensors, the warning for a computed tensor's .grad, compile with classes and modules in
scope, and tg.func on 0-d inputs and on outputs that do not depend on the input.

Each test failed before its fix; the PyTorch wording is quoted from torch's sources.
"""

from __future__ import annotations

import types
import warnings

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn import nn, viz
from tinygrad_nn.gradcheck import numerical_jacobian

NOT_A_GRADIENT = "gradients can be either Tensors or None, but got"
NON_LEAF_GRAD = "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed"


def leaf(values, **kwargs) -> tg.Tensor:
    return tg.Tensor(values, requires_grad=True, **kwargs)


# ---------------------------------------------------------------- 1. backward's grad


@pytest.mark.parametrize("bad", ["abc", b"ab", object(), {"a": 1}, [[1.0, 2.0], [3.0]], 1j])
@pytest.mark.parametrize("shape", [(), (3,)])
def test_backward_with_a_grad_that_is_no_gradient_is_pytorchs_type_error(bad, shape) -> None:
    x = leaf(np.ones(shape))
    y = x * 2
    with pytest.raises(TypeError, match=NOT_A_GRADIENT + " " + type(bad).__name__):
        y.backward(bad)
    assert x.grad is None
    y.backward(np.ones(shape))  # nothing was consumed: the graph is still there
    np.testing.assert_array_equal(x.grad.data, np.full(shape, 2.0))


def test_grad_and_backward_functions_check_grad_outputs_the_same_way() -> None:
    x = leaf([1.0, 2.0])
    with pytest.raises(TypeError, match=NOT_A_GRADIENT + " str"):
        tg.grad(x * 3, [x], grad_outputs="ab")
    with pytest.raises(TypeError, match=NOT_A_GRADIENT + " str"):
        tg.grad([x * 3, x * 4], [x], grad_outputs=[[1.0, 1.0], "ab"])
    with pytest.raises(TypeError, match=r"output 1 \(shape \(2,\)\)"):
        tg.autograd.backward([x * 3, x * 4], [[1.0, 1.0], np.array(["a", "b"])])
    assert x.grad is None


def test_numbers_arrays_and_tensors_still_seed_backward() -> None:
    x = leaf([1.0, 2.0])
    (x * 3).backward(tg.Tensor([1.0, 0.5]))
    (x * 3).backward([1.0, 0.5])
    (x * 3).backward(np.array([1, 0]))  # integers are cast to the output's dtype
    (x.sum() * 3).backward(2)
    assert x.grad.tolist() == [15.0, 9.0]


# ---------------------------------------------------------------- 2. requires_grad_


def test_requires_grad_true_on_a_computed_tensor_is_a_no_op_as_in_pytorch() -> None:
    x = leaf([1.0, 2.0])
    y = x * 3
    op = y.op
    assert y.requires_grad_() is y and y.requires_grad_(True) is y
    assert y.requires_grad and y.op is op
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_requires_grad_false_on_a_computed_tensor_is_pytorchs_runtime_error() -> None:
    x = leaf([1.0, 2.0])
    y = x * 3
    message = (
        "you can only change requires_grad flags of leaf variables. If you want to use a "
        "computed variable in a subgraph that doesn't require differentiation use "
        "var_no_grad = var.detach()."
    )
    with pytest.raises(RuntimeError) as caught:
        y.requires_grad_(False)
    assert str(caught.value) == message
    assert y.requires_grad and y.op is not None  # unchanged


# ---------------------------------------------------------------- 3. a computed tensor's .grad


def test_reading_grad_of_a_computed_tensor_warns_as_pytorch() -> None:
    x = leaf([1.0, 2.0])
    y = x * 3
    y.sum().backward()
    with pytest.warns(UserWarning, match=r"^" + NON_LEAF_GRAD.replace(".", r"\.")) as caught:
        assert y.grad is None
    assert caught[0].filename == __file__  # points at the user's line
    assert "use .retain_grad() on the non-leaf Tensor" in str(caught[0].message)


def test_leaves_retained_and_assigned_grads_read_without_a_warning() -> None:
    x = leaf([1.0, 2.0])
    kept = (x * 3).retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert kept.grad is None  # retain_grad() asked: no warning, before backward too
        (kept * kept).sum().backward()
        assert kept.grad.tolist() == [6.0, 12.0] and x.grad.tolist() == [18.0, 36.0]
        assert tg.Tensor([1.0]).grad is None  # a leaf without requires_grad
        y = x * 2
        y.grad = tg.Tensor([1.0, 1.0])  # assigned by the user: it is there, no warning
        assert y.grad.tolist() == [1.0, 1.0]
        x.grad = None
        assert x.grad is None
        x.zero_grad()


def test_grad_is_still_a_slot_and_engine_writes_bypass_the_property() -> None:
    x = leaf([1.0])
    assert not hasattr(x, "__dict__")
    assert isinstance(type(x).grad, property)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the engine itself never reads a computed .grad
        y = x * 2
        (y * y).sum().backward()
        viz.explanation((x * x).sum())
        assert "gradients pass through it" in (x * 3)._repr_html_()  # the notebook view
    assert x.grad.tolist() == [8.0]


# ---------------------------------------------------------------- 4. compile's scope


def make_closure():
    linear_class = nn.Linear  # a class, a module, functions: constants of the trace
    library = np
    act = nn.functional.relu if hasattr(nn, "functional") else tg.Tensor.relu
    builtin = len
    w = tg.Tensor([[1.0], [-2.0]], requires_grad=True, name="w")

    def loss(x):
        assert isinstance(linear_class, type) and isinstance(library, types.ModuleType)
        assert builtin([1]) == 1
        return act(x @ w * library.float64(2.0)).sum()

    return loss, w


def test_compile_with_classes_modules_and_functions_in_the_closure() -> None:
    loss, w = make_closure()
    x = tg.Tensor([[1.0, -1.0], [2.0, 0.5]])
    compiled = tg.compile(loss)
    value, _ = compiled(x)
    eager = loss(x)
    eager.backward()
    assert value.item() == pytest.approx(eager.item())
    np.testing.assert_allclose(w.grad.data, 2 * eager_grad(loss, w, x))


def eager_grad(loss, w, x) -> np.ndarray:
    (g,) = tg.grad(loss(x), [w])
    return g.data


class Scaled(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = nn.Linear(2, 1)

    def forward(self, x):
        return self.inner(x) * 2


MODEL = Scaled()


def loss_with_classes_in_globals(x):
    # Scaled, nn.Linear and nn (a module with named_parameters-like attributes on its
    # classes) are globals here; only MODEL's parameters are inputs of the trace
    assert isinstance(MODEL, Scaled) and isinstance(MODEL.inner, nn.Linear)
    return (MODEL(x) ** 2).sum()


def test_compile_with_module_classes_and_library_modules_in_globals() -> None:
    x = tg.Tensor([[1.0, 2.0], [0.5, -1.0]])
    MODEL.zero_grad()
    value, grads = tg.compile(loss_with_classes_in_globals)(x)
    compiled = [p.grad.numpy().copy() for p in MODEL.parameters()]
    MODEL.zero_grad()
    eager = loss_with_classes_in_globals(x)
    eager.backward()
    assert grads == () and value.item() == pytest.approx(eager.item())
    for got, p in zip(compiled, MODEL.parameters()):
        np.testing.assert_allclose(got, p.grad.data)


# ---------------------------------------------------------------- 5. tg.func edge cases


def numeric(f, x: np.ndarray) -> np.ndarray:
    out_shape = f(tg.Tensor(x)).shape
    (block,) = numerical_jacobian(f, [tg.Tensor(x, requires_grad=True)])[0]
    return block.reshape((*out_shape, *x.shape))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("x", [np.array(0.7), np.array([0.7, -1.3])])
def test_jacobian_of_0d_inputs_and_outputs_matches_finite_differences(mode, x) -> None:
    for f in (lambda t: t * t.sin(), lambda t: (t**3).sum(), lambda t: t.reshape(-1)[0] * t):
        got = tg.func.jacobian(f, tg.Tensor(x), mode=mode)
        np.testing.assert_allclose(got.data, numeric(f, x), rtol=1e-6, atol=1e-8)
    assert tg.func.jacobian(lambda t: t * 2, 3.0, mode=mode).shape == ()


def test_hessian_grad_hvp_vjp_and_jvp_of_a_0d_input() -> None:
    x = np.array(0.7)

    def f(t):
        return t**3 + t.exp()

    hessian = tg.func.hessian(f, tg.Tensor(x))
    expected = numeric(tg.func.grad(f), x)
    assert hessian.shape == () and np.allclose(hessian.data, expected, rtol=1e-6)
    np.testing.assert_allclose(hessian.data, 6 * x + np.exp(x))
    assert tg.func.grad(f)(tg.Tensor(x)).item() == pytest.approx(3 * x**2 + np.exp(x))
    _, product = tg.func.hvp(f, tg.Tensor(x), 2.0)
    assert product.item() == pytest.approx(2 * (6 * x + np.exp(x)))
    _, vjp_fn = tg.func.vjp(f, tg.Tensor(x))
    assert vjp_fn(tg.Tensor(1.0))[0].item() == pytest.approx(numeric(f, x))
    _, tangent = tg.func.jvp(f, [tg.Tensor(x)], [tg.Tensor(1.0)])
    assert tangent.item() == pytest.approx(numeric(f, x))


def constant(t):
    return tg.ones(2) * 5.0


def detached(t):
    return (t.detach() ** 2).sum()


@pytest.mark.parametrize("f", [constant, detached], ids=["constant", "detached"])
def test_outputs_that_do_not_depend_on_the_input_give_zeros(f) -> None:
    x = tg.Tensor([1.0, 2.0, 3.0])
    out = f(x)
    if f is constant:  # (a detached value changes with x, but no gradient flows through it)
        np.testing.assert_array_equal(numeric(f, x.data), 0.0)
    for mode in ("reverse", "forward"):
        jac = tg.func.jacobian(f, x, mode=mode)
        assert jac.shape == (*out.shape, 3) and not jac.data.any()
    value, vjp_fn = tg.func.vjp(f, x)
    np.testing.assert_array_equal(value.data, out.data)
    (g,) = vjp_fn(np.ones(out.shape))
    assert g.shape == (3,) and not g.data.any()
    with pytest.raises(ValueError, match="shape"):
        vjp_fn(np.ones(7))  # a cotangent of the wrong shape is still an error
    _, tangent = tg.func.jvp(f, [x], [np.ones(3)])
    assert tangent.shape == out.shape and not tangent.data.any()
    if out.size == 1:
        assert not tg.func.grad(f)(x).data.any()
        assert tg.func.hessian(f, x).shape == (3, 3) and not tg.func.hessian(f, x).data.any()
        _, product = tg.func.hvp(f, x, np.ones(3))
        assert product.shape == (3,) and not product.data.any()


def test_hessian_of_a_linear_function_is_zero() -> None:
    x = tg.Tensor([1.0, 2.0])
    h = tg.func.hessian(lambda t: (t * 3).sum(), x)
    np.testing.assert_array_equal(h.data, np.zeros((2, 2)))
    np.testing.assert_allclose(h.data, numeric(tg.func.grad(lambda t: (t * 3).sum()), x.data))
