"""Anomaly mode: stop at the first op that makes a NaN or an infinity, and say where.

Inside ``with tg.detect_anomaly():`` (or a function decorated with it), every op's
output is checked when it is computed, and every gradient an op's backward rule sends;
the first one holding a NaN or an infinity raises :class:`AnomalyError` naming the op,
its formula, its inputs' shapes and value ranges, and the line of your code that made
it. The line is only recorded in this mode: outside it, the engine does no extra work
but one test per op of whether anything observes it.

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.Tensor([4.0, 1.0], requires_grad=True)
    >>> with tg.detect_anomaly():
    ...     try:
    ...         (x - 2).sqrt().sqrt()
    ...     except tg.AnomalyError as error:
    ...         print(str(error).splitlines()[0])
    detect_anomaly: sqrt made NaN in its output
"""

from __future__ import annotations

import linecache
import sys
from collections.abc import Sequence
from contextlib import ContextDecorator
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_nn.errors import AnomalyError
from tinygrad_nn.hooks import Mode, Observer, hooks
from tinygrad_nn.ops.base import ArrayFacts, Op

PACKAGE = str(Path(__file__).resolve().parent)


class Anomalies(Observer):
    """The engine's observer in anomaly mode: checks each op's output as it is made (and
    notes the user's line that made it), and each gradient share sent back."""

    def applied(self, op: Op, arrays: Sequence[Any], out: Any) -> None:
        check_forward(op, arrays, out)
        op.made_at = caller_line()

    def sent(self, node: Any, g: Any, shares: list[tuple[int, Any, Any, Any]]) -> None:
        for position, _, share, _ in shares:
            bad = _bad(share)
            if bad is not None:
                where = f"made {bad} in its backward, in the gradient for "
                where += node.input_name(node.parent_positions()[position])
                inputs = node.saved[:-1] if node.saved is not None else ()
                raise AnomalyError(_message(node, where, inputs, node.made_at))


ANOMALIES = Anomalies()


class detect_anomaly(ContextDecorator):
    """Check every op's output and gradients for NaN and infinity (a ``with`` block or a
    decorator), as ``torch.autograd.detect_anomaly``. On or off for the whole process, as
    PyTorch's; while on, :data:`ANOMALIES` observes the engine.

    Examples:
        >>> import tinygrad_nn as tg
        >>> @tg.detect_anomaly()
        ... def safe(x):
        ...     return (x * 2).sum()
        >>> safe(tg.Tensor([1.0], requires_grad=True)).item()
        2.0
    """

    def __init__(self) -> None:
        self.previous: list[bool] = []

    def __enter__(self) -> detect_anomaly:
        self.previous.append(Mode.anomaly)
        _switch(True)
        return self

    def __exit__(self, *exc: Any) -> None:
        _switch(self.previous.pop())


def _switch(on: bool) -> None:
    Mode.anomaly = on  # the class: every thread's mode
    if on and ANOMALIES not in hooks.observers:
        hooks.observers.insert(0, ANOMALIES)
    elif not on and ANOMALIES in hooks.observers:
        hooks.observers.remove(ANOMALIES)


def caller_line() -> str:
    """``file:line: code`` of the innermost frame outside tinygrad_nn: the user's line."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(PACKAGE):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "(unknown)"
    code = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{frame.f_code.co_filename}:{frame.f_lineno}: {code}"


def _bad(value: Any) -> str | None:
    """'NaN' or 'infinity' if ``value`` (an array or a number) holds one, else None."""
    array = np.asarray(value)
    if array.dtype.kind not in "fc":
        return None
    if np.isnan(array).any():
        return "NaN"
    if np.isinf(array).any():
        return "infinity"
    return None


def _describe(values: Sequence[Any], op: Op) -> str:
    parts = []
    for position, value in enumerate(values):
        if value is None or isinstance(value, ArrayFacts):
            shape = f"shape {value.shape}, " if value is not None else ""
            parts.append(f"{op.input_name(position)}: {shape}not kept (its rule does not read it)")
            continue
        array = np.asarray(value)
        finite = array[np.isfinite(array)] if array.dtype.kind in "fc" else array
        span = (
            f"values in [{finite.min():.4g}, {finite.max():.4g}]"
            if finite.size
            else "no finite value"
        )
        parts.append(f"{op.input_name(position)}: shape {array.shape}, {span}")
    return "; ".join(parts)


def check_forward(op: Op, arrays: Sequence[Any], out: np.ndarray) -> None:
    """Raise if ``out`` holds NaN or infinity (called by ``apply`` in anomaly mode)."""
    bad = _bad(out)
    if bad is not None:
        raise AnomalyError(_message(op, f"made {bad} in its output", arrays, caller_line()))


def _message(op: Op, what: str, inputs: Sequence[Any], made_at: str) -> str:
    derivatives = ", ".join(op.derivatives)
    return (
        f"detect_anomaly: {op.name} {what}\n"
        f"  op:     {op.definition}   ({derivatives})\n"
        f"  inputs: {_describe(inputs, op)}\n"
        f"  made at {made_at}"
    )
