"""``check``: grade hand-derived gradients against the engine's, and say what is wrong.

Examples:
    >>> import numpy as np
    >>> import tinygrad_nn as tg
    >>> w = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> loss = (w * w).sum()
    >>> result = check(loss, dw=2 * w.data, show=False)
    >>> result["dw"].status, result.ok
    ('exact', True)
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np

from tinygrad_nn.exercises.diagnose import close_to, diagnose
from tinygrad_nn.exercises.names import Target, frame_variables, graph_names, target_for
from tinygrad_nn.exercises.report import CLOSE, EXACT, WRONG, CheckResult, Verdict
from tinygrad_nn.exercises.truth import Truth
from tinygrad_nn.namespace.array_api import to_numpy
from tinygrad_nn.ops import Op
from tinygrad_nn.tensor import Tensor

NOT_NUMBERS = "not numbers"


def check(
    loss: Tensor,
    answers: Mapping[str, Any] | None = None,
    /,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    show: bool = True,
    **named: Any,
) -> CheckResult:
    """Compare hand-derived gradients of ``loss`` with the engine's; print and return the
    verdicts.

    Each answer is named after the tensor it is the gradient of, as drawings name tensors:
    the caller's variables (``dW1``, ``d_W1`` or ``W1`` for the tensor held by ``W1``),
    an explicit ``name=``, or a module parameter path (``{"0.weight": g}``, in a dict as
    it is not an identifier). Parameters and intermediate values (a pre-activation, the
    logits) work alike. The graph is kept, so ``check`` can be called again, and no
    ``.grad`` changes.

    Args:
        loss: the one-element tensor the gradients are of; its graph must still be there.
        answers: gradients by name, for names that are not identifiers.
        rtol, atol: how near counts as ``close`` (as ``np.allclose``).
        show: print the report (the result is returned either way).
        **named: gradients by name: NumPy arrays, Tensors or nested lists.

    Returns:
        A :class:`CheckResult`: per name ``exact``, ``close`` or ``wrong``, with the
        differences and, for a wrong answer, the likely mistake.

    Raises:
        TypeError: a loss that is no Tensor, no answers, or a positional answer that is
            not a dict of names.
        KeyError: a name that is no tensor of the graph (the message lists those there are,
            and the nearest to a typo).
        ValueError: a name that fits two tensors, a tensor without a gradient, or a loss
            that is not a single number.

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.Tensor([[1.0, 2.0]])
        >>> w = tg.Tensor([[0.5], [-1.0]], requires_grad=True)
        >>> loss = ((x @ w) ** 2).sum()
        >>> _ = check(loss, dw=x.data.T @ (x @ w).data)   # d/dw (x w)**2 = 2 x (x w)
        dw  (2, 1)  wrong  max |diff| 3, relative 0.5
            a factor 2 off: your answer is half the gradient — was the 2 of a square's
            derivative dropped? d/dx (x - y)**2 = 2 (x - y)
    """
    if not isinstance(loss, Tensor):
        raise TypeError(f"check: the loss must be a Tensor, got {type(loss).__name__}")
    if answers is not None and not isinstance(answers, Mapping):
        raise TypeError(
            "check: pass your gradients by name, check(loss, dW2=my_dW2); a positional "
            "argument must be a dict of names to gradients ({'0.weight': g}), got "
            f"{type(answers).__name__}"
        )
    given = {**(answers or {}), **named}
    if not given:
        raise TypeError("check: no answers given; pass them by name: check(loss, dW1=my_dW1)")
    frame = inspect.currentframe()
    try:  # the caller's variables name its tensors, as in a drawing
        variables = frame_variables(frame.f_back if frame is not None else None)
    finally:
        del frame  # a frame refers to its locals: do not keep them alive
    names = graph_names(loss, variables)
    targets = {name: target_for(str(name), names) for name in given}
    truth = Truth(loss, [t.node for t in targets.values()])
    label = labeller(names)
    close = close_to(rtol, atol)
    verdicts = [judge(str(n), given[n], targets[n], truth, label, close) for n in given]
    result = CheckResult(verdicts)
    if show:
        print(result)
    return result


def labeller(names: dict[str, list[Target]]) -> Any:
    """A function naming any graph node for messages: its first name, else as drawings
    name an unnamed value (``matmul_out``)."""
    first: dict[Any, str] = {}
    for name, targets in names.items():
        for t in targets:
            first.setdefault(t.node, name)

    def label(node: Any) -> str:
        if isinstance(node, Tensor) and node._ctx is not None:
            node = node._ctx
        if node in first:
            return first[node]
        return f"{node.name}_out" if isinstance(node, Op) else "input"

    return label


def as_answer(value: Any) -> tuple[np.ndarray | None, str]:
    """The learner's answer as a float64 array, or why it cannot be one."""
    if isinstance(value, Tensor):
        value = to_numpy(value.array)
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:  # ragged nested lists
        return None, f"your answer cannot be read as an array: {error}"
    if array.dtype.kind not in "iuf":
        return None, f"your answer is not an array of numbers (its dtype is {array.dtype})"
    return array.astype(np.float64), ""


def judge(name: str, value: Any, target: Target, truth: Truth, label: Any, close: Any) -> Verdict:
    """The verdict on one answer."""
    expected = truth.gradient(target.node)
    answer, problem = as_answer(value)
    if answer is None:
        return Verdict(name, target.name, WRONG, None, expected, NOT_NUMBERS, problem)
    if answer.shape == expected.shape and np.array_equal(answer, expected):
        return Verdict(name, target.name, EXACT, answer, expected)
    if close(answer, expected):
        return Verdict(name, target.name, CLOSE, answer, expected)
    found = diagnose(answer, truth, target.node, label, close)
    return Verdict(
        name, target.name, WRONG, answer, expected, found.kind, found.message, found.factor
    )


__all__ = ["check"]
