"""The exceptions tinygrad_nn defines itself (everything else raises Python's own).

Examples:
    >>> issubclass(TracingError, RuntimeError)
    True
"""

from __future__ import annotations

import numpy as np


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


class DimensionError(np.exceptions.AxisError):
    """An axis (a ``dim``) out of range: PyTorch's ``IndexError`` and wording, raised the
    same way by every op and method that takes one.

    It is NumPy's ``AxisError`` too (an ``IndexError`` and a ``ValueError``), so code that
    catches what NumPy raises keeps working. A 0-d tensor takes ``dim`` -1 and 0, as in
    PyTorch and NumPy.

    Examples:
        >>> str(DimensionError("sum", 5, 2))
        'sum: Dimension out of range (expected to be in range of [-2, 1], but got 5)'
        >>> isinstance(DimensionError("sum", 5, 2), IndexError)
        True
    """

    def __init__(self, what: str, dim: int, ndim: int) -> None:
        bound = max(ndim, 1)
        super().__init__(
            f"{what}: Dimension out of range (expected to be in range of "
            f"[{-bound}, {bound - 1}], but got {dim})"
        )
        self.dim, self.tensor_ndim = dim, ndim

    def __reduce__(self) -> tuple[type, tuple[str, int, int]]:  # pickles (multiprocessing)
        return type(self), (str(self).partition(":")[0], self.dim, self.tensor_ndim)


def wrap_dim(what: str, dim: int, ndim: int) -> int:
    """``dim`` as an axis in ``0..ndim-1`` (negatives count from the end), or a
    :class:`DimensionError` naming ``what``. A 0-d tensor takes -1 and 0 (giving 0).

    Examples:
        >>> wrap_dim("flip", -1, 3), wrap_dim("sum", 0, 0)
        (2, 0)
    """
    bound = max(ndim, 1)
    if not -bound <= dim < bound:
        raise DimensionError(what, dim, ndim)
    return int(dim) % bound


FREED_GRAPH_MESSAGE = (
    "trying to backward through the graph a second time: its saved arrays were released "
    "after the first backward. Pass retain_graph=True to the first backward (or tg.grad) "
    "if you need to go through the graph again"
)
