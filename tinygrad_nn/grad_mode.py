"""Whether operations are recorded for backward: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

They follow PyTorch: each works as a ``with`` block and as a decorator (generator
functions included: the mode holds while the generator runs, not only when it is made),
and ``set_grad_enabled(False)`` called on its own line switches recording off until
``set_grad_enabled(True)``.

Examples:
    >>> import tinygrad_nn as tg
    >>> w = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> with tg.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Generator
from typing import Any, TypeVar

from tinygrad_nn.hooks import mode as _state  # the engine's switches: grad mode is per thread

F = TypeVar("F", bound=Callable[..., Any])


def is_grad_enabled() -> bool:
    """True when new operations on tensors that require grad are recorded.

    Examples:
        >>> is_grad_enabled()
        True
    """
    return _state.grad_enabled


class _GradMode:
    """A ``with`` block and a decorator that run code with recording set to ``mode``."""

    mode: bool = True

    def __init__(self) -> None:
        self.previous: list[bool] = []

    def __enter__(self) -> None:
        self.previous.append(_state.grad_enabled)
        _state.grad_enabled = self.mode

    def __exit__(self, *exc: Any) -> None:
        _state.grad_enabled = self.previous.pop()

    def clone(self) -> _GradMode:
        return type(self)()

    def __call__(self, function: F) -> F:
        if inspect.isgeneratorfunction(function):

            @functools.wraps(function)
            def generator(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
                inner = function(*args, **kwargs)
                reply = None
                while True:  # every resume of the generator runs under the mode
                    with self.clone():
                        try:
                            value = inner.send(reply)
                        except StopIteration as stop:
                            return stop.value
                    reply = yield value

            return generator  # type: ignore[return-value]

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Record nothing: results do not require grad. Use as ``with no_grad():`` or ``@no_grad()``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> @tg.no_grad()
        ... def predict(x):
        ...     return x * 3
        >>> predict(tg.Tensor(1.0, requires_grad=True)).requires_grad
        False
    """

    mode = False


class enable_grad(_GradMode):
    """Record again inside a ``no_grad`` block.

    Examples:
        >>> import tinygrad_nn as tg
        >>> with tg.no_grad(), tg.enable_grad():
        ...     (tg.Tensor(1.0, requires_grad=True) * 2).requires_grad
        True
    """

    mode = True


class set_grad_enabled(_GradMode):
    """Switch recording on or off: at once when called, until the end of a ``with`` block.

    As in PyTorch, ``set_grad_enabled(False)`` on its own line takes effect immediately
    (and lasts until switched back); in a ``with`` block or as a decorator, the previous
    mode comes back at the end.

    Examples:
        >>> with set_grad_enabled(False):
        ...     is_grad_enabled()
        False
        >>> _ = set_grad_enabled(False); is_grad_enabled()
        False
        >>> _ = set_grad_enabled(True); is_grad_enabled()
        True
    """

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self.mode = bool(mode)
        self.previous.append(_state.grad_enabled)
        _state.grad_enabled = self.mode  # the call itself switches, as in PyTorch

    def __enter__(self) -> None:
        pass  # already switched by __init__

    def clone(self) -> _GradMode:
        mode = _GradMode()
        mode.mode = self.mode
        return mode

    def __call__(self, function: F) -> F:
        _state.grad_enabled = self.previous[-1]  # as a decorator: switch only inside calls
        return super().__call__(function)
