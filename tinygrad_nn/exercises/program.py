"""A compiled step as an exercise sees it: its lines, run one at a time, and its values
matched with the nodes of the eager graph.

:func:`~tinygrad_nn.compile` writes a training step as straight-line NumPy: a forward
section, ``# backward``, ``# update``. :class:`StepCode` reads that source back as lines
(``d_W1 = X.T @ ...``) and runs the forward and backward lines on copies of the step's
arguments, keeping the values defined before each line: a learner's line for a blank is
evaluated with exactly what the code has at that point. :func:`eager_graph` runs the
same Python function eagerly, with ``backward()`` and ``optimizer.step()`` noted rather
than run (nothing is trained), so the engine's gradients and chain-rule steps of that
very graph can grade the line. :func:`match_nodes` says which graph node each name of
the code stands for, by value: the code and the engine compute the same numbers.

Examples:
    >>> import tinygrad_nn as tg
    >>> w = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> step = tg.compile(lambda x: (x * w * w).sum())
    >>> code = StepCode.traced(step, [tg.Tensor([3.0, 4.0])])
    >>> [line.name for line in code.lines if line.section == "backward"]
    ['d_w']
    >>> code.run()[-1]["d_w"]
    array([ 6., 16.])
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_nn.compile import CompiledFunction
from tinygrad_nn.compile.pipeline import CompiledTrace, build_trace
from tinygrad_nn.dtypes import as_array
from tinygrad_nn.exercises.truth import Truth
from tinygrad_nn.grad_mode import enable_grad
from tinygrad_nn.graph_nodes import graph_nodes
from tinygrad_nn.ops import Op
from tinygrad_nn.recording import noting_events
from tinygrad_nn.tensor import Tensor

ASSIGNMENT = re.compile(r"^([A-Za-z_]\w*) = (.+)$")
OUTPUT_NAME = re.compile(r"^([a-z_][a-z0-9_]*?)_out(?:_\d+)?$")  # an unnamed value: matmul_out_2


@dataclass
class Line:
    """One line of the step's body: ``name = expression`` in a section."""

    name: str | None  # None for a line that assigns nothing (``W1 -= 0.1 * d_W1``)
    expression: str
    section: str  # "forward", "backward" or "update"
    text: str  # the line as written, without its indentation


class StepCode:
    """The source of one compiled step, as lines, and a way to run them.

    Args:
        entry: the trace of the step (what
            :func:`~tinygrad_nn.compile.pipeline.build_trace` returns).
        inputs: the step's explicit inputs, as tensors.
        name: the step's name.
    """

    def __init__(self, entry: CompiledTrace, inputs: Sequence[Tensor], name: str) -> None:
        self.entry = entry
        self.inputs = list(inputs)
        self.name = name
        source = entry.source.splitlines()
        start = next(i for i, text in enumerate(source) if text.startswith("def "))
        self.header = [text for text in source[:start] if text.strip()]  # constants
        self.signature = source[start]
        self.parameters = [
            p.strip() for p in self.signature[self.signature.index("(") + 1 : -2].split(",")
        ]
        self.lines: list[Line] = []
        self.tail: list[str] = []  # the return line
        section = "forward"
        for text in (t.strip() for t in source[start + 1 :] if t.strip()):
            if text.startswith("# "):
                section = text[2:]
                continue
            if text.startswith("return"):
                self.tail.append(text)
                continue
            found = ASSIGNMENT.match(text)
            name_, expression = (found.group(1), found.group(2)) if found else (None, text)
            self.lines.append(Line(name_, expression, section, text))

    @classmethod
    def traced(cls, step: CompiledFunction, inputs: Sequence[Any]) -> StepCode:
        """Trace ``step`` on ``inputs`` (nothing is trained: a trace notes ``backward()``
        and ``optimizer.step()`` without running them)."""
        tensors = [a if isinstance(a, Tensor) else Tensor._wrap(as_array(a)) for a in inputs]
        entry = build_trace(step.fn, tensors, step.name, step.dynamic)
        return cls(entry, tensors, step.name)

    def arguments(self) -> dict[str, Any]:
        """The code's arguments now, by parameter name, as the compiled call passes them:
        the explicit inputs, the outside tensors it reads, then a step's extra arguments
        (incoming ``.grad``, optimizer state). Copies: running the code changes nothing."""
        entry = self.entry
        arrays = [self.inputs[i].array for i in entry.arguments]
        arrays += [t.array for t in entry.captured]
        if entry.step is not None:
            arrays += entry.step.arguments()
        return {
            name: np.array(a, copy=True) if isinstance(a, np.ndarray) else a
            for name, a in zip(self.parameters, arrays)
        }

    def run(self) -> list[dict[str, Any]]:
        """Run the forward and backward lines; the values defined before each line (and,
        last, after the last one), as namespaces to evaluate an expression in."""
        if any(type(t.array) is not np.ndarray for t in self.inputs):
            raise TypeError("fill_in: the step's inputs must be NumPy arrays (on the CPU)")
        namespace = {**self.entry.function.__globals__, **self.arguments()}
        before = []
        for line in self.lines:
            if line.section == "update":
                break
            before.append(dict(namespace))
            if line.name is not None:
                namespace[line.name] = eval(line.expression, namespace)  # the compiler's line
        before.append(namespace)
        return before


