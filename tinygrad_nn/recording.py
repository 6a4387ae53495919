"""What ``apply`` notes beside each op, apart from grad mode: module calls, and tracing.

Three pieces of per-thread state that higher layers set and the engine reads:

- ``scope``: the ``nn.Module`` calls in progress, outermost first, as ``(module, call
  number)`` pairs: a module called twice (a block repeated in a ``Sequential``) makes
  two calls. ``Module.__call__`` pushes its call (numbered by :data:`calls`); every op
  recorded meanwhile remembers the scope, so drawings can group
  ops into one box per module call.
- ``tracing``: true while :func:`tinygrad_nn.compile` runs a function once to trace it.
  Reading a tensor's value then (``.item()``, ``bool(t)``) raises ``TracingError``.
- ``events``: while tracing, the training-step calls the function made —
  ``backward()``, ``optimizer.step()``, ``zero_grad()`` — noted (by :func:`note`) in
  order instead of run: the compiler writes them into the code.

Every tensor takes a number from :data:`creation` when it is made, so a tensor is always
numbered after the tensors it was computed from (and events are numbered with them).

Examples:
    >>> state.tracing, state.scope, state.events
    (False, (), None)
    >>> note(("step", None))  # not tracing a training step: the caller runs it
    False
"""

from __future__ import annotations

import itertools
import threading
from typing import Any


class RecordingState(threading.local):
    """Per-thread, like grad mode: one thread's module calls do not leak into another's."""

    tracing: bool = False
    scope: tuple[Any, ...] = ()
    events: list[tuple[Any, ...]] | None = None


state = RecordingState()
creation = itertools.count()  # tensors' creation numbers (see the module docs)
calls = itertools.count()  # module calls' numbers


def note(event: tuple[Any, ...]) -> bool:
    """While a training step is traced, note ``event`` (with its creation number) and
    return True: the caller then does not run it. Otherwise False."""
    if state.events is None:
        return False
    state.events.append((*event, next(creation)))
    return True
