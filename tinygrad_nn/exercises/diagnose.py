"""The likely mistake in a wrong gradient: compared with the true one's common corruptions.

A hand derivation goes wrong in a few well-known ways. Each is a corruption of the true
gradient that can be computed exactly, so a wrong answer is compared with each in turn:

- simple transforms: the sign flipped, transposed, a constant factor (2, 1/N or N) off;
- from the graph: a fan-out contribution missing (only some of a value's uses — their
  gradients come from the engine's steps), or one op's rule written wrongly on the way
  back from the loss: an activation's derivative taken at its input instead of its output
  (``s (1 - s)`` with ``s`` the pre-activation) or the other way round, the function
  itself instead of its derivative, the derivative left out, or the upstream gradient
  left out (the local derivative alone, as if nothing came from above), a softmax's
  Jacobian replaced by its diagonal ``z (1 - z)``, a matrix product's ``.T`` left out
  (:mod:`.rules`);
- elsewhere in the graph: the gradient of another value (one step short of the checked
  one), or a broadcast value's gradient summed along the wrong axis (:mod:`.elsewhere`).

An answer of the wrong shape is diagnosed by its shape (:mod:`.shapes`), and, when it is
the gradient's transpose with another mistake, by that mistake; one that fits nothing
gets its largest differences, with their indices.

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn.exercises.truth import Truth
    >>> w = tg.Tensor([1.0, -2.0], requires_grad=True)
    >>> truth = Truth((w.sigmoid() ** 2).sum(), [w])
    >>> diagnose(-truth.gradient(w), truth, w, str, close_to(1e-5, 1e-8)).kind
    'sign flipped'
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import combinations
from typing import Any

import numpy as np

from tinygrad_nn.exercises.elsewhere import another_value, summed_along_another_axis
from tinygrad_nn.exercises.rules import (
    DERIVATIVE_LEFT_OUT,
    FUNCTION,
    PRE_ACTIVATION,
    SOFTMAX_AXIS,
    SOFTMAX_ELEMENTWISE,
    SOFTMAX_SUM,
    TRANSPOSE_LEFT_OUT,
    UPSTREAM_LEFT_OUT,
    WRONG_VALUE,
    is_activation,
    rewritten_rules,
)
from tinygrad_nn.exercises.shapes import (
    SHAPE,
    Close,
    Diagnosis,
    by_shape,
    close_to,
    swapped,
)
from tinygrad_nn.exercises.truth import Truth, Use, shape_of
from tinygrad_nn.exercises.words import (
    SIGN_MESSAGE,
    SIGN_MESSAGE_ANY_LOSS,
    factor_message,
    product_rule,
    scales,
    sign_message,
    sizes,
)

SIGN = "sign flipped"
FACTOR = "constant factor"
TRANSPOSED_SQUARE = "transposed"
FAN_OUT = "fan-out contribution missing"
UNKNOWN = "unknown"

MAX_REWIRED = 200  # backward passes one diagnosis may spend on the graph's corruptions


Label = Callable[[Any], str]  # a graph node -> its name in messages


def diagnose(
    answer: np.ndarray, truth: Truth, target: Any, label: Label, close: Close
) -> Diagnosis:
    """The likely mistake in ``answer`` for ``target``'s gradient (known to be wrong).

    Args:
        answer: the learner's array.
        truth: the engine's gradients and steps (:class:`Truth`).
        target: the graph node (or tensor) the answer is the gradient of.
        label: names a graph node in the messages.
        close: how near counts as equal (:func:`close_to`).
    """
    gradient = truth.gradient(target)
    if answer.shape != gradient.shape:
        return _misshapen(answer, truth, target, label, close)
    simple = _simple(answer, gradient, truth, target, label, close)
    if simple is not None:
        return simple
    for kind, message, candidate in _corruptions(truth, target, label):
        if close(answer, candidate) and not close(gradient, candidate):
            return Diagnosis(kind, message)
        if close(-answer, candidate) and not close(-gradient, candidate):
            return Diagnosis(kind, message + "; and the sign is flipped as well")
    elsewhere = another_value(answer, truth, target, label, close)
    if elsewhere is not None:
        return elsewhere
    return Diagnosis(UNKNOWN, _largest_differences(answer, gradient))


def _misshapen(
    answer: np.ndarray, truth: Truth, target: Any, label: Label, close: Close
) -> Diagnosis:
    """An answer of another shape: by its shape, else the gradient's transpose with
    another mistake, else a value found elsewhere in the graph."""
    gradient, name = truth.gradient(target), label(target)
    found = by_shape(answer, gradient, name, close, product_rule(truth, target, label))
    if found.kind != SHAPE:
        return found
    if answer.ndim >= 2 and swapped(answer).shape == gradient.shape:
        inner = diagnose(swapped(answer), truth, target, label, close)
        if inner.kind != UNKNOWN:
            return Diagnosis(
                TRANSPOSED_SQUARE,
                f"transposed: your answer has shape {answer.shape}, the gradient's "
                f"transpose (a gradient has the shape of its tensor, {name}: "
                f"{gradient.shape}); and transposed back it is still wrong: {inner.message}",
                inner.factor,
            )
    for elsewhere in (summed_along_another_axis, another_value):
        other = elsewhere(answer, truth, target, label, close)
        if other is not None:
            return other
    return found


def _simple(
    answer: np.ndarray, gradient: np.ndarray, truth: Truth, target: Any, label: Label, close: Close
) -> Diagnosis | None:
    """Sign, transpose (of a square matrix) or a constant factor: no graph needed."""
    if close(-answer, gradient):
        return Diagnosis(SIGN, sign_message(truth), -1.0)
    if answer.ndim >= 2 and close(swapped(answer), gradient):
        return Diagnosis(
            TRANSPOSED_SQUARE,
            "transposed: your answer is the gradient's transpose (the shapes agree only "
            f"because the matrix is square). {product_rule(truth, target, label)}".rstrip(),
        )
    norm = float(np.sum(gradient * gradient))
    if norm > 0:
        factor = float(np.sum(answer * gradient)) / norm
        if factor != 0 and close(answer, factor * gradient) and not close(answer, gradient):
            # any one number is some multiple of another: there only a telling factor counts
            message = factor_message(
                factor, sizes(truth), named_only=gradient.size == 1, scaled_by=scales(truth, label)
            )
            if message is not None:
                return Diagnosis(FACTOR, message, factor)
    return None


# ---------------------------------------------------------------- corruptions from the graph


def _corruptions(truth: Truth, target: Any, label: Label) -> Iterator[tuple[str, str, np.ndarray]]:
    """(kind, message, the corrupted gradient), most likely first."""
    yield from _fan_out(truth, target, label)
    if not truth.numpy:  # another library's arrays: the rules are not re-run here
        return
    budget = MAX_REWIRED
    for op in truth.ops_after(target):
        for kind, message, shares in rewritten_rules(truth, op, label):
            if budget == 0:
                return
            budget -= 1
            yield kind, message, truth.rewired(op, shares, target)


def _use_text(use: Use, label: Label) -> str:
    return f"{use.op.name} making {label(use.op)}"


def _fan_out(truth: Truth, target: Any, label: Label) -> Iterator[tuple[str, str, np.ndarray]]:
    """Some of the value's uses without the others: one candidate per proper subset."""
    uses = truth.uses(target)
    if len(uses) < 2:
        return
    name, k = label(target), len(uses)
    every = "; ".join(_use_text(u, label) for u in uses)
    sizes_tried = range(1, k) if k <= 8 else (1, k - 1)  # 2**k subsets: keep it small
    for size in sizes_tried:
        for subset in combinations(range(k), size):
            kept = [uses[i] for i in subset]
            missing = [uses[i] for i in range(k) if i not in subset]
            message = (
                f"a fan-out contribution missing: {name} is used {k} times ({every}), "
                f"and its gradient is the sum of the gradients through all its uses; your "
                f"answer has only the one{'s' if size > 1 else ''} through "
                f"{', '.join(_use_text(u, label) for u in kept)}, missing "
                f"{', '.join(_use_text(u, label) for u in missing)}"
            )
            yield FAN_OUT, message, sum((u.share for u in kept), np.zeros(shape_of(target)))


