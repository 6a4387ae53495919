"""tg.func: vjp, jvp, jacobian (both modes), hessian, hvp and grad against finite differences."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nn as tg
from tinygrad_nn.gradcheck import numerical_jacobian
from tinygrad_nn.testing import arrays, shapes

FUNCTIONS = {
    "tanh_mix": lambda x: (x.tanh() * x).reshape(-1)[:2] + x.sum(),
    "softmax": lambda x: x.reshape(-1).softmax(0) * 3,
    "outer": lambda x: x.reshape(-1, 1) @ x.reshape(1, -1).sin(),
    "scalar": lambda x: (x**3).sum() + x.exp().mean(),
}


def numeric(f, x: np.ndarray) -> np.ndarray:
    out_shape = f(tg.Tensor(x)).shape
    (block,) = numerical_jacobian(f, [tg.Tensor(x, requires_grad=True)])[0]
    return block.reshape(*out_shape, *x.shape)


@settings(max_examples=25)
@given(
    x=arrays(shapes(min_dims=1, max_side=3)),
    name=st.sampled_from(sorted(FUNCTIONS)),
    mode=st.sampled_from(["reverse", "forward"]),
)
def test_jacobian_in_both_modes_matches_finite_differences(x, name, mode) -> None:
    f = FUNCTIONS[name]
    got = tg.func.jacobian(f, tg.Tensor(x), mode=mode).data
    np.testing.assert_allclose(got, numeric(f, x), rtol=1e-5, atol=1e-6)


@settings(max_examples=25)
@given(data=st.data(), name=st.sampled_from(sorted(FUNCTIONS)))
def test_vjp_and_jvp_are_the_jacobians_products(data, name) -> None:
    f = FUNCTIONS[name]
    x = data.draw(arrays(shapes(min_dims=1, max_side=3)))
    jacobian = numeric(f, x)
    out, vjp_fn = tg.func.vjp(f, tg.Tensor(x))
    v = data.draw(arrays(out.shape))
    (vjp,) = vjp_fn(v)
    expected = np.tensordot(v, jacobian, axes=v.ndim)
    np.testing.assert_allclose(vjp.data, expected, rtol=1e-5, atol=1e-6)
    t = data.draw(arrays(x.shape))
    out2, jvp = tg.func.jvp(f, [tg.Tensor(x)], [t])
    expected_t = np.tensordot(jacobian, t, axes=t.ndim)
    np.testing.assert_allclose(jvp.data, expected_t, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.data, out2.data)


@settings(max_examples=25)
@given(data=st.data())
def test_hessian_hvp_and_grad(data) -> None:
    f = FUNCTIONS["scalar"]
    x = data.draw(arrays(shapes(min_dims=1, max_dims=1, max_side=4)))
    gradient = tg.func.grad(f)
    expected_h = numeric(lambda t: tg.func.grad(f)(t), x)
    hessian = tg.func.hessian(f, tg.Tensor(x)).data
    np.testing.assert_allclose(hessian, expected_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hessian, hessian.T, rtol=1e-10, atol=1e-10)
    v = data.draw(arrays(x.shape))
    _, product = tg.func.hvp(f, tg.Tensor(x), v)
    np.testing.assert_allclose(product.data, hessian @ v, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(gradient(tg.Tensor(x)).data, 3 * x**2 + np.exp(x) / x.size)


def test_unused_inputs_give_zeros_and_argnums_picks() -> None:
    g = tg.func.grad(lambda a, b: (a * 2).sum(), argnums=(0, 1))(tg.ones(2), tg.ones(3))
    assert g[0].tolist() == [2.0, 2.0] and g[1].tolist() == [0.0, 0.0, 0.0]
    _, tangent = tg.func.jvp(lambda a: tg.ones(2) * 1.0 + 0 * a.sum(), [tg.ones(1)], [[1.0]])
    assert tangent.tolist() == [0.0, 0.0]
