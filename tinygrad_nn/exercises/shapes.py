"""Diagnoses by shape: an answer whose shape is not the gradient's says what went wrong.

A gradient always has the shape of what it is the gradient of. An answer of another
shape is the gradient transposed, or not summed over an axis the value was broadcast
along (a bias added to every row), or summed over an axis it should keep, or the right
numbers in the wrong layout, or one term per example not yet added up (``h * g`` where
``h.T @ g`` sums them), or a whole Jacobian — or, when none of those fits, simply the
wrong shape.

Examples:
    >>> g = np.array([1.0, 2.0])
    >>> by_shape(np.array([[1.0, 2.0], [0.0, 0.0]]), g, "b", close_to(1e-5, 1e-8)).kind
    'broadcast axis not summed'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from tinygrad_nn.namespace import numpy_xp

# The kinds of mistake, as the result reports them (``verdict.diagnosis``).
SHAPE = "wrong shape"
TRANSPOSED = "transposed"
NOT_SUMMED = "broadcast axis not summed"
SUMMED = "summed over an axis it should keep"
RESHAPED = "right numbers, wrong shape"
NOT_ADDED = "terms not added up"
JACOBIAN = "a Jacobian, not a gradient"

PRODUCT_RULE = "For z = x @ W the gradient is dL/dW = x.T @ g, and dL/dx = g @ W.T"

Close = Callable[[np.ndarray, np.ndarray], bool]


@dataclass
class Diagnosis:
    """The likely mistake: its kind (one of the module constants) and what to tell."""

    kind: str
    message: str
    factor: float | None = None  # for a constant factor: answer / gradient


def close_to(rtol: float, atol: float) -> Close:
    """``close(answer, reference)``: same shape and ``np.allclose`` with these tolerances."""

    def close(answer: np.ndarray, reference: np.ndarray) -> bool:
        return answer.shape == reference.shape and bool(
            np.allclose(answer, reference, rtol=rtol, atol=atol)
        )

    return close


def swapped(a: np.ndarray) -> np.ndarray:
    """``a`` with its last two axes swapped (``a.T`` for a matrix)."""
    return np.swapaxes(a, -1, -2)


def axes_text(axes: tuple[int, ...]) -> str:
    """``axis 0`` or ``axes (0, 1)``."""
    return f"axis {axes[0]}" if len(axes) == 1 else f"axes {axes}"


def stretched_axes(big: tuple[int, ...], small: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of ``big`` along which ``small`` is broadcast to it."""
    lead = len(big) - len(small)
    return tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(small) if n == 1 and big[lead + i] != 1
    )


def broadcasts_to(small: tuple[int, ...], big: tuple[int, ...]) -> bool:
    """Whether ``small`` broadcasts to exactly ``big`` (and is smaller)."""
    try:
        return np.broadcast_shapes(small, big) == big and small != big
    except ValueError:
        return False


def by_shape(
    answer: np.ndarray, gradient: np.ndarray, name: str, close: Close, rule: str = PRODUCT_RULE
) -> Diagnosis:
    """What an answer whose shape differs from the gradient's most likely is.

    Args:
        answer: the learner's array.
        gradient: the true gradient (the shape of the tensor ``name``).
        name: the tensor's name in the graph, for the message.
        close: how near counts as equal (:func:`close_to`).
        rule: the product rule to remind of when the answer is transposed (the one of
            the op that reads ``name``, where the caller knows it).
    """
    want, got = gradient.shape, answer.shape
    flipped = answer.ndim >= 2 and swapped(answer).shape == want
    if flipped and close(swapped(answer), gradient):
        return Diagnosis(
            TRANSPOSED,
            f"transposed: your answer has shape {got}, the gradient's transpose; a "
            f"gradient always has the shape of its tensor ({name}: {want}). {rule}".rstrip(),
        )
    if broadcasts_to(want, got) and answer.size != gradient.size:  # else only a layout
        axes = stretched_axes(got, want)
        if close(numpy_xp.unbroadcast(answer, want), gradient):
            return Diagnosis(
                NOT_SUMMED,
                f"not summed over the broadcast {axes_text(axes)}: {name} (shape {want}) "
                f"was stretched to {got} in the forward pass, so it was used once per entry "
                f"along {axes_text(axes)}, and its gradient is the sum over those uses: "
                f".sum(axis={axes[0] if len(axes) == 1 else axes}) of your answer",
            )
    for axes, summed in _sums(gradient, got):
        if close(answer, summed):
            return Diagnosis(
                SUMMED,
                f"summed over {axes_text(axes)}, which it should keep: {name} has shape "
                f"{want} and was not broadcast along {axes_text(axes)}, so its gradient "
                f"has that axis too (one entry per entry of {name})",
            )
    if answer.size == gradient.size and close(answer.reshape(want), gradient):
        return Diagnosis(
            RESHAPED,
            f"the right numbers in the wrong shape: {got} instead of {want} ({name}'s "
            "shape); reshape (or derive it in that layout)",
        )
    for axis in range(answer.ndim):
        added = answer.sum(axis=axis)
        many = answer.shape[axis] > 1 and added.size == gradient.size
        if many and close(added.reshape(want), gradient):
            return Diagnosis(
                NOT_ADDED,
                f"terms not added up: your answer has shape {got}, and summed over "
                f"axis {axis} it is the gradient ({name}: {want}). It keeps one term "
                f"per entry along axis {axis} (one per example?) where the gradient "
                f"adds them: for z = x @ W, dL/dW = x.T @ g is that sum over the "
                f"examples, and an elementwise x * g keeps them apart",
            )
    if gradient.ndim and answer.ndim > gradient.ndim and got[: gradient.ndim] == want:
        return Diagnosis(
            JACOBIAN,
            f"a Jacobian, not a gradient: your answer has shape {got}, {name}'s shape "
            f"{want} and more axes; a gradient has the shape of its tensor — the "
            "Jacobian (every output's derivative by every input) multiplied by the "
            "upstream gradient g and summed over the outputs",
        )
    return Diagnosis(
        SHAPE,
        f"wrong shape: {name} has shape {want}, and so has its gradient; your answer has "
        f"shape {got}" + (" (transposed, it still differs)" if flipped else ""),
    )


def _sums(gradient: np.ndarray, shape: tuple[int, ...]) -> list[tuple[tuple[int, ...], np.ndarray]]:
    """The gradient summed over axes so that it takes ``shape`` (keeping them as size 1,
    or dropping them), with the axes summed."""
    found = []
    want = gradient.shape
    if len(shape) == len(want) and all(s in (1, w) for s, w in zip(shape, want)):
        axes = tuple(i for i, (s, w) in enumerate(zip(shape, want)) if s == 1 and w != 1)
        if axes:
            found.append((axes, gradient.sum(axis=axes, keepdims=True)))
    if len(shape) < len(want):
        for dropped in combinations(range(len(want)), len(want) - len(shape)):
            rest = tuple(n for i, n in enumerate(want) if i not in dropped)
            if rest == shape and any(want[i] > 1 for i in dropped):  # else only a squeeze
                found.append((dropped, gradient.sum(axis=dropped)))
    return found


__all__ = [
    "JACOBIAN",
    "NOT_ADDED",
    "NOT_SUMMED",
    "PRODUCT_RULE",
    "RESHAPED",
    "SHAPE",
    "SUMMED",
    "TRANSPOSED",
    "Diagnosis",
    "by_shape",
    "close_to",
]
