"""Recurrent layers, as in PyTorch: ``RNN``, ``LSTM``, ``GRU`` (stacked layers, over a
sequence) and their one-step cells ``RNNCell``, ``LSTMCell``, ``GRUCell``.

Backprop through time is the ordinary backward over the unrolled graph the time loop
records: a gradient reaching step 0 from step T is multiplied by T Jacobians of the step
— the vanishing gradients that LSTM's additive cell state was made to avoid.

Parameters have PyTorch's names, shapes and gate order, so weights copy across as they
are: layer ``k``'s ``weight_ih_l{k}`` is (gates * hidden, input) and ``weight_hh_l{k}`` is
(gates * hidden, hidden), used as ``x @ W.T``; LSTM's gates are (input, forget, cell,
output), GRU's (reset, update, new). A cell's are ``weight_ih``, ``weight_hh``,
``bias_ih``, ``bias_hh``. Every weight starts uniform in ``(-1/sqrt(hidden),
1/sqrt(hidden))``, as PyTorch's.

Examples:
    >>> import tinygrad_nn as tg
    >>> lstm = LSTM(3, 5, num_layers=2, batch_first=True)
    >>> output, (h_n, c_n) = lstm(tg.ones(4, 7, 3))
    >>> output.shape, h_n.shape, c_n.shape, lstm.weight_ih_l0.shape
    ((4, 7, 5), (2, 4, 5), (2, 4, 5), (20, 3))
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from tinygrad_nn.dtypes import DTypeLike, dtype_name
from tinygrad_nn.functions import stack
from tinygrad_nn.namespace.array_api import like
from tinygrad_nn.nn import init as initializers
from tinygrad_nn.nn.blocks import dropout as drop
from tinygrad_nn.nn.module import Module, Parameter
from tinygrad_nn.seeding import default_generator
from tinygrad_nn.tensor import Tensor

State = tuple[Tensor, ...]  # (h,) or, for LSTM, (h, c)
Weights = tuple[Tensor, Tensor, Tensor | None, Tensor | None]  # W_ih.T, W_hh.T, b_i, b_h


def _rnn_step(kind: str, gi: Tensor, gh: Tensor, state: State, n: int) -> State:
    """The new state from ``gi = x @ W_ih.T (+ b)`` and ``gh = h @ W_hh.T (+ b_hh)``."""
    if kind == "lstm":  # i, f, g, o = split(gi + gh, 4)   (PyTorch's gate order)
        z = gi + gh
        i, f, g, o = (z[..., j * n : (j + 1) * n] for j in range(4))
        c = f.sigmoid() * state[1] + i.sigmoid() * g.tanh()
        return (o.sigmoid() * c.tanh(), c)
    if kind == "gru":  # r, z from both; n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        r = (gi[..., :n] + gh[..., :n]).sigmoid()
        update = (gi[..., n : 2 * n] + gh[..., n : 2 * n]).sigmoid()
        new = (gi[..., 2 * n :] + r * gh[..., 2 * n :]).tanh()
        return ((1.0 - update) * new + update * state[0],)
    pre = gi + gh
    return (pre.tanh() if kind == "tanh" else pre.relu(),)


def _project(x: Tensor, h: Tensor, weights: Weights) -> tuple[Tensor, Tensor]:
    w_ih_t, w_hh_t, b_i, b_h = weights
    gi, gh = x @ w_ih_t, h @ w_hh_t
    return (gi if b_i is None else gi + b_i), (gh if b_h is None else gh + b_h)


class _Weights(Module):
    """Parameters drawn as PyTorch's, read by a step of ``kind`` (tanh, relu, lstm, gru).
    RNN and LSTM add their two biases once; GRU's stay apart (``b_hn`` is inside ``r *``)."""

    kind = "tanh"
    hidden_size: int
    bias: bool

    def _draw(self, name: str, shape: tuple[int, ...], dtype: DTypeLike) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        # nn.init's factories draw a 2-d weight as (input, gates * hidden) and transpose
        # it: a seed gives the same network as before the layout became PyTorch's.
        values = initializers.uniform(-bound, bound)(shape, default_generator())
        setattr(self, name, Parameter(np.ascontiguousarray(values, dtype=dtype or np.float64)))

    def _make(self, suffix: str, input_size: int, bias: bool, dtype: DTypeLike) -> None:
        width = {"lstm": 4, "gru": 3}.get(self.kind, 1) * self.hidden_size
        self._draw(f"weight_ih{suffix}", (width, input_size), dtype)
        self._draw(f"weight_hh{suffix}", (width, self.hidden_size), dtype)
        if bias:
            self._draw(f"bias_ih{suffix}", (width,), dtype)
            self._draw(f"bias_hh{suffix}", (width,), dtype)

    def _weights(self, suffix: str) -> Weights:
        w_ih, w_hh = getattr(self, f"weight_ih{suffix}"), getattr(self, f"weight_hh{suffix}")
        if not self.bias:
            return w_ih.T, w_hh.T, None, None
        b_ih, b_hh = getattr(self, f"bias_ih{suffix}"), getattr(self, f"bias_hh{suffix}")
        if self.kind == "gru":
            return w_ih.T, w_hh.T, b_ih, b_hh
        return w_ih.T, w_hh.T, b_ih + b_hh, None

    def _zeros(self, batch: tuple[int, ...], like_data: Any) -> Tensor:
        zeros = np.zeros((*batch, self.hidden_size), dtype=dtype_name(like_data))
        return Tensor._wrap(like(zeros, like_data))


