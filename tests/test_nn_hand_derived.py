"""The seed's network and its variations: automatic gradients equal hand derivations.

Each variation (bias, loss, hidden activation) has its own hand derivation below, written
the way the seed writes its ``backprop``: a delta at the output, pushed back through
the weights, multiplied by the activation's derivative.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinygrad_nn as tg
from tinygrad_nn import nn, tutorial
from tinygrad_nn.testing import arrays, floats


def sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


HIDDEN = {
    # name: (module, activation, derivative written with the pre-activation and output)
    "sigmoid": (nn.Sigmoid, sigmoid, lambda pre, h: h * (1 - h)),
    "tanh": (nn.Tanh, np.tanh, lambda pre, h: 1 - h**2),
    "relu": (nn.ReLU, lambda v: np.maximum(v, 0), lambda pre, h: (pre > 0).astype(float)),
}
LOSSES = {
    # name: (module, dL/d(output) by hand)
    "sse": (nn.SSE, lambda out, y: 2 * (out - y)),
    "mse": (nn.MSE, lambda out, y: 2 * (out - y) / out.size),
    "bce": (nn.BCE, lambda out, y: (out - y) / (out * (1 - out)) / out.size),
}


def hand_gradients(X, y, W1, b1, W2, b2, hidden: str, loss: str):
    """Forward and backward by hand for: out = sigmoid(act(X W1 + b1) W2 + b2)."""
    _, act, act_derivative = HIDDEN[hidden]
    pre = X @ W1 + b1
    h = act(pre)
    out = sigmoid(h @ W2 + b2)
    delta_out = LOSSES[loss][1](out, y) * out * (1 - out)
    delta_h = (delta_out @ W2.T) * act_derivative(pre, h)
    return {
        "0.weight": (X.T @ delta_h).T,  # nn.Linear holds W1.T: (out_features, in_features)
        "0.bias": delta_h.sum(axis=0),
        "2.weight": (h.T @ delta_out).T,
        "2.bias": delta_out.sum(axis=0),
    }


@pytest.mark.parametrize("hidden", sorted(HIDDEN))
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("bias", [False, True])
@given(
    sizes=st.tuples(st.integers(1, 6), st.integers(1, 4), st.integers(1, 5), st.integers(1, 3)),
    data=st.data(),
)
def test_autodiff_equals_the_hand_derivation(hidden, loss, bias, sizes, data) -> None:
    n, d, h, k = sizes
    X = data.draw(arrays((n, d), floats(-2, 2)), label="X")
    y = data.draw(arrays((n, k), floats(0, 1)), label="y")
    W1 = data.draw(arrays((d, h), floats(-1, 1)), label="W1")
    W2 = data.draw(arrays((h, k), floats(-1, 1)), label="W2")
    b1 = data.draw(arrays((h,), floats(-1, 1)), label="b1") if bias else np.zeros(h)
    b2 = data.draw(arrays((k,), floats(-1, 1)), label="b2") if bias else np.zeros(k)
    if hidden == "relu":  # the derivative jumps at 0: stay off it
        pre = X @ W1 + b1
        assume(np.all(np.abs(pre) > 1e-9))

    model = nn.Sequential(
        nn.Linear(d, h, bias=bias), HIDDEN[hidden][0](), nn.Linear(h, k, bias=bias), nn.Sigmoid()
    )
    state = {"0.weight": W1.T, "2.weight": W2.T}  # the seed's W1 is Linear's weight.T
    if bias:
        state.update({"0.bias": b1, "2.bias": b2})
    model.load_state_dict(state)
    LOSSES[loss][0]()(model(tg.Tensor(X)), y).backward()

    expected = hand_gradients(X, y, W1, b1, W2, b2, hidden, loss)
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(
            parameter.grad.data, expected[name], rtol=1e-10, atol=1e-13, err_msg=name
        )


def test_a_whole_training_run_follows_the_hand_derived_trajectory() -> None:
    result = tutorial.train_side_by_side(steps=1500, lr=1.0, seed=0)
    assert result.max_difference < 1e-12
    np.testing.assert_allclose(result.auto_losses, result.hand_losses, rtol=1e-9, atol=1e-15)
    assert result.auto_losses[-1] < 0.01  # it learned XOR, as in the seed
    np.testing.assert_array_equal(np.round(result.auto_output[:, 0]), tutorial.y[:, 0])


def test_the_tutorial_module_is_the_seed() -> None:
    assert tutorial.X.shape == (4, 3) and tutorial.y.shape == (4, 1)
    w1, w2 = tutorial.initial_weights(0)
    assert w1.shape == (3, 4) and w2.shape == (4, 1)
    assert w1.min() >= 0 and w1.max() < 1
    net = tutorial.feedforward(tutorial.SeedNetwork(tutorial.X, w1, w2, tutorial.y))
    np.testing.assert_allclose(net.layer1, sigmoid(tutorial.X @ w1))
    model = tutorial.build_model(w1, w2)
    np.testing.assert_allclose(model(tg.Tensor(tutorial.X)).data, net.output, rtol=1e-15)
