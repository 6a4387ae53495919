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


@pytest.mark.parametrize("kind", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
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
    elif kind == "gru":
        module = nn.GRU(2, 3, layers, batch_first=batch_first)
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
    compiled_loss, compiled = tg.compile(loss)(leaf(x.detach().numpy()), leaf(h0.detach().numpy()))
    np.testing.assert_allclose(
        compiled_loss.detach().numpy(), eager_loss.detach().numpy(), rtol=1e-12
    )
    for got, want in zip(compiled, eager):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)


def test_shapes_unbatched_and_stacked() -> None:
    out, h_n = nn.RNN(2, 4, num_layers=3)(tg.ones(5, 2))
    assert out.shape == (5, 4) and h_n.shape == (3, 4)
    out, (h_n, c_n) = nn.LSTM(2, 4, batch_first=True)(tg.ones(6, 5, 2))
    assert out.shape == (6, 5, 4) and h_n.shape == c_n.shape == (1, 6, 4)
    np.testing.assert_allclose(
        out.detach().numpy()[:, -1], h_n.detach().numpy()[0]
    )  # the last step is h_n
    names = [name for name, _ in nn.LSTM(2, 4, num_layers=2).named_parameters()]
    assert names[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    with pytest.raises(ValueError, match=r"input must be \(L, N, 2\)"):
        nn.RNN(2, 4)(tg.ones(5, 1, 3))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(2, 4, nonlinearity="sigmoid")


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_against_pytorch(kind) -> None:
    torch = pytest.importorskip("torch")
    tg.manual_seed(0)
    ours = getattr(nn, kind)(3, 4, num_layers=2, batch_first=True)
    theirs = getattr(torch.nn, kind)(3, 4, num_layers=2, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for name, p in ours.named_parameters():  # the same names, shapes and gate order
            getattr(theirs, name).copy_(torch.tensor(p.detach().numpy()))
    x = np.random.default_rng(0).normal(size=(2, 5, 3))
    out, state = ours(tg.tensor(x))
    t_out, t_state = theirs(torch.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    h_n, t_h_n = (state[0], t_state[0]) if kind == "LSTM" else (state, t_state)
    np.testing.assert_allclose(h_n.detach().numpy(), t_h_n.detach().numpy(), rtol=1e-10, atol=1e-12)
    out.sum().backward()
    t_out.sum().backward()
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(
            p.grad.numpy(), getattr(theirs, name).grad.numpy(), rtol=1e-9, err_msg=name
        )


# ---------------------------------------------------------------- PyTorch's layout, GRU, cells


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def numpy_step(kind, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """PyTorch's equations of one step, in NumPy, from the documentation."""
    gi, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    n = h.shape[-1]
    if kind == "lstm":
        i, f, g, o = np.split(gi + gh, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        return sigmoid(o) * np.tanh(c), c
    if kind == "gru":
        r = sigmoid(gi[..., :n] + gh[..., :n])
        z = sigmoid(gi[..., n : 2 * n] + gh[..., n : 2 * n])
        new = np.tanh(gi[..., 2 * n :] + r * gh[..., 2 * n :])
        return (1 - z) * new + z * h, c
    pre = gi + gh
    return (np.tanh(pre) if kind == "tanh" else np.maximum(pre, 0)), c


def numpy_layers(kind, module, x, layer_inputs_zeroed=()):
    """(L, N, in) -> outputs (L, N, hidden) and every layer's last h, from the parameters."""
    hidden = module.hidden_size
    last = []
    for k in range(module.num_layers):
        w = [
            getattr(module, f"{n}_l{k}").detach().numpy()
            for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        ]
        if k in layer_inputs_zeroed:
            x = np.zeros_like(x)
        h = c = np.zeros((x.shape[1], hidden))
        steps = []
        for x_t in x:
            h, c = numpy_step(kind, x_t, h, c, *w)
            steps.append(h)
        x = np.stack(steps)
        last.append(h)
    return x, np.stack(last)


@pytest.mark.parametrize("kind", ["tanh", "relu", "lstm", "gru"])
def test_layers_compute_pytorchs_equations(kind) -> None:
    tg.manual_seed(1)
    if kind == "lstm":
        module: nn.Module = nn.LSTM(3, 4, num_layers=2, batch_first=True)
    elif kind == "gru":
        module = nn.GRU(3, 4, num_layers=2, batch_first=True)
    else:
        module = nn.RNN(3, 4, num_layers=2, nonlinearity=kind, batch_first=True)
    x = np.random.default_rng(0).normal(size=(2, 5, 3))
    out, last = module(tg.tensor(x))
    h_n = last[0] if kind == "lstm" else last
    want_out, want_h = numpy_layers(kind, module, x.swapaxes(0, 1))
    np.testing.assert_allclose(
        out.detach().numpy(), want_out.swapaxes(0, 1), rtol=1e-12, atol=1e-14
    )
    np.testing.assert_allclose(h_n.detach().numpy(), want_h, rtol=1e-12, atol=1e-14)


def test_parameters_have_pytorchs_names_and_shapes() -> None:
    shapes = {n: p.shape for n, p in nn.LSTM(3, 5, num_layers=2).named_parameters()}
    assert shapes == {
        "weight_ih_l0": (20, 3),
        "weight_hh_l0": (20, 5),
        "bias_ih_l0": (20,),
        "bias_hh_l0": (20,),
        "weight_ih_l1": (20, 5),
        "weight_hh_l1": (20, 5),
        "bias_ih_l1": (20,),
        "bias_hh_l1": (20,),
    }
    gru = dict(nn.GRU(3, 5, bias=False).named_parameters())
    assert {n: p.shape for n, p in gru.items()} == {
        "weight_ih_l0": (15, 3),
        "weight_hh_l0": (15, 5),
    }
    assert {n: p.shape for n, p in nn.GRUCell(3, 5).named_parameters()} == {
        "weight_ih": (15, 3),
        "weight_hh": (15, 5),
        "bias_ih": (15,),
        "bias_hh": (15,),
    }
    assert nn.LSTMCell(3, 5).weight_ih.shape == (20, 3) and nn.RNNCell(3, 5).weight_hh.shape == (
        5,
        5,
    )
    bound = 1 / np.sqrt(5)
    assert all(np.abs(p.detach().numpy()).max() <= bound for p in gru.values())


@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_numpy_and_finite_differences(cell) -> None:
    tg.manual_seed(2)
    module = getattr(nn, cell)(3, 4)
    kind = {"RNNCell": "tanh", "LSTMCell": "lstm", "GRUCell": "gru"}[cell]
    rng = np.random.default_rng(3)
    x, h0, c0 = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    w = [
        getattr(module, n).detach().numpy()
        for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    ]
    want_h, want_c = numpy_step(kind, x, h0, c0, *w)
    state = (tg.tensor(h0), tg.tensor(c0)) if kind == "lstm" else tg.tensor(h0)
    got = module(tg.tensor(x), state)
    got_h = got[0] if kind == "lstm" else got
    np.testing.assert_allclose(got_h.detach().numpy(), want_h, rtol=1e-12, atol=1e-14)
    if kind == "lstm":
        np.testing.assert_allclose(got[1].detach().numpy(), want_c, rtol=1e-12, atol=1e-14)
    unbatched = module(tg.tensor(x[0]))  # (input,) with the zero state
    assert (unbatched[0] if kind == "lstm" else unbatched).shape == (4,)

    def loss(x, h):
        out = module(x, (h, h * 0.5) if kind == "lstm" else h)
        return (out[0] * out[1]).sum() if kind == "lstm" else (out * out).sum()

    assert tg.gradcheck(loss, [leaf(x), leaf(h0)])
    names, params = zip(*module.named_parameters())

    def loss_of_parameters(*ps):  # gradcheck perturbs copies: the cell reads them
        for name, p in zip(names, ps):
            setattr(module, name, p)
        return loss(tg.tensor(x), tg.tensor(h0))

    assert tg.gradcheck(loss_of_parameters, list(params))
    for name, p in zip(names, params):
        setattr(module, name, p)
    with pytest.raises(ValueError, match=f"{cell}: Expected input to be 1D or 2D, got 3D instead"):
        module(tg.ones(1, 2, 3))
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 2 expected 3"):
        module(tg.ones(2, 2))


def test_dropout_between_layers_in_training_only() -> None:
    tg.manual_seed(4)
    gru = nn.GRU(2, 3, num_layers=2, dropout=1.0)  # p = 1: layer 1 sees zeros, layer 0 is kept
    x = np.random.default_rng(5).normal(size=(4, 1, 2))
    out, h_n = gru(tg.tensor(x))
    want_out, want_h = numpy_layers("gru", gru, x, layer_inputs_zeroed=(1,))
    np.testing.assert_allclose(out.detach().numpy(), want_out, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_n.detach().numpy(), want_h, rtol=1e-12, atol=1e-14)
    gru.eval()
    want_out, _ = numpy_layers("gru", gru, x)
    np.testing.assert_allclose(
        gru(tg.tensor(x))[0].detach().numpy(), want_out, rtol=1e-12, atol=1e-14
    )
    lstm = nn.LSTM(2, 3, num_layers=3, dropout=0.5)
    assert lstm.dropout == 0.5 and "dropout=0.5" in repr(lstm)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.RNN(2, 3, dropout=0.2)
    with pytest.raises(ValueError, match=r"dropout should be a number in range \[0, 1\]"):
        nn.LSTM(2, 3, dropout=1.5)
    assert lstm.flatten_parameters() is None  # PyTorch's cuDNN packing: nothing to do here
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(3, 1, 3\), got \[1, 1, 3\]"):
        lstm(tg.tensor(x), (tg.zeros(1, 1, 3), tg.zeros(1, 1, 3)))
