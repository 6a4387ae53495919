"""Recurrent cells, as PyTorch's ``RNNCell``, ``LSTMCell``, ``GRUCell`` (one time step,
called by the user's own loop), and the step and weights that ``RNN``, ``LSTM`` and
``GRU`` (:mod:`tinygrad_nn.nn.recurrent`) share with them.

A cell's parameters are ``weight_ih`` (gates * hidden, input), ``weight_hh`` (gates *
hidden, hidden), ``bias_ih``, ``bias_hh``, used as ``x @ W.T``, in PyTorch's gate order
(LSTM: input, forget, cell, output; GRU: reset, update, new), every one drawn uniform in
``(-1/sqrt(hidden), 1/sqrt(hidden))``, as PyTorch's.

Examples:
    >>> import tinygrad_nn as tg
    >>> cell = LSTMCell(3, 5)
    >>> h, c = cell(tg.ones(4, 3))
    >>> h.shape, cell.weight_ih.shape
    ((4, 5), (20, 3))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_nn.dtypes import DTypeLike, dtype_name
from tinygrad_nn.namespace.array_api import like
from tinygrad_nn.nn import init as initializers
from tinygrad_nn.nn.module import Module, Parameter
from tinygrad_nn.seeding import default_generator
from tinygrad_nn.tensor import Tensor

State = tuple[Tensor, ...]  # (h,) or, for LSTM, (h, c)
Weights = tuple[Tensor, Tensor, Tensor | None, Tensor | None]  # W_ih.T, W_hh.T, b_i, b_h


def rnn_step(kind: str, gi: Tensor, gh: Tensor, state: State, n: int) -> State:
    """The new state (a tuple: ``(h,)``, or ``(h, c)`` for LSTM) of a step of ``kind``
    (tanh, relu, lstm, gru) from ``gi = x @ W_ih.T (+ b)`` and ``gh = h @ W_hh.T (+ b_hh)``,
    ``n`` the hidden size.

    Examples:
        >>> import tinygrad_nn as tg
        >>> rnn_step("tanh", tg.zeros(1, 2), tg.zeros(1, 2), (tg.zeros(1, 2),), 2)[0].tolist()
        [[0.0, 0.0]]
    """
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


def project(x: Tensor, h: Tensor, weights: Weights) -> tuple[Tensor, Tensor]:
    """``(x @ W_ih.T + b_i, h @ W_hh.T + b_h)`` from ``weights = (W_ih.T, W_hh.T, b_i,
    b_h)`` (a bias may be None).

    Examples:
        >>> import tinygrad_nn as tg
        >>> gi, gh = project(tg.ones(1, 2), tg.ones(1, 3), (tg.ones(2, 3), tg.ones(3, 3),
        ...                  None, None))
        >>> gi.tolist(), gh.tolist()
        ([[2.0, 2.0, 2.0]], [[3.0, 3.0, 3.0]])
    """
    w_ih_t, w_hh_t, b_i, b_h = weights
    gi, gh = x @ w_ih_t, h @ w_hh_t
    return (gi if b_i is None else gi + b_i), (gh if b_h is None else gh + b_h)


class RecurrentWeights(Module):
    """Parameters drawn as PyTorch's, read by a step of ``kind`` (tanh, relu, lstm, gru):
    the base of the cells and of RNN, LSTM, GRU. RNN and LSTM add their two biases once;
    GRU's stay apart (``b_hn`` is inside ``r *``).

    Examples:
        >>> issubclass(GRUCell, RecurrentWeights)
        True
    """

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


class _Cell(RecurrentWeights):
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
        gi, gh = project(input, state[0], self._weights(""))
        return rnn_step(self.kind, gi, gh, state, self.hidden_size)

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


__all__ = ["GRUCell", "LSTMCell", "RNNCell", "RecurrentWeights", "project", "rnn_step"]
