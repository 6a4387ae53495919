"""The compiled callable: a cache of traces by input signature, and ``.grad`` filled as usual.

Examples:
    >>> import tinygrad_nn as tg
    >>> square = tg.compile(lambda w: (w * w).sum())
    >>> square(tg.Tensor([3.0], requires_grad=True))
    (Tensor(9.), (Tensor([6.]),))
"""

from __future__ import annotations

import functools
import keyword
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_nn.backprop import add_to_grad
from tinygrad_nn.compile.pipeline import CompiledTrace, build_trace
from tinygrad_nn.compile.tracing import parameter_names
from tinygrad_nn.display import Text
from tinygrad_nn.dtypes import as_array, is_floating
from tinygrad_nn.namespace.array_api import library_name, to_numpy
from tinygrad_nn.tensor import SAVED_ARRAYS, Tensor

MAX_TRACES = 64  # signatures kept per compiled function; older ones are dropped


class CompiledFunction:
    """What :func:`compile` returns: call it like the function; read ``.source``.

    A call returns ``(loss, grads)``: the loss as a Tensor and a tuple with the gradient
    of each argument that requires grad. Like ``backward()``, it also adds the gradients
    to the ``.grad`` of those arguments and of the outside tensors the function reads
    (a model's parameters), so an optimizer step works unchanged. A function that calls
    ``backward()`` itself is a training step: a call returns what it returns, and leaves
    parameters, ``.grad`` and the optimizer's state as eager mode would.
    """

    def __init__(self, fn: Callable[..., Any], dynamic: Sequence[str] = ()) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        parameters = parameter_names(fn)
        unknown = [name for name in dynamic if name not in parameters]
        if unknown:
            raise ValueError(
                f"compile: dynamic= names {unknown}, which are not parameters of "
                f"{getattr(fn, '__name__', 'the function')} ({', '.join(parameters) or 'none'})"
            )
        self.dynamic = frozenset(parameters.index(name) for name in dynamic)
        self.name = getattr(fn, "__name__", "compiled")
        if not self.name.isidentifier() or keyword.iskeyword(self.name):
            self.name = "compiled"
        self.traces: dict[tuple[Any, ...], CompiledTrace] = {}  # oldest first
        self.warned = False
        self.last: CompiledTrace | None = None

    @property
    def source(self) -> Text:
        """The generated Python for the most recent signature (a ``str`` that a notebook
        shows as preformatted code)."""
        if self.last is None:
            raise RuntimeError(f"{self.name} has not been called yet, so it has no source")
        return Text(self.last.source)

    @property
    def graph(self) -> Text:
        """The graph the most recent signature's source was written from: one
        ``name = op(args)`` line per value, forward, backward and update (the
        :class:`~tinygrad_nn.compile.graph.Graph` itself is ``.last.graph``).

        Examples:
            >>> import tinygrad_nn as tg
            >>> square = tg.compile(lambda w: (w * w).sum())
            >>> _ = square(tg.Tensor([3.0], requires_grad=True))
            >>> print(square.graph)
            graph compiled(w):
                %1 = w * w                      # (1,) float64
                loss = %1.sum()                 # () float64
                # backward
                d_w = w + w                     # (1,) float64
                return loss, (d_w,)
        """
        if self.last is None:
            raise RuntimeError(f"{self.name} has not been called yet, so it has no graph")
        return Text(self.last.printed_graph())

    def __call__(self, *args: Any) -> Any:
        tensors = [a if isinstance(a, Tensor) else Tensor._wrap(as_array(a)) for a in args]
        key = tuple([_signature(t, i in self.dynamic) for i, t in enumerate(tensors)])
        entry = self.traces.get(key)
        if entry is None or not entry.captured_still_fit():
            entry = self.traces[key] = build_trace(self.fn, tensors, self.name, self.dynamic)
            if len(self.traces) > MAX_TRACES:
                self._drop_oldest_trace()
        self.last = entry
        arrays = [tensors[i].array for i in entry.arguments]
        arrays += [t.array for t in entry.captured]
        if entry.step is not None:  # a training step: it returns what the function returns
            result, grads, states = entry.function(*arrays, *entry.step.arguments())
            entry.step.finish(grads, states)
            return None if result is None else _as_tensor(result)
        loss, grads = entry.function(*arrays)
        receivers = [tensors[i] for i in entry.receivers]
        stored = _store_gradients(receivers + entry.captured, grads)
        return _as_tensor(loss), tuple(stored[: len(receivers)])

    def _drop_oldest_trace(self) -> None:
        del self.traces[next(iter(self.traces))]
        if not self.warned:
            self.warned = True
            warnings.warn(
                f"compile: {self.name} has been traced for more than {MAX_TRACES} input "
                "signatures (shapes, dtypes, requires_grad, integer inputs' values), so "
                "the oldest traces are being dropped. Each new signature costs a trace, "
                "so compiling gains nothing here: keep shapes fixed, and name changing "
                "integer inputs (labels) in compile(dynamic=[...])",
                RuntimeWarning,
                stacklevel=3,
            )


def _as_tensor(value: Any) -> Tensor:
    if isinstance(value, (np.generic, float)):  # NumPy gives a scalar for a 0-d result
        value = np.asarray(value)
    return Tensor._wrap(value)


def _signature(t: Tensor, dynamic: bool = False) -> tuple[Any, ...]:
    """What a trace depends on: shape, dtype, requires_grad, integer inputs' values
    (unless ``dynamic``), and the array library and device (code is written for one)."""
    data = t.array
    where = "numpy" if type(data) is np.ndarray else (library_name(data), str(t.device))
    if dynamic or is_floating(data):
        return (data.shape, data.dtype, t.requires_grad, where)
    return (data.shape, data.dtype, t.requires_grad, where, to_numpy(data).tobytes())


def _store_gradients(
    receivers: Sequence[Tensor], grads: Sequence[np.ndarray | None]
) -> list[Tensor | None]:
    """Add each gradient to its tensor's ``.grad``, as backward() does; each owns its memory."""
    handed_out: set[int] = set()
    stored: list[Tensor | None] = []
    for tensor, g in zip(receivers, grads):
        grad = None if g is None else SAVED_ARRAYS.for_graph(tensor).result(tensor, g, handed_out)
        if grad is not None:
            add_to_grad(tensor, grad)
        stored.append(grad)
    return stored


def compile(fn: Callable[..., Any] | None = None, *, dynamic: Sequence[str] = ()) -> Any:
    """Compile ``fn`` (tensors in, scalar loss out) into straight-line NumPy with its backward.

    Usable as a decorator, with or without arguments. See the module documentation for
    what is traced.

    Args:
        dynamic: names of integer parameters (a minibatch's class labels) whose values
            are arguments of the code rather than part of the trace: a new value runs
            the same code. Their values may only flow into ops that take them as inputs
            (``cross_entropy``, ``nll_loss``); a trace that finds them read on the host
            raises :class:`TracingError`.

    Examples:
        >>> import tinygrad_nn as tg
        >>> w = tg.Tensor([2.0], requires_grad=True)
        >>> square = tg.compile(lambda w: (w * w).sum())
        >>> square(w)
        (Tensor(4.), (Tensor([4.]),))
    """
    if fn is None:
        return functools.partial(CompiledFunction, dynamic=dynamic)
    return CompiledFunction(fn, dynamic)
