"""Gradients derived by hand — including the seed network's — equal the automatic ones."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_nn as tg
from tinygrad_nn.testing import arrays, floats

values = floats(-2, 2)


@given(x=values, y=values, z=values)
def test_f_equals_x_times_y_plus_z(x: float, y: float, z: float) -> None:
    # f = x*y + z:  df/dx = y,  df/dy = x,  df/dz = 1
    tx, ty, tz = (tg.Tensor(v, requires_grad=True) for v in (x, y, z))
    (tx * ty + tz).backward()
    assert (tx.grad.item(), ty.grad.item(), tz.grad.item()) == (y, x, 1.0)


@given(x=values, y=values, z=values)
def test_g_equals_x_plus_z_times_f_squared(x: float, y: float, z: float) -> None:
    # f = x*y + z,  g = x + z*f*f
    # dg/dx = 1 + 2 z f y,  dg/dy = 2 z f x,  dg/dz = f**2 + 2 z f
    tx, ty, tz = (tg.Tensor(v, requires_grad=True) for v in (x, y, z))
    f = tx * ty + tz
    (tx + tz * f * f).backward()
    fv = x * y + z
    np.testing.assert_allclose(
        [tx.grad.item(), ty.grad.item(), tz.grad.item()],
        [1 + 2 * z * fv * y, 2 * z * fv * x, fv**2 + 2 * z * fv],
        rtol=1e-12,
        atol=1e-12,
    )


@given(x=arrays(st.integers(1, 5).map(lambda n: (n,)), floats(-4, 4)))
def test_second_derivatives_in_closed_form(x: np.ndarray) -> None:
    def second(fn):  # d2/dx2 of sum(fn(x)), elementwise
        t = tg.Tensor(x, requires_grad=True)
        (g,) = tg.grad(fn(t).sum(), [t], create_graph=True)
        (h,) = tg.grad(g.sum(), [t])
        return h.data

    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(second(lambda t: t.sigmoid()), s * (1 - s) * (1 - 2 * s), atol=1e-12)
    th = np.tanh(x)
    np.testing.assert_allclose(second(lambda t: t.tanh()), -2 * th * (1 - th**2), atol=1e-12)
    np.testing.assert_allclose(second(lambda t: t**3), 6 * x, atol=1e-12)
    np.testing.assert_allclose(second(lambda t: t.exp()), np.exp(x), rtol=1e-12)


def test_third_derivative_of_x_to_the_fourth() -> None:
    x = tg.Tensor(1.5, requires_grad=True)
    (d1,) = tg.grad(x**4, [x], create_graph=True)
    (d2,) = tg.grad(d1, [x], create_graph=True)
    (d3,) = tg.grad(d2, [x])
    assert (d1.item(), d2.item(), d3.item()) == (4 * 1.5**3, 12 * 1.5**2, 24 * 1.5)


def test_hessian_of_a_two_layer_network_matches_finite_differences() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 1))
    w1_shape, w2_shape = (3, 2), (2, 1)
    n1 = int(np.prod(w1_shape))

    def loss_of(theta: tg.Tensor) -> tg.Tensor:
        w1 = theta[:n1].reshape(w1_shape)
        w2 = theta[n1:].reshape(w2_shape)
        out = ((tg.Tensor(X) @ w1).tanh() @ w2).sigmoid()
        return ((out - y) ** 2).sum()

    theta0 = rng.standard_normal(n1 + int(np.prod(w2_shape)))

    def gradient(values: np.ndarray, create_graph: bool = False) -> tg.Tensor:
        theta = tg.Tensor(values, requires_grad=True)
        return tg.grad(loss_of(theta), [theta], create_graph=create_graph)[0]

    # Hessian by reverse-over-reverse: one Hessian-vector product per basis vector
    theta = tg.Tensor(theta0, requires_grad=True)
    (g,) = tg.grad(loss_of(theta), [theta], create_graph=True)
    hessian = np.stack(
        [
            tg.grad(g, [theta], np.eye(theta0.size)[i], retain_graph=True)[0].data
            for i in range(theta0.size)
        ]
    )
    eps = 1e-6
    numeric = np.stack(
        [
            (gradient(theta0 + eps * e).data - gradient(theta0 - eps * e).data) / (2 * eps)
            for e in np.eye(theta0.size)
        ]
    )
    np.testing.assert_allclose(hessian, numeric, atol=1e-6)
    np.testing.assert_allclose(hessian, hessian.T, atol=1e-12)


# ---------------------------------------------------------------- the seed network


def seed_gradients(X, y, W1, W2):
    """The seed's backprop, verbatim: the negative gradient of the SSE loss."""
    sigmoid = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    layer1 = sigmoid(X @ W1)
    out = sigmoid(layer1 @ W2)
    d_weights2 = layer1.T @ (2 * (y - out) * out * (1 - out))
    d_weights1 = X.T @ (((2 * (y - out) * out * (1 - out)) @ W2.T) * layer1 * (1 - layer1))
    return d_weights1, d_weights2


@given(
    sizes=st.tuples(st.integers(1, 6), st.integers(1, 4), st.integers(1, 5), st.integers(1, 3)),
    data=st.data(),
)
def test_seed_network_gradients_equal_the_hand_derived_formulas(sizes, data) -> None:
    n, d, h, k = sizes
    X = data.draw(arrays((n, d), floats(-2, 2)), label="X")
    y = data.draw(arrays((n, k), floats(0, 1)), label="y")
    W1 = data.draw(arrays((d, h), floats(-1, 1)), label="W1")
    W2 = data.draw(arrays((h, k), floats(-1, 1)), label="W2")
    w1, w2 = tg.Tensor(W1, requires_grad=True), tg.Tensor(W2, requires_grad=True)
    out = ((tg.Tensor(X) @ w1).sigmoid() @ w2).sigmoid()
    ((tg.Tensor(y) - out) ** 2).sum().backward()
    d_weights1, d_weights2 = seed_gradients(X, y, W1, W2)
    # the seed adds d_weights: they are the *negative* gradients
    np.testing.assert_allclose(-w1.grad.data, d_weights1, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(-w2.grad.data, d_weights2, rtol=1e-10, atol=1e-14)
