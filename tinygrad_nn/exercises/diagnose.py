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

from collections.abc import Callable, Iterator, Sequence
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
from tinygrad_nn.graph_nodes import graph_nodes
from tinygrad_nn.ops import Op
from tinygrad_nn.tensor import Tensor

SIGN = "sign flipped"
FACTOR = "constant factor"
TRANSPOSED_SQUARE = "transposed"
FAN_OUT = "fan-out contribution missing"
UNKNOWN = "unknown"

MAX_REWIRED = 200  # backward passes one diagnosis may spend on the graph's corruptions
SQUARE_LOSSES = ("sse", "mse", "mse_loss")  # ops that square a difference themselves

Label = Callable[[Any], str]  # a graph node -> its name in messages

SIGN_MESSAGE = (
    "sign flipped: your answer is minus the gradient (every entry the right size, the "
    "wrong sign). If you followed the seed, that is expected: it writes 2 (y - output), "
    "the loss's derivative negated, and adds its d_weights to the weights to step "
    "downhill, so its d_weights are minus the gradient. The gradient of the loss itself "
    "uses 2 (output - y)"
)
SIGN_MESSAGE_ANY_LOSS = (
    "sign flipped: your answer is minus the gradient (every entry the right size, the "
    "wrong sign). Look for a difference written the other way round (b - a where the "
    "forward pass has a - b) or a minus sign lost on the way back"
)


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


def product_rule(truth: Truth, target: Any, label: Label) -> str:
    """The rule of the matrix product that reads ``target``, in the graph's names (an
    ``nn.Linear`` weight is ``(out, in)``: its rule is not the seed's ``x.T @ g``), or
    "" when no product reads it."""
    for use in truth.uses(target):
        op = use.op
        if op.name in ("matmul", "linear"):
            inputs = ", ".join(f"{op.input_name(i)} = {label(p)}" for i, p in enumerate(op.parents))
            return (
                f"Here {label(op)} = {op.name}(...) computes {op.formula} with {inputs}, so "
                f"{op.derivative_for(use.position)}"
            )
    return ""  # no product reads it: no rule to remind of


def sign_message(truth: Truth) -> str:
    """The seed's own convention explained where the loss squares a difference (as the
    seed's does); elsewhere, where to look."""
    for node in graph_nodes(truth.loss):
        if not isinstance(node, Op):
            continue
        squares = node.name in SQUARE_LOSSES or (
            node.name == "pow" and any(v == 2 for _, v in node.constants)
        )
        squares = squares or (
            node.name == "mul" and len(node.parents) == 2 and node.parents[0] is node.parents[1]
        )
        differences = node.name in SQUARE_LOSSES or any(
            isinstance(p, Op) and p.name == "sub" for p in node.parents
        )
        if squares and differences:
            return SIGN_MESSAGE
    return SIGN_MESSAGE_ANY_LOSS


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


def sizes(truth: Truth) -> list[int]:
    """The lengths of the graph's axes and the sizes of its values: the N a mean divides
    by, or a sum over N entries multiplies by."""
    found: set[int] = set()
    for node in graph_nodes(truth.loss):
        shape = shape_of(node)
        found.update(n for n in shape if n > 2)
        found.add(int(np.prod(shape)))
    return sorted(n for n in found if n > 2)


def scales(truth: Truth, label: Label) -> list[tuple[float, str]]:
    """The numbers the graph multiplies or divides by (attention's 1/sqrt(d_k)), each
    with the value it makes: ``(1.414..., "scores = div(matmul_out, 1.41421)")``."""
    found = []
    for node in graph_nodes(truth.loss):
        if not isinstance(node, Op) or node.name not in ("mul", "div"):
            continue
        numbers = [v for _, v in node.constants if isinstance(v, (int, float))]
        numbers += [  # a NumPy scalar (np.sqrt(2.0)) arrives as a one-number leaf
            float(np.asarray(p.array).reshape(-1)[0])
            for p in node.parents
            if isinstance(p, Tensor) and not p.requires_grad and p.array.size == 1
        ]
        for value in numbers:
            if abs(float(value)) not in (0.0, 1.0, 2.0):
                made = f"{label(node)} = {node.name}(..., {float(value):.6g})"
                found.append((abs(float(value)), made))
    return found


def factor_message(
    factor: float,
    counts: list[int],
    named_only: bool = False,
    scaled_by: Sequence[tuple[float, str]] = (),
) -> str | None:
    """Words for an answer that is ``factor`` times the gradient (with ``named_only``,
    None unless the factor is 2, one of ``counts``, a square root of one, one of the
    graph's scales (``scaled_by``: see :func:`scales`), or their inverses).

    Examples:
        >>> factor_message(0.5, [4])[:36]
        'a factor 2 off: your answer is half '
        >>> factor_message(2**0.5, [3], scaled_by=[(2**0.5, "s = div(qk, 1.41421)")])[:48]
        'a factor 1.41421 off: your answer is 1.41421 tim'
    """
    size = abs(factor)
    sign = "; and the sign is flipped" if factor < 0 else ""

    def near(value: float) -> bool:
        return abs(size - value) <= 1e-6 * value

    if near(0.5):
        return (
            "a factor 2 off: your answer is half the gradient — was the 2 of a square's "
            "derivative dropped? d/dx (x - y)**2 = 2 (x - y)" + sign
        )
    if near(2.0):
        return "a factor 2 off: your answer is twice the gradient" + sign
    for n in counts:
        if near(1.0 / n):
            return (
                f"a factor {n} off: your answer is the gradient divided by {n} — a mean "
                f"over {n} values where the loss takes a sum, or a 1/{n} too many" + sign
            )
        if near(float(n)):
            return (
                f"a factor {n} off: your answer is {n} times the gradient — a sum where "
                f"the loss takes a mean over {n} values, or its 1/{n} left out" + sign
            )
    for value, made in scaled_by:
        if near(value) or near(1.0 / value):
            how = (
                f"{value:.6g} times the gradient"
                if near(value)
                else f"the gradient divided by {value:.6g}"
            )
            return (
                f"a factor {value:.6g} off: your answer is {how}; the forward pass scales "
                f"by that number at {made}, and the gradient through it is scaled the same "
                "way: was the scale left out, applied twice, or inverted?" + sign
            )
    for n in sorted({2, *counts}):
        root = n**0.5
        if near(root) or near(1.0 / root):
            how = (
                f"sqrt({n}) = {root:.6g} times the gradient"
                if near(root)
                else f"the gradient divided by sqrt({n}) = {root:.6g}"
            )
            return (
                f"a factor sqrt({n}) off: your answer is {how} — a scale like "
                "attention's 1/sqrt(d_k) left out, applied twice, or inverted?" + sign
            )
    if named_only:
        return None
    return f"a constant factor off: your answer is {factor:.6g} times the gradient" + sign


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
    "scales",
    "sign_message",
    "sizes",
]
