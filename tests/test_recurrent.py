"""RNN and LSTM: backprop through time is the ordinary backward over the unrolled graph.
Gradients against finite differences, compiled == eager, shapes, and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nn as tg
from tinygrad_nn import nn
from tinygrad_nn.testing import arrays


def leaf(array) -> tg.Tensor:
    return tg.Tensor(np.asarray(array, dtype=float), requires_grad=True)


@pytest.mark.parametrize("kind", ["rnn_tanh", "rnn_relu", "lstm"])
@settings(max_examples=6, deadline=None)
@given(
    data=st.data(),
    length=st.integers(1, 3),
    batch=st.integers(1, 2),
    layers=st.integers(1, 2),
    batch_first=st.booleans(),
)
def test_backprop_through_time_matches_finite_differences(
    kind, data, length, batch, layers, batch_first
) -> None:
    tg.manual_seed(data.draw(st.integers(0, 10)))
    if kind == "lstm":
        module: nn.Module = nn.LSTM(2, 3, layers, batch_first=batch_first)
    else:
        module = nn.RNN(2, 3, layers, kind[4:], batch_first=batch_first)
    shape = (batch, length, 2) if batch_first else (length, batch, 2)
    x = leaf(data.draw(arrays(shape)))
    h0 = leaf(data.draw(arrays((layers, batch, 3))))
    upstream = data.draw(arrays((batch, length, 3) if batch_first else (length, batch, 3)))

    def loss(x, h0):
        state = (h0, h0 * 0.5) if kind == "lstm" else h0
        output, last = module(x, state)
        h_n = last[0] if kind == "lstm" else last
        return (output * upstream).sum() + (h_n * h_n).sum()

    assert tg.gradcheck(loss, [x, h0])
    eager_loss = loss(x, h0)
    eager = tg.grad(eager_loss, [x, h0])
    compiled_loss, compiled = tg.compile(loss)(leaf(x.numpy()), leaf(h0.numpy()))
    np.testing.assert_allclose(compiled_loss.numpy(), eager_loss.numpy(), rtol=1e-12)
    for got, want in zip(compiled, eager):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)


def test_shapes_unbatched_and_stacked() -> None:
    out, h_n = nn.RNN(2, 4, num_layers=3)(tg.ones(5, 2))
    assert out.shape == (5, 4) and h_n.shape == (3, 4)
    out, (h_n, c_n) = nn.LSTM(2, 4, batch_first=True)(tg.ones(6, 5, 2))
    assert out.shape == (6, 5, 4) and h_n.shape == c_n.shape == (1, 6, 4)
    np.testing.assert_allclose(out.numpy()[:, -1], h_n.numpy()[0])  # the last step is h_n
    names = [name for name, _ in nn.LSTM(2, 4, num_layers=2).named_parameters()]
    assert names[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    with pytest.raises(ValueError, match=r"input must be \(L, N, 2\)"):
        nn.RNN(2, 4)(tg.ones(5, 1, 3))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(2, 4, nonlinearity="sigmoid")


@pytest.mark.parametrize("kind", ["RNN", "LSTM"])
def test_against_pytorch(kind) -> None:
    torch = pytest.importorskip("torch")
    tg.manual_seed(0)
    ours = getattr(nn, kind)(3, 4, num_layers=2, batch_first=True)
    theirs = getattr(torch.nn, kind)(3, 4, num_layers=2, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for name, p in ours.named_parameters():  # PyTorch stores the weights transposed
            getattr(theirs, name).copy_(torch.tensor(p.numpy().T.copy()))
    x = np.random.default_rng(0).normal(size=(2, 5, 3))
    out, state = ours(tg.tensor(x))
    t_out, t_state = theirs(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    h_n, t_h_n = (state[0], t_state[0]) if kind == "LSTM" else (state, t_state)
    np.testing.assert_allclose(h_n.numpy(), t_h_n.detach().numpy(), rtol=1e-10, atol=1e-12)
    out.sum().backward()
    t_out.sum().backward()
    np.testing.assert_allclose(
        ours.weight_hh_l0.grad.numpy(), theirs.weight_hh_l0.grad.numpy().T, rtol=1e-9
    )
