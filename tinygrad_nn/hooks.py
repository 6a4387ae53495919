"""The engine's switches and the one place other code attaches to the engine.

**Mode.** :data:`mode` holds every switch the engine reads: grad mode (``no_grad``), the
``nn.Module`` calls in progress (``scope``), tracing by :func:`tinygrad_nn.compile`, and
anomaly mode. Grad mode, scope and tracing are per thread, as PyTorch's grad mode;
anomaly mode is for the whole process, as PyTorch's.

**Hooks.** The core (:mod:`tinygrad_nn.tensor`, :mod:`tinygrad_nn.node`,
:mod:`tinygrad_nn.backprop`) runs on NumPy arrays and does nothing else. Anomaly mode,
the compiler's tracing and arrays of other libraries attach through :data:`hooks`: its
``observers`` (empty by default) are told of every op applied, every ``backward()`` call
and every chain-rule step.

Examples:
    >>> import tinygrad_nn as tg
    >>> hooks.observers, mode.grad_enabled
    ([], True)
    >>> with tg.detect_anomaly():
    ...     [type(o).__name__ for o in hooks.observers]
    ['Anomalies']
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from tinygrad_nn.node import Node


class Mode(threading.local):
    """The engine's switches. Per thread, except ``anomaly``: a class attribute, set for
    the whole process (:class:`tinygrad_nn.detect_anomaly`)."""

    grad_enabled: bool = True  # record ops for backward (no_grad turns it off)
    scope: tuple[Any, ...] = ()  # the nn.Module calls in progress, outermost first
    tracing: bool = False  # tg.compile is tracing: reading a value (.item()) is an error
    events: list[tuple[Any, ...]] | None = None  # a traced training step's calls, in order
    anomaly: bool = False


mode = Mode()


class Observer:
    """Code outside the core that the core tells what it does; each method here does
    nothing. Subclass it and append an instance to ``hooks.observers``."""

    def applied(self, op: Any, arrays: Sequence[Any], out: Any) -> None:
        """An op ran forward on ``arrays`` and made ``out`` (raising stops it)."""

    def backward(self, root: Any, grad: Any, create_graph: bool) -> bool:
        """``root.backward(grad)`` was called; return True to take the call over."""
        return False

    def sent(self, node: Node, g: Any, shares: list[tuple[int, Node, Any, Any]]) -> None:
        """One chain-rule step: ``node``'s gradient ``g`` was sent back; for each parent that
        got a share, ``(position, parent, share, its gradient so far)``."""


def _numpy_only(arrays: Sequence[Any], op: Any) -> Any:
    kinds = sorted({type(a).__name__ for a in arrays})
    raise TypeError(f"{op.name}: the engine computes on NumPy arrays, not {', '.join(kinds)}")


class Hooks:
    """Where the rest of tinygrad_nn attaches to the core (see the module's docs).

    ``observers`` is empty by default. For arrays of other libraries than NumPy (set when
    :mod:`tinygrad_nn.foreign` is imported): ``namespace(arrays, op)`` gives their ``xp``,
    ``interpreter(plain, root)`` the backward interpreter of a graph of them, and
    ``is_array(value)`` says whether a value is one.
    """

    def __init__(self) -> None:
        self.observers: list[Observer] = []
        self.namespace: Callable[[Sequence[Any], Any], Any] = _numpy_only
        self.interpreter: Callable[[Any, Any], Any] = lambda plain, root: plain
        self.is_array: Callable[[Any], bool] = lambda value: False


hooks = Hooks()
