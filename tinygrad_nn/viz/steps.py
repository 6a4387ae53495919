"""The backward pass as data, and as a readable chain-rule derivation.

:func:`backward_steps` runs backward through a graph (keeping the graph, and leaving
every ``.grad`` untouched) and records each step: which op, the gradient arriving from
above, the op's local derivative, what it sends to each input, and each input's
gradient accumulated so far — where a value is used twice, the second step shows the
two contributions added up. :func:`explain` prints that as a derivation.

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.Tensor(3.0, requires_grad=True, name="x")
    >>> steps = backward_steps(x * x)
    >>> [(s.title, [c.to for c in s.contributions]) for s in steps]
    [('mul_out = x * x', ['x', 'x'])]
    >>> float(steps[0].contributions[1].accumulated)   # 3 + 3: x was used twice
    6.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_nn.backprop import run_backward
from tinygrad_nn.compile import generate
from tinygrad_nn.namespace import numpy_xp
from tinygrad_nn.ops import Op
from tinygrad_nn.tensor import SAVED_ARRAYS, Tensor
from tinygrad_nn.viz.graph import Graph, build_graph, summary

INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@", "pow": "**"}


@dataclass
class Contribution:
    """What one step sends to one input."""

    to: str  # the input's name in the graph
    formula: str  # the local derivative for this input, e.g. "dz/dx = y"
    local: np.ndarray  # the rule applied to an upstream gradient of ones
    share: np.ndarray  # the gradient this step sends (summed back to the input's shape)
    accumulated: np.ndarray  # the input's gradient so far, this share included
    earlier: int  # how many shares the input had received before this one


@dataclass
class BackwardStep:
    """One chain-rule step: the op that made ``node``, run backwards."""

    index: int
    node: str  # the name of the tensor the op made
    op: Op
    title: str  # e.g. "layer1 = sigmoid(matmul_out)"
    upstream: np.ndarray  # dL/d(node), complete when this step runs
    inputs: list[str] = field(default_factory=list)  # the names of the op's inputs
    contributions: list[Contribution] = field(default_factory=list)


def backward_steps(root: Tensor, graph: Graph | None = None) -> list[BackwardStep]:
    """Run backward from a one-element ``root`` and record every step, in order.

    The graph is kept (as with ``retain_graph=True``) and no ``.grad`` changes.

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.Tensor(2.0, requires_grad=True, name="x")
        >>> [s.title for s in backward_steps(x.exp())]
        ['exp_out = exp(x)']
    """
    graph = graph or build_graph(root, max_nodes=None)
    names = {node.tensor: key for key, node in graph.tensors.items()}
    received: dict[Tensor, int] = {}
    steps: list[BackwardStep] = []

    def observe(node: Tensor, g: Any, sent: list[tuple[int, Tensor, Any, Any]]) -> None:
        op = node._ctx
        assert op is not None and op.parents is not None
        local_values = op.backward(numpy_xp, np.ones_like(np.asarray(g)), *op.saved or ())
        positions = op.parent_positions()  # each parent's place among all the op's inputs
        inputs = list(op.with_constants(names.get(p, "?") for p in op.parents))
        inputs = [name if isinstance(name, str) else f"{name!r}" for name in inputs]
        name = names.get(node, "?")
        if op.name in INFIX and len(inputs) == 2:
            title = f"{name} = {inputs[0]} {INFIX[op.name]} {inputs[1]}"
        else:
            title = f"{name} = {op.name}({', '.join(inputs)})"
        step = BackwardStep(len(steps) + 1, name, op, title, np.array(g), inputs)
        for parent_index, parent, share, accumulated in sent:
            position = positions[parent_index]
            local = local_values[position]
            step.contributions.append(
                Contribution(
                    names.get(parent, "?"),
                    op.derivative_for(position),
                    np.array(local) if local is not None else np.array(np.nan),
                    np.array(share),
                    np.array(accumulated),
                    received.get(parent, 0),
                )
            )
            received[parent] = received.get(parent, 0) + 1
        steps.append(step)

    seed = np.ones(root.shape, root.dtype)
    run_backward([root], [seed], SAVED_ARRAYS.for_graph(root), retain_graph=True, observer=observe)
    return steps


def gradients(root: Tensor) -> dict[Tensor, np.ndarray]:
    """The gradient of ``root`` with respect to every tensor in its graph (no ``.grad`` set).

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.Tensor(3.0, requires_grad=True)
        >>> float(gradients(x * x)[x]), x.grad is None
        (6.0, True)
    """
    if not root.requires_grad or root.size != 1 or (root._ctx is not None and root._ctx.freed):
        return {}  # nothing to run backward from (a freed graph is refused when drawn)
    found: dict[Tensor, np.ndarray] = {root: np.ones(root.shape, root.dtype)}

    def observe(node: Tensor, g: Any, sent: list[tuple[int, Tensor, Any, Any]]) -> None:
        found[node] = np.array(g)
        for _, parent, _, accumulated in sent:
            found[parent] = np.array(accumulated)

    seed = np.ones(root.shape, root.dtype)
    run_backward([root], [seed], SAVED_ARRAYS.for_graph(root), retain_graph=True, observer=observe)
    return found


def explain(root: Tensor, max_elements: int = 6, file: Any = None) -> None:
    """Print the backward pass of ``root`` as a chain-rule derivation (see :func:`explanation`).

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.Tensor(3.0, requires_grad=True, name="x")
        >>> explain(x * x)  # doctest: +ELLIPSIS
        Backward pass of mul_out, one op at a time, ...
    """
    print(explanation(root, max_elements), file=file)


def explanation(root: Tensor, max_elements: int = 6, max_steps: int | None = 200) -> str:
    """The backward pass of ``root`` as a chain-rule derivation, as text.

    Each step names the op, the gradient arriving from above, the local derivative and
    what is sent to each input; a value used twice shows its two shares added. The end
    gathers each parameter's gradient written out in full, composed from the steps.
    Past ``max_steps`` steps (None: no limit) the rest are counted, not written, and so
    is the composed code.

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.Tensor(3.0, requires_grad=True, name="x")
        >>> "accumulated dL/dx = 6." in explanation(x * x)
        True
    """
    graph = build_graph(root, max_nodes=None)
    steps = backward_steps(root, graph)
    show = lambda values: summary(values, max_elements)  # noqa: E731
    lines = [
        f"Backward pass of {graph.root}, one op at a time, from the output back to the inputs.",
        "Chain rule: each input's gradient = the upstream gradient g = dL/dz times the op's",
        "local derivative dz/dx, summed over every place the input was used.",
        "",
        f"dL/d{graph.root} = 1   (the output itself)",
    ]
    shown = steps if max_steps is None else steps[:max_steps]
    for step in shown:
        lines.append("")
        lines.append(f"step {step.index}: {step.title}      [{_definition_with_names(step)}]")
        lines.append(f"  upstream     g = dL/d{step.node} = {show(step.upstream)}")
        for c in step.contributions:
            lines.append(f"  to {c.to}:  local {c.formula}")
            lines.append(f"      share   dL/d{c.to} += {show(c.share)}")
            if c.earlier:
                lines.append(
                    f"      {c.to} is used {c.earlier + 1} times: accumulated dL/d{c.to} = "
                    f"{show(c.accumulated)}"
                )
    if len(shown) < len(steps):
        lines += ["", f"({len(steps) - len(shown):,} more steps not shown: pass max_steps=None)"]
        return "\n".join(lines)
    lines += ["", "Composed, written out as NumPy (what tg.compile generates):", ""]
    lines += ["  " + line for line in composed_backward(root, graph)]
    return "\n".join(lines)


def _definition_with_names(step: BackwardStep) -> str:
    """The op's formula with its variables bound to this step's values: x = layer1, ..."""
    op = step.op
    bound = ", ".join(f"{op.input_name(i)} = {name}" for i, name in enumerate(step.inputs))
    return f"{op.definition}, with {bound}"


def composed_backward(root: Tensor, graph: Graph) -> list[str]:
    """The whole forward and backward as straight-line NumPy, with the graph's names."""
    names = {id(node.tensor): key for key, node in graph.tensors.items()}
    return generate(root, names).splitlines()
