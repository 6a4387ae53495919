"""A wrong gradient found elsewhere in the graph: another value's gradient, or a
broadcast value's gradient summed along the wrong axis.

Two slips a learner makes on the way back are not a miswritten rule but a step taken
too few or along the wrong axis:

- :func:`another_value`: the answer is exactly the gradient of another value of the
  graph — typically the value the checked one feeds into (``dL/dz1`` given for
  ``dL/dW1``: the last step, through ``z1 = X @ W1``, not taken);
- :func:`summed_along_another_axis`: a value stretched over an axis (a bias added to
  every row) gets the sum of the gradient arriving where it was stretched, over that
  axis; the answer is that gradient summed over another one.

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn.exercises.shapes import close_to
    >>> from tinygrad_nn.exercises.truth import Truth
    >>> b = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True, name="b")
    >>> x = tg.Tensor([[1.0, 0.0, 2.0], [0.0, 3.0, 1.0]])
    >>> loss = ((x + b) ** 2).sum()
    >>> truth = Truth(loss, [b])
    >>> g = 2 * (x.data + b.data)
    >>> summed_along_another_axis(g.sum(axis=1), truth, b, str, close_to(1e-5, 1e-8)).kind
    'summed along the wrong axis'
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from typing import Any

import numpy as np

from tinygrad_nn.exercises.shapes import Close, Diagnosis, axes_text, broadcasts_to, stretched_axes
from tinygrad_nn.exercises.truth import Truth

ANOTHER_VALUE = "the gradient of another value"
WRONG_AXIS = "summed along the wrong axis"

Label = Callable[[Any], str]


def another_value(
    answer: np.ndarray, truth: Truth, target: Any, label: Label, close: Close
) -> Diagnosis | None:
    """The answer is the gradient of another value of the graph (one the engine's
    backward pass computed): which one, and how it relates to ``target``."""
    gradient = truth.gradient(target)
    name = label(target)
    after = truth.ops_after(target)
    users = {id(u.op): u for u in truth.uses(target)}
    for op in after + [op for op in truth.upstream if op not in set(after)]:
        g = truth.upstream[op]
        if op is target or g.shape != answer.shape or not np.any(g) or not close(answer, g):
            continue
        if g.shape == gradient.shape and close(gradient, g):
            continue  # the same numbers: nothing to tell apart
        other = label(op)
        if id(op) in users:
            use = users[id(op)]
            inputs = ", ".join(f"{op.input_name(i)} = {label(p)}" for i, p in enumerate(op.parents))
            step = (
                f"the value {name} feeds into; the chain rule goes one step further, from "
                f"{other} back to {name}, through the {op.name} that computes it "
                f"({op.formula}, with {inputs}): {op.derivative_for(use.position)}"
            )
        elif op in after:
            step = (
                f"a value computed from {name} further on; carry it back through the ops "
                f"between them to {name}"
            )
        else:
            step = f"not a value {name} feeds into"
        return Diagnosis(
            ANOTHER_VALUE,
            f"your answer is the gradient of {other} (shape {g.shape}), not of {name} "
            f"(shape {gradient.shape}): {step}",
        )
    return None


def summed_along_another_axis(
    answer: np.ndarray, truth: Truth, target: Any, label: Label, close: Close
) -> Diagnosis | None:
    """A broadcast value's gradient summed over other axes than those it was stretched
    along: the gradient arriving at the op that stretched it, summed the wrong way."""
    want = truth.gradient(target).shape
    name = label(target)
    for use in truth.uses(target):
        g = truth.upstream.get(use.op)
        if g is None or not broadcasts_to(want, g.shape):
            continue
        right = stretched_axes(g.shape, want)
        for count in range(1, g.ndim + 1):
            for axes in combinations(range(g.ndim), count):
                if axes == right:
                    continue
                for keep in (False, True):
                    summed = g.sum(axis=axes, keepdims=keep)
                    if summed.shape == answer.shape and close(answer, summed):
                        return Diagnosis(
                            WRONG_AXIS,
                            f"summed along the wrong axis: your answer is the gradient "
                            f"arriving at {label(use.op)} (shape {g.shape}) summed over "
                            f"{axes_text(axes)}, but {name} (shape {want}) was stretched "
                            f"along {axes_text(right)} to make {label(use.op)}, so its "
                            f"gradient sums over {axes_text(right)}, one term per copy",
                        )
    return None


__all__ = ["ANOTHER_VALUE", "WRONG_AXIS", "another_value", "summed_along_another_axis"]
