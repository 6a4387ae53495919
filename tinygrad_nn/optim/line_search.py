"""The strong Wolfe line search that ``LBFGS(line_search_fn="strong_wolfe")`` uses.

Along a descent direction ``d`` from ``x``, find a step ``t`` whose loss ``f(t)`` and
slope ``f'(t) = grad(x + t d) . d`` satisfy the strong Wolfe conditions

    f(t) <= f(0) + c1 * t * f'(0)        (enough decrease)
    |f'(t)| <= c2 * |f'(0)|              (the slope has flattened)

in two phases (Nocedal & Wright, *Numerical Optimization*, algorithms 3.5 and 3.6, in the
variant PyTorch's LBFGS uses): grow ``t`` until an interval is known to hold such a step,
then shrink that interval, each new trial at the minimum of the cubic through the two ends'
values and slopes, kept away from the ends.

Examples:
    >>> import numpy as np
    >>> f = lambda x, t, d: (float(((x + t * d - 3) ** 2).sum()), 2 * (x + t * d - 3))
    >>> x, d = np.zeros(1), np.ones(1)
    >>> strong_wolfe(f, x, 1.0, d, 9.0, np.array([-6.0]), -6.0)[2:]  # t = 1 is good enough
    (1.0, 1)
    >>> loss, grad, t, evals = strong_wolfe(f, x, 1.0, d, 9.0, np.array([-6.0]), -6.0, c2=0.1)
    >>> round(t, 6), round(loss, 6)  # a flatter slope asked for: the minimum, by the cubic
    (3.0, 0.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Objective = Callable[[np.ndarray, float, np.ndarray], tuple[float, np.ndarray]]


@dataclass
class Point:
    """One trial step: where (``t``), the loss there, its gradient and slope along d."""

    t: float
    loss: float
    grad: np.ndarray
    slope: float


def cubic_minimum(a: Point, b: Point, low: float | None = None, high: float | None = None) -> float:
    """The minimiser of the cubic with ``a``'s and ``b``'s values and slopes, clipped to
    ``[low, high]`` (default: between ``a.t`` and ``b.t``); the middle when the cubic has
    no minimum there.

    Examples:
        >>> p = lambda t: Point(t, (t - 1) ** 2, np.zeros(1), 2 * (t - 1))
        >>> cubic_minimum(p(0.0), p(3.0))
        1.0
    """
    if low is None or high is None:
        low, high = min(a.t, b.t), max(a.t, b.t)
    d1 = a.slope + b.slope - 3 * (a.loss - b.loss) / (a.t - b.t)
    square = d1 * d1 - a.slope * b.slope
    if square < 0:
        return (low + high) / 2
    d2 = math.sqrt(square)
    if a.t <= b.t:
        t = b.t - (b.t - a.t) * ((b.slope + d2 - d1) / (b.slope - a.slope + 2 * d2))
    else:
        t = a.t - (a.t - b.t) * ((a.slope + d2 - d1) / (a.slope - b.slope + 2 * d2))
    return min(max(t, low), high)


def strong_wolfe(
    objective: Objective,
    x: np.ndarray,
    t: float,
    d: np.ndarray,
    loss: float,
    grad: np.ndarray,
    slope: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, np.ndarray, float, int]:
    """Search along ``d`` from ``x`` (loss ``loss``, gradient ``grad``, slope ``slope``)
    starting with step ``t``; ``objective(x, t, d)`` gives the loss and gradient at
    ``x + t d``. Returns the loss, gradient and step found and the number of evaluations.
    """
    start = Point(0.0, loss, grad, slope)
    sufficient = lambda p: p.loss <= loss + c1 * p.t * slope  # noqa: E731
    flat = lambda p: abs(p.slope) <= -c2 * slope  # noqa: E731

    def evaluate(step: float) -> Point:
        new_loss, new_grad = objective(x, step, d)
        return Point(step, new_loss, new_grad, float(new_grad @ d))

    previous, trial = start, evaluate(t)
    evals, tries = 1, 0
    # phase 1: grow the step until [previous, trial] holds a strong Wolfe step
    while tries < max_ls:
        if not sufficient(trial) or (tries > 1 and trial.loss >= previous.loss):
            ends = [previous, trial]
            break
        if flat(trial):
            return trial.loss, trial.grad, trial.t, evals
        if trial.slope >= 0:
            ends = [previous, trial]
            break
        step = cubic_minimum(previous, trial, trial.t + 0.01 * (trial.t - previous.t), trial.t * 10)
        previous, trial = trial, evaluate(step)
        evals, tries = evals + 1, tries + 1
    else:  # out of tries: the best of the start and the last trial
        best = trial if trial.loss < loss else start
        return best.loss, best.grad, best.t, evals
    # phase 2: shrink the interval; ends[low] is the end with the lower loss
    low = 0 if ends[0].loss <= ends[1].loss else 1
    stuck = False  # the last trial landed near an end without getting it out of there
    d_norm = float(np.abs(d).max())
    while tries < max_ls:
        left, right = min(ends[0].t, ends[1].t), max(ends[0].t, ends[1].t)
        if (right - left) * d_norm < tolerance_change:
            break
        step = cubic_minimum(ends[0], ends[1])
        margin = 0.1 * (right - left)
        if min(right - step, step - left) < margin:  # too near an end: move it inwards
            if stuck or step >= right or step <= left:
                step = right - margin if abs(step - right) < abs(step - left) else left + margin
                stuck = False
            else:
                stuck = True
        else:
            stuck = False
        trial = evaluate(step)
        evals, tries = evals + 1, tries + 1
        high = 1 - low
        if not sufficient(trial) or trial.loss >= ends[low].loss:
            ends[high] = trial
        else:
            if flat(trial):
                return trial.loss, trial.grad, trial.t, evals
            if trial.slope * (ends[high].t - ends[low].t) >= 0:
                ends[high] = ends[low]
            ends[low] = trial
        low = 0 if ends[0].loss <= ends[1].loss else 1
    best = ends[low]
    return best.loss, best.grad, best.t, evals
