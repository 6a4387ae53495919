"""One op's backward rule written the way a learner miswrites it: the corrupted shares.

For each op between the checked value and the loss, :func:`rewritten_rules` yields the
common ways its rule goes wrong by hand, as ``(kind, message, shares)``: what the op
would have sent each input instead (None for an input sent the right share). The
diagnosis (:mod:`.diagnose`) sends each back to the checked value with the engine and
compares. The slips:

- an elementwise activation (sigmoid, tanh, exp...): its derivative evaluated at the
  wrong value (``s (1 - s)`` with ``s`` the pre-activation), the function itself where
  its derivative belongs, or the derivative left out;
- a softmax: its Jacobian replaced by the diagonal ``z (1 - z)``, the function itself,
  the derivative left out, ``z`` left out of the sum, or the sum taken along the wrong
  axis (or without ``keepdims``, so that it broadcasts along the wrong axis);
- a matrix product: a ``.T`` left out where the shapes still agree (a square operand or
  a square upstream gradient), or an input read before its activation (``z`` where
  ``h = tanh(z)`` belongs);
- any op: the upstream gradient left out (the local derivative alone).

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn.exercises.truth import Truth
    >>> w = tg.Tensor([1.0, -2.0], requires_grad=True)
    >>> s = w.sigmoid()
    >>> truth = Truth((s * 3.0).sum(), [w])
    >>> [kind for kind, _, _ in rewritten_rules(truth, s._ctx, str)][:2]
    ['activation derivative at the wrong value', 'activation instead of its derivative']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from tinygrad_nn.exercises.truth import Truth
from tinygrad_nn.ops import Op, Softmax
from tinygrad_nn.ops.base import KEEP, OUTPUT
from tinygrad_nn.ops.linalg import Linear, MatMul

WRONG_VALUE = "activation derivative at the wrong value"
FUNCTION = "activation instead of its derivative"
DERIVATIVE_LEFT_OUT = "activation derivative left out"
UPSTREAM_LEFT_OUT = "upstream gradient left out"
SOFTMAX_ELEMENTWISE = "softmax derivative taken elementwise"
SOFTMAX_SUM = "softmax derivative without z in its sum"
SOFTMAX_AXIS = "softmax derivative summed along the wrong axis"
TRANSPOSE_LEFT_OUT = "transpose left out"
PRE_ACTIVATION = "pre-activation in place of the activation"

ELEMENTWISE = (
    "tinygrad_nn.ops.elementwise",
    "tinygrad_nn.ops.activations",
    "tinygrad_nn.ops.unary",
)

Label = Callable[[Any], str]  # a graph node -> its name in messages
Rewrite = tuple[str, str, list[Any]]  # (kind, message, the shares the op would send)


def is_activation(op: Op) -> bool:
    """An elementwise function of one value (sigmoid, tanh, exp...): one input, no
    numbers given to it, output shaped as the input."""
    return (
        type(op).__module__ in ELEMENTWISE
        and len(op.parents) == 1
        and not op.constants
        and len(op.input_names) == 1
        and tuple(op.out_shape) == _shape(op.parents[0])
    )


def _shape(node: Any) -> tuple[int, ...]:
    return tuple(node.out_shape) if isinstance(node, Op) else tuple(node.array.shape)


def rewritten_rules(truth: Truth, op: Op, label: Label) -> Iterator[Rewrite]:
    """The ways a learner miswrites ``op``'s rule: (kind, message, the shares it sends)."""
    g = truth.upstream[op]
    if is_activation(op) and op.saved is not None:
        yield from _activation(truth, op, g, label)
    if isinstance(op, Softmax) and op.saved is not None:
        yield from _softmax(truth, op, g, label)
    if isinstance(op, MatMul) and op.saved is not None:
        yield from _matmul(truth, op, g, label)
    if isinstance(op, (MatMul, Linear)) and op.saved is not None:
        yield from _before_activation(truth, op, g, label)
    if op.saved is not None and not np.all(g == 1) and not _passes_through(truth, op, g):
        out, formula = label(op), op.derivative_for(0)
        yield (
            UPSTREAM_LEFT_OUT,
            f"the upstream gradient left out at {out} = {op.name}(...): the chain rule "
            f"multiplies its local derivative ({formula}) by dL/d{out}, the gradient "
            "arriving from above, and your answer matches it with ones in its place",
            truth.shares_of(op, np.ones_like(g), op.saved),
        )


def _activation(truth: Truth, op: Op, g: np.ndarray, label: Label) -> Iterator[Rewrite]:
    out, formula = label(op), op.derivative_for(0)
    x, z = truth.value(op.parents[0]), truth.value(op)
    inp = label(op.parents[0])
    if op.saves_at(OUTPUT) == KEEP:
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


