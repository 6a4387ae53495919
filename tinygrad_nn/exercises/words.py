"""The words of a diagnosis that need the graph: the sign's, a factor's, a product's rule.

- :func:`sign_message`: a sign flip explained by the seed's own convention where the
  loss squares a difference (the seed writes ``2 (y - output)``), elsewhere by where to
  look;
- :func:`factor_message`: an answer some multiple of the gradient, named by the number
  it most likely is — 2, the N of a mean (:func:`sizes`), a square root ``sqrt(d_k)``,
  or a number the forward pass scales by (:func:`scales`);
- :func:`product_rule`: the rule of the matrix product that reads a tensor, in the
  graph's names (an ``nn.Linear`` weight's rule is ``g.T @ x``, not the seed's).

Examples:
    >>> factor_message(0.5, [4])[:36]
    'a factor 2 off: your answer is half '
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_nn.exercises.truth import Truth, shape_of
from tinygrad_nn.graph_nodes import graph_nodes
from tinygrad_nn.ops import Op
from tinygrad_nn.tensor import Tensor

Label = Callable[[Any], str]  # a graph node -> its name in messages

SQUARE_LOSSES = ("sse", "mse", "mse_loss")  # ops that square a difference themselves
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


__all__ = [
    "SIGN_MESSAGE",
    "SIGN_MESSAGE_ANY_LOSS",
    "factor_message",
    "product_rule",
    "scales",
    "sign_message",
    "sizes",
]
