"""The likely mistake in a wrong gradient: compared with the true one's common corruptions.

A hand derivation goes wrong in a few well-known ways. Each is a corruption of the true
gradient that can be computed exactly, so a wrong answer is compared with each in turn:

- simple transforms: the sign flipped, transposed, a constant factor (2, 1/N or N) off;
- from the graph: a fan-out contribution missing (only some of a value's uses — their
  gradients come from the engine's steps), or one op's rule written wrongly on the way
  back from the loss: an activation's derivative taken at its input instead of its output
  (``s (1 - s)`` with ``s`` the pre-activation) or the other way round, the function
  itself instead of its derivative, the derivative left out, or the upstream gradient
  left out (the local derivative alone, as if nothing came from above), or a softmax's
  Jacobian replaced by its diagonal ``z (1 - z)``.

An answer of the wrong shape is diagnosed by its shape (:mod:`.shapes`); one that fits
nothing gets its largest differences, with their indices.

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

from tinygrad_nn.exercises.shapes import Close, Diagnosis, by_shape, close_to, swapped
from tinygrad_nn.exercises.truth import Truth, Use, shape_of
from tinygrad_nn.graph_nodes import graph_nodes
from tinygrad_nn.ops import Op, Softmax
from tinygrad_nn.ops.base import KEEP, OUTPUT

SIGN = "sign flipped"
FACTOR = "constant factor"
TRANSPOSED_SQUARE = "transposed"
FAN_OUT = "fan-out contribution missing"
WRONG_VALUE = "activation derivative at the wrong value"
FUNCTION = "activation instead of its derivative"
DERIVATIVE_LEFT_OUT = "activation derivative left out"
UPSTREAM_LEFT_OUT = "upstream gradient left out"
SOFTMAX_ELEMENTWISE = "softmax derivative taken elementwise"
UNKNOWN = "unknown"

MAX_REWIRED = 200  # backward passes one diagnosis may spend on the graph's corruptions
ELEMENTWISE = (
    "tinygrad_nn.ops.elementwise",
    "tinygrad_nn.ops.activations",
    "tinygrad_nn.ops.unary",
)

Label = Callable[[Any], str]  # a graph node -> its name in messages

SIGN_MESSAGE = (
    "sign flipped: your answer is minus the gradient (every entry the right size, the "
    "wrong sign). If you followed the seed, that is expected: it writes 2 (y - output), "
    "the loss's derivative negated, and adds its d_weights to the weights to step "
    "downhill, so its d_weights are minus the gradient. The gradient of the loss itself "
    "uses 2 (output - y)"
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
        return by_shape(answer, gradient, label(target), close)
    simple = _simple(answer, gradient, truth, close)
    if simple is not None:
        return simple
    for kind, message, candidate in _corruptions(truth, target, label):
        if close(answer, candidate) and not close(gradient, candidate):
            return Diagnosis(kind, message)
        if close(-answer, candidate) and not close(-gradient, candidate):
            return Diagnosis(kind, message + "; and the sign is flipped as well")
    return Diagnosis(UNKNOWN, _largest_differences(answer, gradient))


def _simple(
    answer: np.ndarray, gradient: np.ndarray, truth: Truth, close: Close
) -> Diagnosis | None:
    """Sign, transpose (of a square matrix) or a constant factor: no graph needed."""
    if close(-answer, gradient):
        return Diagnosis(SIGN, SIGN_MESSAGE, -1.0)
    if answer.ndim >= 2 and close(swapped(answer), gradient):
        return Diagnosis(
            TRANSPOSED_SQUARE,
            "transposed: your answer is the gradient's transpose (the shapes agree only "
            "because the matrix is square). For z = x @ W the gradient is dL/dW = x.T @ g, "
            "and dL/dx = g @ W.T",
        )
    norm = float(np.sum(gradient * gradient))
    if norm > 0:
        factor = float(np.sum(answer * gradient)) / norm
        if factor != 0 and close(answer, factor * gradient) and not close(answer, gradient):
            # any one number is some multiple of another: there only a telling factor counts
            message = factor_message(factor, sizes(truth), named_only=gradient.size == 1)
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


def factor_message(factor: float, counts: list[int], named_only: bool = False) -> str | None:
    """Words for an answer that is ``factor`` times the gradient (with ``named_only``,
    None unless the factor is 2 or one of ``counts``, or their inverses).

    Examples:
        >>> factor_message(0.5, [4])[:36]
        'a factor 2 off: your answer is half '
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
        for kind, message, shares in _rewritten_rules(truth, op, label):
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


