"""The exceptions tinygrad_nn defines itself (everything else raises Python's own).

Examples:
    >>> issubclass(TracingError, RuntimeError)
    True
"""

from __future__ import annotations


class TracingError(RuntimeError):
    """The function does something that a compiled trace could not reproduce faithfully.

    Raised while :func:`tinygrad_nn.compile` traces, e.g. when Python code reads a tensor's
    value (``.item()``, ``if loss > 1``): the generated code could not follow that choice.

    Examples:
        >>> import tinygrad_nn as tg
        >>> f = tg.compile(lambda x: x.sum() * x.sum().item())
        >>> try:
        ...     f(tg.Tensor([1.0], requires_grad=True))
        ... except TracingError as error:
        ...     print("item()" in str(error))
        True
    """


class AnomalyError(RuntimeError):
    """An op made a NaN or an infinity while :func:`tinygrad_nn.detect_anomaly` was on.

    Examples:
        >>> issubclass(AnomalyError, RuntimeError)
        True
    """