class _Recurrent(_Weights):
    """What RNN, LSTM and GRU share: stacked layers, batch_first, dropout, the loops."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if num_layers < 1 or hidden_size < 1:
            raise ValueError(
                f"{name}: hidden_size and num_layers must be positive, "
                f"got {hidden_size} and {num_layers}"
            )
        if isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability "
                "of an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(  # PyTorch's warning, word for word
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=2,
            )
        if bidirectional:
            raise ValueError(f"{name}: bidirectional=True is not supported by tinygrad_nn")
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), False
        for k in range(num_layers):
            self._make(f"_l{k}", input_size if k == 0 else hidden_size, bias, dtype)

    def _time_major(self, input: Tensor) -> tuple[Tensor, bool]:
        """``input`` as (L, N, features); and whether it came without a batch axis."""
        if input.ndim == 2 and input.shape[-1] == self.input_size:  # unbatched (L, features)
            return input.reshape(input.shape[0], 1, input.shape[1]), True
        if input.ndim != 3 or input.shape[-1] != self.input_size:
            order = "(N, L, ...)" if self.batch_first else "or (N, L, ...) with batch_first"
            raise ValueError(
                f"{type(self).__name__}: input must be (L, N, {self.input_size}) ({order}) "
                f"or unbatched (L, {self.input_size}), got shape {input.shape}"
            )
        return (input.swapaxes(0, 1) if self.batch_first else input), False

    def _initial(self, hx: Any, x: Tensor, unbatched: bool) -> list[State]:
        """Each layer's initial state: from ``hx`` (checked), or zeros."""
        parts = 2 if self.kind == "lstm" else 1
        if hx is None:
            zeros = self._zeros((x.shape[1],), x.array)
            return [(zeros,) * parts] * self.num_layers
        given = tuple(hx) if parts == 2 else (hx,)
        want = (self.num_layers, *(() if unbatched else (x.shape[1],)), self.hidden_size)
        for s in given:
            if tuple(s.shape) != want:
                raise RuntimeError(f"Expected hidden size {want}, got {list(s.shape)}")
        if unbatched:
            given = tuple(s.reshape(s.shape[0], 1, s.shape[1]) for s in given)
        return [tuple(s[k] for s in given) for k in range(self.num_layers)]

    def _run(self, input: Tensor, hx: Any) -> tuple[Tensor, State]:
        """The stacked layers over the sequence: the last layer's outputs, and the
        final state of every layer, stacked as (layers, N, hidden) per part."""
        x, unbatched = self._time_major(input)
        states = self._initial(hx, x, unbatched)
        layer_input = [x[t] for t in range(x.shape[0])]
        for k in range(self.num_layers):
            if k > 0 and self.training and self.dropout > 0:  # between layers, as PyTorch
                layer_input = [drop(h, self.dropout) for h in layer_input]
            weights, state, outputs = self._weights(f"_l{k}"), states[k], []
            for x_t in layer_input:
                gi, gh = _project(x_t, state[0], weights)
                state = _rnn_step(self.kind, gi, gh, state, self.hidden_size)
                outputs.append(state[0])
            states[k], layer_input = state, outputs
        out = stack(layer_input, axis=0)  # (L, N, hidden)
        finals = tuple(stack([s[j] for s in states], axis=0) for j in range(len(states[0])))
        if unbatched:
            return out[:, 0], tuple(f[:, 0] for f in finals)
        return (out.swapaxes(0, 1) if self.batch_first else out), finals

    def flatten_parameters(self) -> None:
        """Nothing to do (PyTorch packs the weights into one buffer for cuDNN): a no-op."""

    def extra_repr(self) -> str:
        extra = f", dropout={self.dropout}" if self.dropout else ""
        return f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}{extra}"


