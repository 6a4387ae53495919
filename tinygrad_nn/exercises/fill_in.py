"""``fill_in``: an exercise made from any compiled training step — write the missing lines.

:func:`~tinygrad_nn.compile` writes the backward pass of a step as the NumPy a person
would write. :func:`fill_in` blanks out the gradient lines you choose; you write them
back, as source, and :meth:`FillIn.answer` runs each of your lines with the values the
code has at that point and grades the result against the engine's gradient, with the
diagnosis :func:`~tinygrad_nn.exercises.check` gives (sign, transpose, factor, broadcast,
fan-out, an activation's derivative...). Nothing is trained: the step is traced, never
stepped.

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn import optim
    >>> w = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> opt = optim.SGD([w], lr=0.1)
    >>> @tg.compile
    ... def step(x):
    ...     opt.zero_grad()
    ...     loss = (x * w).tanh().sum()
    ...     loss.backward()
    ...     opt.step()
    ...     return loss
    >>> ex = fill_in(step, tg.Tensor([0.5, -1.0]), blanks=["d_w"])
    >>> print(ex)
    def step(x, w):
        tanh_out = np.tanh(x * w)
        loss = tanh_out.sum()
        # backward
        d_w = ____  # shape (2,): the gradient of w
        # update
        w -= 0.1 * d_w
        return loss, (d_w,), ()
    >>> _ = ex.answer(d_w="x * (1 - tanh_out ** 2)")
    d_w  (2,)  exact
    >>> ex.answer(d_w="1 - tanh_out ** 2", show=False)["d_w"].diagnosis  # one step short
    'the gradient of another value'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tinygrad_nn.compile import CompiledFunction
from tinygrad_nn.display import Text
from tinygrad_nn.exercises.check import judge, labeller
from tinygrad_nn.exercises.diagnose import close_to
from tinygrad_nn.exercises.names import Target
from tinygrad_nn.exercises.program import StepCode, eager_graph, match_nodes
from tinygrad_nn.exercises.report import WRONG, CheckResult, Verdict
from tinygrad_nn.exercises.truth import Truth
from tinygrad_nn.graph_nodes import graph_nodes
from tinygrad_nn.ops import Op

BLANK = "____"
NOT_RUN = "your line does not run"


def fill_in(step: CompiledFunction, *inputs: Any, blanks: Any = None) -> FillIn:
    """An exercise from a compiled step: its code with the chosen backward lines blanked.

    Args:
        step: a function compiled with :func:`tinygrad_nn.compile` (a training step that
            calls ``backward()``, or a function that returns a loss).
        *inputs: the step's inputs, as for a call (``X``; ``x, labels``). The step is
            traced on them, not run: nothing is trained.
        blanks: the gradient lines to blank, by name: ``["d_W1"]`` (``"dW1"`` or ``"W1"``
            work too), one name, or None for every gradient line of the backward pass.

    Returns:
        A :class:`FillIn`: print it for the code with blanks, grade lines with
        :meth:`FillIn.answer`.

    Raises:
        TypeError: ``step`` is not a compiled function.
        KeyError: a blank that is no gradient line of the code (the message lists them).

    Examples:
        >>> import tinygrad_nn as tg
        >>> w = tg.Tensor([2.0, -1.0], requires_grad=True)
        >>> ex = fill_in(tg.compile(lambda x: (x * w * w).sum()), tg.Tensor([1.0, 3.0]))
        >>> ex.blanks, ex.solutions
        (['d_w'], {'d_w': 'mul_out + w * x'})
    """
    if not isinstance(step, CompiledFunction):
        raise TypeError(
            "fill_in: step must be a function compiled with tg.compile (as a decorator: "
            f"@tg.compile), got {type(step).__name__}"
        )
    return FillIn(step, StepCode.traced(step, inputs), blanks)


class FillIn:
    """A compiled step's code with some backward lines left for the learner to write.

    ``print(ex)`` shows the code with ``____`` where each blank was, with the shape its
    value must have; :attr:`blanks` names them and :attr:`solutions` holds the compiler's
    own lines (to reveal). :meth:`answer` grades lines.
    """

    def __init__(self, step: CompiledFunction, code: StepCode, blanks: Any) -> None:
        self.step = step
        self.code = code
        gradients = [
            line.name
            for line in code.lines
            if line.section == "backward" and line.name and line.name.startswith("d_")
        ]
        if blanks is None:
            blanks = gradients
        elif isinstance(blanks, str):
            blanks = [blanks]
        self.blanks: list[str] = []
        for name in blanks:
            line = self._line_name(str(name), gradients, "blank")
            if line not in self.blanks:
                self.blanks.append(line)
        self.blanks.sort(key=gradients.index)  # in the order the code computes them
        values = code.run()[-1]
        self.shapes = {name: np.shape(values[name]) for name in self.blanks}
        self.solutions: dict[str, str] = {
            line.name: line.expression for line in code.lines if line.name in self.blanks
        }
        gradient_nodes = self._graded()[3]
        missing = [name for name in self.blanks if name not in gradient_nodes]
        if missing:
            raise ValueError(
                f"fill_in: {', '.join(missing)} matches no gradient the engine computes for "
                f"{self.code.name}'s graph (a gradient the step accumulates onto an earlier "
                ".grad? call zero_grad() in the step); blank another line"
            )

    def _line_name(self, name: str, gradients: list[str], what: str) -> str:
        """The gradient line ``name`` means: itself, ``d_`` + it, or ``dW1`` as ``d_W1``."""
        spellings = [name, "d_" + name]
        if name.startswith("d") and not name.startswith("d_"):
            spellings.append("d_" + name[1:])
        for spelling in spellings:
            if spelling in gradients:
                return spelling
        raise KeyError(
            f"fill_in: {name!r} is no gradient line of {self.code.name}'s backward pass; "
            f"the {what}s you can use: {', '.join(gradients) or 'none'}"
        )

    def _graded(self) -> tuple[list[dict[str, Any]], Truth, dict[str, Any], dict[str, Any]]:
        """The code run now, the engine's gradients now, and the nodes the names mean."""
        before = self.code.run()
        root = eager_graph(self.step, self.code.inputs)
        wanting = [n for n in graph_nodes(root) if n.requires_grad]
        truth = Truth(root, wanting)
        forward, gradients = match_nodes(self.code, before[-1], truth)
        return before, truth, forward, gradients

    def __str__(self) -> str:
        lines = [*self.code.header, "", self.code.signature] if self.code.header else []
        lines = lines or [self.code.signature]
        section = "forward"
        for line in self.code.lines:
            if line.section != section:
                section = line.section
                lines.append(f"    # {section}")
            if line.name in self.blanks:
                shape, of = self.shapes[line.name], line.name[2:]
                lines.append(f"    {line.name} = {BLANK}  # shape {shape}: the gradient of {of}")
            else:
                lines.append(f"    {line.text}")
        lines += [f"    {text}" for text in self.code.tail]
        return "\n".join(lines)

    def __repr__(self) -> str:  # a notebook cell ending in ``ex`` shows the code
        return str(self)

    def _repr_html_(self) -> str:
        return Text(str(self))._repr_html_()

    def answer(
        self,
        lines: Mapping[str, Any] | str | None = None,
        /,
        *,
        rtol: float = 1e-5,
        atol: float = 1e-8,
        show: bool = True,
        **named: Any,
    ) -> CheckResult:
        """Grade your lines for the blanks: print and return the verdicts.

        Each line is run with the values the code has just before it (so one wrong line
        does not spoil the next), and its value is graded against the engine's gradient
        like :func:`~tinygrad_nn.exercises.check`: exact, close or wrong, with the likely
        mistake. Blanks you leave out are not graded.

        Args:
            lines: ``{"d_W1": "X.T @ ..."}``, or source text with one ``d_W1 = ...`` line
                per blank.
            rtol, atol: how near counts as ``close``.
            show: print the report.
            **named: the lines by name: ``d_W1="X.T @ (d_h * h * (1 - h))"``. A value may
                also be an array (graded as it is).

        Raises:
            KeyError: a name that is not a blank of this exercise.
            TypeError: no answers given.
        """
        given: dict[str, Any] = {}
        if isinstance(lines, str):
            for text in (t.strip() for t in lines.splitlines() if t.strip()):
                name, sep, expression = text.partition("=")
                if not sep:
                    raise ValueError(f"fill_in: {text!r} is not a line 'name = expression'")
                given[name.strip()] = expression.strip()
        else:
            given.update(lines or {})
        given.update(named)
        if not given:
            raise TypeError(
                f"fill_in: no answers given; write them by name: ex.answer({self.blanks[0]}=...)"
            )
        answers = {self._line_name(n, self.blanks, "blank"): v for n, v in given.items()}
        before, truth, forward, gradients = self._graded()
        # messages name values as the code does: its own names, then its gradients' names
        known_as = [*forward.items(), *((g[2:], node) for g, node in gradients.items())]
        names: dict[str, list[Target]] = {}
        for name, node in known_as:
            names.setdefault(name, [Target(name, node, None)])
        label = labeller(names)
        for node in graph_nodes(truth.loss):  # a value the code inlined: by its op and inputs
            if isinstance(node, Op) and label(node).endswith("_out"):
                name = f"{node.name}({', '.join(label(p) for p in node.parents)})"
                names.setdefault(name, [Target(name, node, None)])
                label = labeller(names)
        close = close_to(rtol, atol)
        index = {line.name: i for i, line in enumerate(self.code.lines) if line.name}
        verdicts = []
        for name in sorted(answers, key=self.blanks.index):
            node = gradients[name]
            target = Target(name[2:], node, None)
            value, problem = self._evaluate(answers[name], name, before[index[name]])
            if problem:
                expected = truth.gradient(node)
                verdicts.append(Verdict(name, name[2:], WRONG, None, expected, NOT_RUN, problem))
            else:
                verdicts.append(judge(name, value, target, truth, label, close))
        result = CheckResult(verdicts)
        if show:
            print(result)
        return result

    def _evaluate(self, answer: Any, name: str, namespace: dict[str, Any]) -> tuple[Any, str]:
        """The value of the learner's line with the values defined before it, or why it
        does not run."""
        if not isinstance(answer, str):
            return answer, ""  # an array: graded as it is
        expression = answer.strip()
        if expression.startswith(name) and expression[len(name) :].lstrip().startswith("="):
            expression = expression[len(name) :].lstrip()[1:].strip()  # a whole line
        try:
            code = compile(expression, f"<your line for {name}>", "eval")
        except SyntaxError as error:
            return None, f"your line is not a Python expression: {error.msg} in {expression!r}"
        scope = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in namespace.items()}
        try:
            return eval(code, scope), ""  # the learner's own line, on purpose
        except NameError as error:
            known = [k for k in namespace if isinstance(namespace[k], np.ndarray)]
            return None, (
                f"your line uses a name that is not defined before it ({error}); the values "
                f"you can use there: {', '.join(known)}"
            )
        except Exception as error:  # a learner's line may raise anything: say what, kindly
            read = [
                f"{k} {np.shape(namespace[k])}"
                for k in code.co_names
                if isinstance(namespace.get(k), np.ndarray)
            ]
            shapes = f"; the values it reads have shapes {', '.join(read)}" if read else ""
            return None, f"{NOT_RUN}: {type(error).__name__}: {error}{shapes}"


__all__ = ["FillIn", "fill_in"]
