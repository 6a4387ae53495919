"""Tracing a training step: the calls the step makes, noted instead of run.

While :func:`tinygrad_nn.compile` traces a training step (and while an exercise checks
one), :func:`noting_events` collects the step's ``backward()``, ``optimizer.step()`` and
``zero_grad()`` calls in ``mode.events``, in order, each with a creation number: the
compiler writes them into the code. ``backward()`` is noted by an observer of the engine
(:data:`tinygrad_nn.hooks.hooks`); the optimizers and modules call :func:`note` themselves.

The switches live in :data:`tinygrad_nn.hooks.mode` (``state`` here is the same object):
``scope`` (the ``nn.Module`` calls in progress), ``tracing`` and ``events``.

Examples:
    >>> state.tracing, state.scope, state.events
    (False, (), None)
    >>> note(("step", None))  # not tracing a training step: the caller runs it
    False
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tinygrad_nn.hooks import Observer, hooks, mode
from tinygrad_nn.node import creation

state = mode  # the engine's one mode object (module calls, tracing, events)
calls = itertools.count()  # module calls' numbers

__all__ = ["calls", "creation", "note", "noting_events", "state"]


def note(event: tuple[Any, ...]) -> bool:
    """While a training step is traced, note ``event`` (with its creation number) and
    return True: the caller then does not run it. Otherwise False."""
    if mode.events is None:
        return False
    mode.events.append((*event, next(creation)))
    return True


class NoteBackward(Observer):
    """Notes ``backward()`` calls (instead of running them) while events are noted."""

    def backward(self, root: Any, grad: Any, create_graph: bool) -> bool:
        return note(("backward", root, grad, create_graph))


NOTE_BACKWARD = NoteBackward()


@contextmanager
def noting_events(tracing: bool = False) -> Iterator[list[tuple[Any, ...]]]:
    """Note the training-step calls made inside the block in the list it gives; with
    ``tracing``, reading a tensor's value is an error meanwhile (compile traces)."""
    previous = mode.tracing, mode.events
    events: list[tuple[Any, ...]] = []
    mode.tracing, mode.events = tracing or mode.tracing, events
    hooks.observers.append(NOTE_BACKWARD)
    try:
        yield events
    finally:
        hooks.observers.remove(NOTE_BACKWARD)
        mode.tracing, mode.events = previous