class RNN(_Recurrent):
    """``h_t = tanh(x_t @ W_ih.T + b_ih + h_(t-1) @ W_hh.T + b_hh)`` (or ``relu``), per
    layer; returns ``(output, h_n)``: the last layer's h at every step, every layer's last h.

    Examples:
        >>> import tinygrad_nn as tg
        >>> out, h_n = RNN(2, 3)(tg.ones(5, 2))  # unbatched: (L, features)
        >>> out.shape, h_n.shape
        ((5, 3), (1, 3))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: DTypeLike = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype
        )
        self.kind = self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        out, (h_n,) = self._run(input, hx)
        return out, h_n


class LSTM(_Recurrent):
    """Long short-term memory, per layer and step; returns ``(output, (h_n, c_n))``::

        i, f, g, o = split(x_t @ W_ih.T + b_ih + h @ W_hh.T + b_hh, 4)
        c = sigmoid(f) * c + sigmoid(i) * tanh(g)      h = sigmoid(o) * tanh(c)

    Examples:
        >>> import tinygrad_nn as tg
        >>> out, (h, c) = LSTM(2, 3)(tg.ones(4, 1, 2))
        >>> out.shape, h.shape
        ((4, 1, 3), (1, 1, 3))
    """

    kind = "lstm"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        dtype: DTypeLike = None,
    ) -> None:
        if proj_size:
            raise ValueError(f"LSTM: proj_size={proj_size} is not supported by tinygrad_nn")
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype
        )

    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        out, (h_n, c_n) = self._run(input, hx)
        return out, (h_n, c_n)


class GRU(_Recurrent):
    """Gated recurrent unit, per layer and step; returns ``(output, h_n)``::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)     z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))  h = (1 - z) * n + z * h

    Examples:
        >>> import tinygrad_nn as tg
        >>> gru = GRU(2, 3, num_layers=2)
        >>> out, h_n = gru(tg.ones(4, 1, 2))
        >>> out.shape, h_n.shape, gru.weight_hh_l1.shape
        ((4, 1, 3), (2, 1, 3), (9, 3))
    """

    kind = "gru"

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        out, (h_n,) = self._run(input, hx)
        return out, h_n


class _Cell(_Weights):
    """One time step, called by the user's own loop; input (N, input) or unbatched (input,)."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, dtype: DTypeLike = None
    ) -> None:
        super().__init__()
        if hidden_size < 1:
            raise ValueError(
                f"{type(self).__name__}: hidden_size must be positive, got {hidden_size}"
            )
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self._make("", input_size, bias, dtype)

    def _step(self, input: Tensor, state: Any) -> State:
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{name}: input has inconsistent input_size: got {input.shape[-1]} "
                f"expected {self.input_size}"
            )
        batch = input.shape[:-1]
        parts = 2 if self.kind == "lstm" else 1
        if state is None:
            state = (self._zeros(batch, input.array),) * parts
        else:
            state = tuple(state) if parts == 2 else (state,)
        for s in state:
            if tuple(s.shape) != (*batch, self.hidden_size):
                raise RuntimeError(
                    f"{name}: hidden state has shape {list(s.shape)}, expected "
                    f"{[*batch, self.hidden_size]} for input of shape {list(input.shape)}"
                )
        gi, gh = _project(input, state[0], self._weights(""))
        return _rnn_step(self.kind, gi, gh, state, self.hidden_size)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"


class RNNCell(_Cell):
    """``h' = tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)`` (or ``relu``); returns ``h'``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> RNNCell(2, 3)(tg.ones(4, 2)).shape
        (4, 3)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        dtype: DTypeLike = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                "Invalid nonlinearity selected for RNN. Can be either ``tanh`` or ``relu``. "
                f"Got {nonlinearity!r}"
            )
        super().__init__(input_size, hidden_size, bias, dtype)
        self.kind = self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step(input, hx)[0]


class LSTMCell(_Cell):
    """One LSTM step (the equations of :class:`LSTM`); returns ``(h', c')``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> h, c = LSTMCell(2, 3)(tg.ones(4, 2))
        >>> h.shape, c.shape
        ((4, 3), (4, 3))
    """

    kind = "lstm"

    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor]:
        return self._step(input, hx)  # type: ignore[return-value]  # (h, c)


class GRUCell(_Cell):
    """One GRU step (the equations of :class:`GRU`); returns ``h'``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> GRUCell(2, 3)(tg.ones(2)).shape  # unbatched
        (3,)
    """

    kind = "gru"

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step(input, hx)[0]