def _largest_differences(answer: np.ndarray, gradient: np.ndarray, count: int = 3) -> str:
    """No known mistake fits: where the answer is furthest off, with the indices."""
    if not np.all(np.isfinite(answer)):
        bad = np.argwhere(~np.isfinite(answer))[:count]
        places = ", ".join(str(list(map(int, i))) for i in bad)
        return f"your answer has NaN or infinite entries, at {places}"
    difference = np.abs(answer - gradient)
    flat = np.argsort(-difference, axis=None, kind="stable")[:count]
    parts = []
    for i in flat:
        index = np.unravel_index(i, gradient.shape)
        where = list(map(int, index))
        parts.append(f"at {where} yours {answer[index]:.6g}, the gradient {gradient[index]:.6g}")
    return "no common mistake matches it; the largest differences: " + "; ".join(parts)


__all__ = [
    "DERIVATIVE_LEFT_OUT",
    "FACTOR",
    "FAN_OUT",
    "FUNCTION",
    "PRE_ACTIVATION",
    "SIGN",
    "SIGN_MESSAGE",
    "SIGN_MESSAGE_ANY_LOSS",
    "SOFTMAX_AXIS",
    "SOFTMAX_ELEMENTWISE",
    "SOFTMAX_SUM",
    "TRANSPOSE_LEFT_OUT",
    "UNKNOWN",
    "UPSTREAM_LEFT_OUT",
    "WRONG_VALUE",
    "close_to",
    "diagnose",
    "factor_message",
    "is_activation",
    "product_rule",
    "scales",
    "sign_message",
    "sizes",
]