def _softmax(truth: Truth, op: Softmax, g: np.ndarray, label: Label) -> Iterator[Rewrite]:
    z, out, inp = truth.value(op), label(op), label(op.parents[0])
    if z.ndim == 0:
        return
    axis = op.axis % z.ndim
    rule = f"dL/dx = z * (g - sum(g * z)), its sum along axis {axis}"
    yield (
        SOFTMAX_ELEMENTWISE,
        f"the softmax's derivative taken elementwise, z (1 - z): each entry of {out} "
        f"depends on every entry of {inp} along axis {axis}, so the gradient is the "
        f"Jacobian's product {rule}, and your answer matches g * z (1 - z), its "
        "diagonal alone",
        [g * z * (1 - z)],
    )
    yield (
        SOFTMAX_SUM,
        f"the softmax's derivative with z left out of its sum: the gradient is {rule} "
        f"(z = {out}), and your answer matches z * (g - sum(g)), the sum without z",
        [z * (g - g.sum(axis=axis, keepdims=True))],
    )
    for other in (a for a in range(z.ndim) if a != axis and z.shape[a] > 1):
        yield (
            SOFTMAX_AXIS,
            f"the softmax's derivative summed along the wrong axis: {out} = softmax({inp}) "
            f"normalises along axis {axis}, so the gradient is {rule}, and your answer "
            f"matches it summed along axis {other}",
            [z * (g - (g * z).sum(axis=other, keepdims=True))],
        )
    flat = (g * z).sum(axis=axis)  # without keepdims: it broadcasts along another axis
    try:
        misplaced = z * (g - flat)
    except ValueError:
        misplaced = None
    if misplaced is not None and misplaced.shape == z.shape:
        yield (
            SOFTMAX_AXIS,
            f"the softmax's derivative with its sum along axis {axis} taken without "
            f"keepdims=True: sum(g * z) then has shape {flat.shape}, and subtracting it "
            f"from g broadcasts it along the wrong axis, so each entry of {inp} gets "
            "another row's sum instead of its own; keep the summed axis",
            [misplaced],
        )
    yield (
        FUNCTION,
        f"the softmax itself where its derivative belongs: the gradient through {out} = "
        f"softmax({inp}) is {rule}, and your answer matches g * z, multiplying by {out} "
        "itself",
        [g * z],
    )
    yield (
        DERIVATIVE_LEFT_OUT,
        f"the softmax's derivative left out: the gradient through {out} = softmax({inp}) "
        f"is {rule}, and your answer matches passing it through unchanged",
        [g],
    )


def _matmul(truth: Truth, op: MatMul, g: np.ndarray, label: Label) -> Iterator[Rewrite]:
    """A ``.T`` left out of ``x.T @ g`` or ``g @ y.T``, or ``g`` used transposed: possible
    only where the shapes still agree (a square matrix)."""
    x, y = (truth.value(p) for p in op.parents)
    if x.ndim != 2 or y.ndim != 2 or g.ndim != 2:
        return
    a, b, out = label(op.parents[0]), label(op.parents[1]), label(op)
    at = f"at {out} = {a} @ {b}"
    if x.shape[0] == x.shape[1]:
        yield (
            TRANSPOSE_LEFT_OUT,
            f"a transpose left out {at}: your answer matches {b}'s rule with {a} in place "
            f"of {a}.T (the shapes agree only because {a} is square)",
            [None, x @ g],
        )
    if y.shape[0] == y.shape[1]:
        yield (
            TRANSPOSE_LEFT_OUT,
            f"a transpose left out {at}: your answer matches {a}'s rule with {b} in place "
            f"of {b}.T (the shapes agree only because {b} is square)",
            [g @ y, None],
        )
    if g.shape[0] == g.shape[1]:
        yield (
            TRANSPOSE_LEFT_OUT,
            f"a transpose misplaced {at}: your answer matches the rule with the gradient "
            f"arriving at {out}, g = dL/d{out}, transposed (the shapes agree only because "
            "g is square)",
            [g.T @ y.T, x.T @ g.T],
        )


def _before_activation(truth: Truth, op: Op, g: np.ndarray, label: Label) -> Iterator[Rewrite]:
    """A product's input that is an activation's output (``h = tanh(z)``) read before
    the activation: the rule for the weight with ``z`` where ``h`` belongs."""
    positions = op.parent_positions()
    for k, parent in enumerate(op.parents):
        if not (isinstance(parent, Op) and is_activation(parent)):
            continue
        before = parent.parents[0]
        arguments = list(op.saved or ())
        if positions[k] >= len(arguments) or arguments[positions[k]] is None:
            continue
        arguments[positions[k]] = truth.value(before)
        shares = truth.shares_of(op, g, tuple(arguments))
        shares[k] = None  # what reaches the activation itself does not read it
        yield (
            PRE_ACTIVATION,
            f"the pre-activation in place of the activation: {label(op)} = "
            f"{op.name}(...) reads {label(parent)} = {parent.name}({label(before)}), and "
            f"your answer matches its rule ({op.formula}) with {label(before)}, the value "
            f"before the {parent.name}, in place of {label(parent)}",
            shares,
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


__all__ = [
    "DERIVATIVE_LEFT_OUT",
    "FUNCTION",
    "PRE_ACTIVATION",
    "SOFTMAX_AXIS",
    "SOFTMAX_ELEMENTWISE",
    "SOFTMAX_SUM",
    "TRANSPOSE_LEFT_OUT",
    "UPSTREAM_LEFT_OUT",
    "WRONG_VALUE",
    "is_activation",
    "rewritten_rules",
]
