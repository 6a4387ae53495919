"""Recurrent layers: ``RNN`` and ``LSTM``, one or several stacked layers, as in PyTorch.

Backprop through time is nothing special here: the loop over time steps records one
graph, the unrolled network, and ``backward()`` walks it like any other. A gradient that
reaches step 0 from step T has been multiplied by T Jacobians of the step — the
vanishing (or exploding) gradients that LSTM's additive cell state was made to avoid.

Weights use this library's layout, ``x @ W`` (PyTorch stores the transpose): for layer
``k``, ``weight_ih_l{k}`` is (input, gates * hidden) and ``weight_hh_l{k}`` is
(hidden, gates * hidden), with PyTorch's gate order (LSTM: input, forget, cell, output).

Examples:
    >>> import tinygrad_nn as tg
    >>> lstm = LSTM(3, 5, num_layers=2, batch_first=True)
    >>> output, (h_n, c_n) = lstm(tg.ones(4, 7, 3))
    >>> output.shape, h_n.shape, c_n.shape
    ((4, 7, 5), (2, 4, 5), (2, 4, 5))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_nn.dtypes import dtype_name
from tinygrad_nn.functions import stack
from tinygrad_nn.namespace.array_api import like
from tinygrad_nn.nn import init as initializers
from tinygrad_nn.nn.module import Module, Parameter
from tinygrad_nn.seeding import default_generator
from tinygrad_nn.tensor import Tensor


class _Recurrent(Module):
    """What RNN and LSTM share: stacked layers' weights, batch_first, the loop over layers."""

    gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
    ) -> None:
        super().__init__()
        if num_layers < 1 or hidden_size < 1:
            raise ValueError(
                f"{type(self).__name__}: hidden_size and num_layers must be positive, "
                f"got {hidden_size} and {num_layers}"
            )
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        bound = 1.0 / math.sqrt(hidden_size)  # PyTorch: every weight U(-1/sqrt(h), 1/sqrt(h))
        uniform = initializers.uniform(-bound, bound)

        def draw(*shape: int) -> Parameter:
            return Parameter(uniform(shape, default_generator()))

        width = self.gates * hidden_size
        for k in range(num_layers):
            setattr(self, f"weight_ih_l{k}", draw(input_size if k == 0 else hidden_size, width))
            setattr(self, f"weight_hh_l{k}", draw(hidden_size, width))
            if bias:
                setattr(self, f"bias_ih_l{k}", draw(width))
                setattr(self, f"bias_hh_l{k}", draw(width))

    def _layer_weights(self, k: int) -> tuple[Tensor, Tensor, Tensor | None]:
        w_ih, w_hh = getattr(self, f"weight_ih_l{k}"), getattr(self, f"weight_hh_l{k}")
        b = getattr(self, f"bias_ih_l{k}") + getattr(self, f"bias_hh_l{k}") if self.bias else None
        return w_ih, w_hh, b

    def _time_major(self, input: Tensor) -> tuple[Tensor, bool]:
        """``input`` as (L, N, features); and whether it came without a batch axis."""
        if input.ndim == 2:  # unbatched (L, features)
            return input.reshape(input.shape[0], 1, input.shape[1]), True
        if input.ndim != 3 or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{type(self).__name__}: input must be (L, N, {self.input_size}) "
                f"({'(N, L, ...)' if self.batch_first else 'or (N, L, ...) with batch_first'})"
                f", got shape {input.shape}"
            )
        return (input.swapaxes(0, 1) if self.batch_first else input), False

    def _initial(self, state: Any, x: Tensor) -> list[Tensor]:
        """Each layer's initial state: the given one, or zeros like ``x``'s (L, N, ...)."""
        if state is None:
            zeros = np.zeros((x.shape[1], self.hidden_size), dtype=dtype_name(x.data))
            return [Tensor._wrap(like(zeros, x.data))] * self.num_layers
        return [state[k] for k in range(self.num_layers)]

    def _output(self, steps: list[Tensor], unbatched: bool) -> Tensor:
        out = stack(steps, axis=0)  # (L, N, hidden)
        if unbatched:
            return out.reshape(out.shape[0], out.shape[2])
        return out.swapaxes(0, 1) if self.batch_first else out

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"


class RNN(_Recurrent):
    """``h_t = tanh(x_t @ W_ih + h_(t-1) @ W_hh + b)`` (or ``relu``), per layer; returns
    ``(output, h_n)``: the last layer's h at every step, and every layer's last h.

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
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        x, unbatched = self._time_major(input)
        hidden = self._initial(None if hx is None else _batched(hx, unbatched), x)
        layer_input = [x[t] for t in range(x.shape[0])]
        for k in range(self.num_layers):
            w_ih, w_hh, b = self._layer_weights(k)
            h, outputs = hidden[k], []
            for x_t in layer_input:
                pre = x_t @ w_ih + h @ w_hh
                pre = pre if b is None else pre + b
                h = pre.tanh() if self.nonlinearity == "tanh" else pre.relu()
                outputs.append(h)
            hidden[k], layer_input = h, outputs
        h_n = stack(hidden, axis=0)
        return self._output(layer_input, unbatched), h_n[:, 0] if unbatched else h_n


class LSTM(_Recurrent):
    """Long short-term memory, per layer and step (PyTorch's equations)::

        i, f, g, o = split(x_t @ W_ih + h @ W_hh + b, 4)
        c = sigmoid(f) * c + sigmoid(i) * tanh(g)      h = sigmoid(o) * tanh(c)

    Returns ``(output, (h_n, c_n))``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> out, (h, c) = LSTM(2, 3)(tg.ones(4, 1, 2))
        >>> out.shape, h.shape
        ((4, 1, 3), (1, 1, 3))
    """

    gates = 4

    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        x, unbatched = self._time_major(input)
        n = self.hidden_size
        h0, c0 = (None, None) if hx is None else (_batched(s, unbatched) for s in hx)
        hidden, cells = self._initial(h0, x), self._initial(c0, x)
        layer_input = [x[t] for t in range(x.shape[0])]
        for k in range(self.num_layers):
            w_ih, w_hh, b = self._layer_weights(k)
            h, c, outputs = hidden[k], cells[k], []
            for x_t in layer_input:
                z = x_t @ w_ih + h @ w_hh
                z = z if b is None else z + b
                i, f, g, o = (z[:, j * n : (j + 1) * n] for j in range(4))
                c = f.sigmoid() * c + i.sigmoid() * g.tanh()
                h = o.sigmoid() * c.tanh()
                outputs.append(h)
            hidden[k], cells[k], layer_input = h, c, outputs
        h_n, c_n = stack(hidden, axis=0), stack(cells, axis=0)
        if unbatched:
            h_n, c_n = h_n[:, 0], c_n[:, 0]
        return self._output(layer_input, unbatched), (h_n, c_n)


def _batched(state: Tensor, unbatched: bool) -> Tensor:
    """A (layers, hidden) state of an unbatched input as (layers, 1, hidden)."""
    return state.reshape(state.shape[0], 1, state.shape[1]) if unbatched else state