def is_activation(op: Op) -> bool:
    """An elementwise function of one value (sigmoid, tanh, exp...): one input, no
    numbers given to it, output shaped as the input."""
    return (
        type(op).__module__ in ELEMENTWISE
        and len(op.parents) == 1
        and not op.constants
        and len(op.input_names) == 1
        and tuple(op.out_shape) == shape_of(op.parents[0])
    )


def _rewritten_rules(truth: Truth, op: Op, label: Label) -> Iterator[tuple[str, str, list[Any]]]:
    """The ways a learner miswrites ``op``'s rule: (kind, message, the shares it sends)."""
    g = truth.upstream[op]
    out, formula = label(op), op.derivative_for(0)
    if is_activation(op) and op.saved is not None:
        x, z = truth.value(op.parents[0]), truth.value(op)
        inp = label(op.parents[0])
        reads_output = op.saves_at(OUTPUT) == KEEP
        if reads_output:
            yield (
                WRONG_VALUE,
                f"the {op.name}'s derivative taken at the wrong value: {formula} needs z = "
                f"its output {out}, and your answer matches it evaluated at its input "
                f"{inp} (the pre-activation)",
                truth.shares_of(op, g, (x, x)),
            )
        if op.saves_at(0) == KEEP:
            yield (
                WRONG_VALUE,
                f"the {op.name}'s derivative taken at the wrong value: {formula} is "
                f"evaluated at its input x = {inp}, and your answer matches it evaluated "
                f"at its output {out}",
                truth.shares_of(op, g, (z, z)),
            )
        yield (
            FUNCTION,
            f"the {op.name} itself where its derivative belongs: the gradient through "
            f"{out} = {op.name}({inp}) is multiplied by {formula}, and your answer matches "
            f"multiplying by {out} itself",
            [g * z],
        )
        yield (
            DERIVATIVE_LEFT_OUT,
            f"the {op.name}'s derivative left out: the gradient through {out} = "
            f"{op.name}({inp}) is multiplied by {formula}, and your answer matches passing "
            "it through unchanged",
            [g],
        )
    if isinstance(op, Softmax) and op.saved is not None:
        z = truth.value(op)
        yield (
            SOFTMAX_ELEMENTWISE,
            f"the softmax's derivative taken elementwise, z (1 - z): each output {out} "
            "depends on every input along its axis, so the gradient is the Jacobian's "
            "product dL/dx = z * (g - sum(g * z)), and your answer matches g * z (1 - z), "
            "its diagonal alone",
            [g * z * (1 - z)],
        )
    if op.saved is not None and not np.all(g == 1) and not _passes_through(truth, op, g):
        yield (
            UPSTREAM_LEFT_OUT,
            f"the upstream gradient left out at {out} = {op.name}(...): the chain rule "
            f"multiplies its local derivative ({formula}) by dL/d{out}, the gradient "
            "arriving from above, and your answer matches it with ones in its place",
            truth.shares_of(op, np.ones_like(g), op.saved),
        )


def _passes_through(truth: Truth, op: Op, g: np.ndarray) -> bool:
    """Whether ``op`` sends ones on to computed values for an upstream gradient of ones
    (``out - y``): leaving out its upstream gradient is then the same mistake as leaving
    out its input's, which is told there, at the value the learner named."""
    shares = truth.shares_of(op, np.ones_like(g), op.saved or ())
    return all(
        s is None or (isinstance(p, Op) and bool(np.all(np.abs(s) == 1)))
        for p, s in zip(op.parents, shares)
    )


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
    "SIGN",
    "SOFTMAX_ELEMENTWISE",
    "UNKNOWN",
    "UPSTREAM_LEFT_OUT",
    "WRONG_VALUE",
    "close_to",
    "diagnose",
    "factor_message",
    "is_activation",
    "sizes",
]
