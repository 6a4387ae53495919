"""What ``apply`` notes beside each op, apart from grad mode: module calls, and tracing.

Two pieces of per-thread state that higher layers set and the engine reads:

- ``scope``: the ``nn.Module`` calls in progress, outermost first. ``Module.__call__``
  pushes itself; every op recorded meanwhile remembers the scope, so drawings can group
  ops into one box per module call.
- ``tracing``: true while :func:`tinygrad_nn.compile` runs a function once to trace it.
  Reading a tensor's value then (``.item()``, ``bool(t)``) raises ``TracingError``.

Examples:
    >>> state.tracing, state.scope
    (False, ())
"""

from __future__ import annotations

import threading
from typing import Any


class RecordingState(threading.local):
    """Per-thread, like grad mode: one thread's module calls do not leak into another's."""

    tracing: bool = False
    scope: tuple[Any, ...] = ()


state = RecordingState()
