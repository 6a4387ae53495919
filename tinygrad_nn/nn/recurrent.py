"""Recurrent layers, as in PyTorch: ``RNN``, ``LSTM``, ``GRU`` (stacked layers, over a
sequence, one or both directions); their one-step cells ``RNNCell``, ``LSTMCell``,
``GRUCell`` are in :mod:`tinygrad_nn.nn.recurrent_cells`.

Backprop through time is the ordinary backward over the unrolled graph the time loop
records: a gradient reaching step 0 from step T is multiplied by T Jacobians of the step
— the vanishing gradients that LSTM's additive cell state was made to avoid.

Parameters have PyTorch's names, shapes and gate order, so weights copy across as they
are: layer ``k``'s ``weight_ih_l{k}`` is (gates * hidden, input) and ``weight_hh_l{k}`` is
(gates * hidden, hidden), used as ``x @ W.T``; LSTM's gates are (input, forget, cell,
output), GRU's (reset, update, new). With ``bidirectional=True`` each layer also runs
backwards over the sequence, with its own ``weight_ih_l{k}_reverse``...; the two
directions' outputs are joined on the last axis (2 * hidden, the next layer's input),
and ``h_n`` holds layer ``k``'s forward state at ``2 * k``, its reverse one at
``2 * k + 1``. Every weight starts uniform in ``(-1/sqrt(hidden), 1/sqrt(hidden))``, as
PyTorch's.

Examples:
    >>> import tinygrad_nn as tg
    >>> lstm = LSTM(3, 5, num_layers=2, batch_first=True)
    >>> output, (h_n, c_n) = lstm(tg.ones(4, 7, 3))
    >>> output.shape, h_n.shape, c_n.shape, lstm.weight_ih_l0.shape
    ((4, 7, 5), (2, 4, 5), (2, 4, 5), (20, 3))
"""

from __future__ import annotations

import warnings
from typing import Any

from tinygrad_nn.combining import concatenate, stack
from tinygrad_nn.dtypes import DTypeLike
from tinygrad_nn.nn.blocks import dropout as drop
from tinygrad_nn.nn.recurrent_cells import (
    GRUCell,
    LSTMCell,
    RecurrentWeights,
    RNNCell,
    State,
    project,
    rnn_step,
)
from tinygrad_nn.tensor import Tensor


class _Recurrent(RecurrentWeights):
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
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bool(bidirectional)
        directions = 2 if bidirectional else 1
        for k in range(num_layers):
            for suffix in self._suffixes(k):
                self._make(suffix, input_size if k == 0 else directions * hidden_size, bias, dtype)

    def _suffixes(self, layer: int) -> tuple[str, ...]:
        """Layer ``layer``'s parameter suffixes: ``_l{k}`` and, both ways, ``_l{k}_reverse``."""
        return (f"_l{layer}", f"_l{layer}_reverse") if self.bidirectional else (f"_l{layer}",)

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
        """Each layer and direction's initial state (index ``k * directions + d``, as
        PyTorch's ``h_0``): from ``hx`` (checked), or zeros."""
        parts = 2 if self.kind == "lstm" else 1
        count = self.num_layers * (2 if self.bidirectional else 1)
        if hx is None:
            zeros = self._zeros((x.shape[1],), x.array)
            return [(zeros,) * parts] * count
        given = tuple(hx) if parts == 2 else (hx,)
        want = (count, *(() if unbatched else (x.shape[1],)), self.hidden_size)
        for s in given:
            if tuple(s.shape) != want:
                raise RuntimeError(f"Expected hidden size {want}, got {list(s.shape)}")
        if unbatched:
            given = tuple(s.reshape(s.shape[0], 1, s.shape[1]) for s in given)
        return [tuple(s[k] for s in given) for k in range(count)]

    def _direction(
        self, inputs: list[Tensor], suffix: str, state: State
    ) -> tuple[list[Tensor], State]:
        """One direction of one layer over ``inputs`` (in the order given): the h of each
        step, and the last state."""
        weights, outputs = self._weights(suffix), []
        for x_t in inputs:
            gi, gh = project(x_t, state[0], weights)
            state = rnn_step(self.kind, gi, gh, state, self.hidden_size)
            outputs.append(state[0])
        return outputs, state

    def _run(self, input: Tensor, hx: Any) -> tuple[Tensor, State]:
        """The stacked layers over the sequence: the last layer's outputs (both
        directions joined), and the final state of every layer and direction, stacked as
        (layers * directions, N, hidden) per part."""
        x, unbatched = self._time_major(input)
        states = self._initial(hx, x, unbatched)
        layer_input = [x[t] for t in range(x.shape[0])]
        finals: list[State] = []
        for k in range(self.num_layers):
            if k > 0 and self.training and self.dropout > 0:  # between layers, as PyTorch
                layer_input = [drop(h, self.dropout) for h in layer_input]
            forward, last = self._direction(layer_input, f"_l{k}", states[len(finals)])
            finals.append(last)
            if self.bidirectional:  # the reversed sequence, its outputs put back in order
                backward, last = self._direction(
                    layer_input[::-1], f"_l{k}_reverse", states[len(finals)]
                )
                finals.append(last)
                forward = [concatenate(pair, axis=-1) for pair in zip(forward, backward[::-1])]
            layer_input = forward
        out = stack(layer_input, axis=0)  # (L, N, directions * hidden)
        stacked = tuple(stack([s[j] for s in finals], axis=0) for j in range(len(finals[0])))
        if unbatched:
            return out[:, 0], tuple(f[:, 0] for f in stacked)
        return (out.swapaxes(0, 1) if self.batch_first else out), stacked

    def flatten_parameters(self) -> None:
        """Nothing to do (PyTorch packs the weights into one buffer for cuDNN): a no-op."""

    def extra_repr(self) -> str:
        """PyTorch's: the sizes, then only the settings that differ from the defaults."""
        text = f"{self.input_size}, {self.hidden_size}"
        text += f", num_layers={self.num_layers}" if self.num_layers != 1 else ""
        text += ", bias=False" if not self.bias else ""
        text += ", batch_first=True" if self.batch_first else ""
        text += f", dropout={self.dropout}" if self.dropout else ""
        return text + (", bidirectional=True" if self.bidirectional else "")


class RNN(_Recurrent):
    """``h_t = tanh(x_t @ W_ih.T + b_ih + h_(t-1) @ W_hh.T + b_hh)`` (or ``relu``), per
    layer; returns ``(output, h_n)``: the last layer's h at every step, every layer's last h.

    Examples:
        >>> import tinygrad_nn as tg
        >>> out, h_n = RNN(2, 3)(tg.ones(5, 2))  # unbatched: (L, features)
        >>> out.shape, h_n.shape
        ((5, 3), (1, 3))
        >>> both = RNN(2, 3, num_layers=2, bidirectional=True)
        >>> out, h_n = both(tg.ones(5, 4, 2))  # (L, N, features)
        >>> out.shape, h_n.shape, both.weight_ih_l1_reverse.shape  # layer 1 reads 2 * 3
        ((5, 4, 6), (4, 4, 3), (3, 6))
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


__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNCell"]
