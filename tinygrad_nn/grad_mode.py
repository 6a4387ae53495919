"""Whether operations are recorded for backward: ``no_grad`` and ``enable_grad``.

Examples:
    >>> import tinygrad_nn as tg
    >>> w = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> with tg.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
"""

from __future__ import annotations

import threading
from contextlib import ContextDecorator
from typing import Any


class _GradState(threading.local):
    """Per-thread switch, as in PyTorch: one thread's ``no_grad`` does not affect another."""

    enabled: bool = True
    tracing: bool = False  # set while tinygrad_nn.compile traces a function
    scope: tuple[Any, ...] = ()  # the nn.Module calls in progress, outermost first


_state = _GradState()


def is_grad_enabled() -> bool:
    """True when new operations on tensors that require grad are recorded.

    Examples:
        >>> is_grad_enabled()
        True
    """
    return _state.enabled


class set_grad_enabled(ContextDecorator):
    """Turn recording on or off inside a ``with`` block or a decorated function.

    Examples:
        >>> with set_grad_enabled(False):
        ...     is_grad_enabled()
        False
    """

    def __init__(self, mode: bool) -> None:
        self.mode = mode
        self.previous: list[bool] = []

    def __enter__(self) -> None:
        self.previous.append(_state.enabled)
        _state.enabled = self.mode

    def __exit__(self, *exc: Any) -> None:
        _state.enabled = self.previous.pop()

    def _recreate_cm(self) -> set_grad_enabled:  # a fresh one per decorated call
        return type(self)(self.mode)


class no_grad(set_grad_enabled):
    """Record nothing: results do not require grad. Use as ``with no_grad():`` or ``@no_grad()``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> @tg.no_grad()
        ... def predict(x):
        ...     return x * 3
        >>> predict(tg.Tensor(1.0, requires_grad=True)).requires_grad
        False
    """

    def __init__(self) -> None:
        super().__init__(False)

    def _recreate_cm(self) -> no_grad:
        return type(self)()


class enable_grad(set_grad_enabled):
    """Record again inside a ``no_grad`` block.

    Examples:
        >>> import tinygrad_nn as tg
        >>> with tg.no_grad(), tg.enable_grad():
        ...     (tg.Tensor(1.0, requires_grad=True) * 2).requires_grad
        True
    """

    def __init__(self) -> None:
        super().__init__(True)

    def _recreate_cm(self) -> enable_grad:
        return type(self)()