def eager_graph(step: CompiledFunction, inputs: Sequence[Tensor]) -> Tensor:
    """Run the step's function eagerly and return the tensor it calls ``backward()`` on
    (or the loss it returns). Training calls are only noted, as when compiling: no
    parameter, ``.grad`` or optimizer state changes, and the graph is kept."""
    with noting_events() as events, enable_grad():
        result = step.fn(*inputs)
    roots = [event[1] for event in events if event[0] == "backward"]
    root = roots[0] if roots else result
    if not isinstance(root, Tensor):
        raise TypeError(f"fill_in: {step.name} neither calls backward() nor returns a loss")
    return root


def _close(a: Any, b: Any) -> bool:
    """The same value, to the rounding of another order of operations."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype.kind not in "fiub" or b.dtype.kind not in "fiub":
        return False
    scale = max(1.0, float(np.max(np.abs(b), initial=0.0)))
    return bool(np.allclose(a, b, rtol=1e-7, atol=1e-9 * scale))


def _hinted(name: str, nodes: list[Any]) -> list[Any]:
    """The nodes an unnamed value's name points at (``matmul_out_2``: a matmul), if any."""
    found = OUTPUT_NAME.match(name)
    if found is None:
        return nodes
    hinted = [n for n in nodes if isinstance(n, Op) and n.name == found.group(1)]
    return hinted or nodes


def match_nodes(
    code: StepCode, values: dict[str, Any], truth: Truth
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Which graph node each name of the code stands for: (forward names -> nodes,
    gradient names ``d_x`` -> the node ``x`` they are the gradient of).

    A forward value is matched by its value (an argument with a leaf); a gradient by the
    engine's gradient, and by its value's node where the code named that value too.
    Where several nodes fit (an ``add`` passes its gradient on unchanged), the name's
    hint (``add_out``) and then the node nearest the loss decide.
    """
    nodes = graph_nodes(truth.loss)
    forward: dict[str, Any] = {}
    names = [p for p in code.parameters if p in values]
    names += [line.name for line in code.lines if line.section == "forward" and line.name]
    for name in names:
        leaves_only = name in code.parameters
        fits = [
            n
            for n in nodes
            if (not leaves_only or not isinstance(n, Op)) and _close(values[name], truth.value(n))
        ]
        if fits:
            forward[name] = _hinted(name, fits)[-1]  # the outermost op of an inlined line
    gradients: dict[str, Any] = {}
    wanting = [n for n in nodes if n.requires_grad]
    for line in code.lines:
        if line.section != "backward" or not line.name or not line.name.startswith("d_"):
            continue
        of = line.name[2:]
        fits = [n for n in wanting if _close(values[line.name], truth.gradient(n))]
        if of in forward and forward[of] in fits:
            gradients[line.name] = forward[of]
        elif fits:
            gradients[line.name] = _hinted(of, fits)[-1]
    return forward, gradients


__all__ = ["Line", "StepCode", "eager_graph", "match_nodes"]
