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

from tinygrad_nn.backprop import node_of, run_backward
from tinygrad_nn.compile import generate
from tinygrad_nn.errors import TracingError
from tinygrad_nn.namespace import numpy_xp
from tinygrad_nn.ops import Op
from tinygrad_nn.ops.base import DROP, KEEP, OUTPUT
from tinygrad_nn.tensor import SAVED_ARRAYS, Tensor
from tinygrad_nn.viz.graph import Graph, build_graph, known
from tinygrad_nn.viz.naming import input_names, named_formula
from tinygrad_nn.viz.nodes import INFIX
from tinygrad_nn.viz.typeset_html import Line, Math, TypesetText


@dataclass
class Contribution:
    """What one step sends to one input."""

    to: str  # the input's name in the graph
    formula: str  # the local derivative for this input, e.g. "dz/dx = y"
    # The numbers (None where backward() had already freed the graph):
    local: np.ndarray | None  # the rule applied to an upstream gradient of ones
    share: np.ndarray | None  # the gradient this step sends (summed to the input's shape)
    accumulated: np.ndarray | None  # the input's gradient so far, this share included
    earlier: int  # how many shares the input had received before this one


@dataclass
class BackwardStep:
    """One chain-rule step: the op that made ``node``, run backwards."""

    index: int
    node: str  # the name of the tensor the op made
    op: Op
    title: str  # e.g. "layer1 = sigmoid(matmul_out)"
    upstream: np.ndarray | None  # dL/d(node), complete when this step runs (None: freed)
    inputs: list[str] = field(default_factory=list)  # the names of the op's inputs
    contributions: list[Contribution] = field(default_factory=list)


def backward_steps(root: Tensor, graph: Graph | None = None) -> list[BackwardStep]:
    """Run backward from a one-element ``root`` and record every step, in order.

    The graph is kept (as with ``retain_graph=True``) and no ``.grad`` changes. If
    backward() already freed the graph, the steps show its structure and formulas, and
    each leaf's final gradient (its ``.grad``) at its last share; the other numbers are
    None.

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.Tensor(2.0, requires_grad=True, name="x")
        >>> [s.title for s in backward_steps(x.exp())]
        ['exp_out = exp(x)']
    """
    graph = graph or build_graph(root, max_nodes=None)
    if root._ctx is not None and root._ctx.freed:
        return _freed_steps(graph)
    names = {node.node: key for key, node in graph.tensors.items()}
    received: dict[Any, int] = {}
    steps: list[BackwardStep] = []

    def observe(op: Op, g: Any, sent: list[tuple[int, Any, Any, Any]]) -> None:
        local_values = op.backward(numpy_xp, np.ones_like(np.asarray(g)), *op.saved or ())
        positions = op.parent_positions()  # each parent's place among all the op's inputs
        inputs = _input_names(op, [names.get(p, "?") for p in op.parents])
        name = names.get(op, "?")
        step = BackwardStep(len(steps) + 1, name, op, _title(op, name, inputs), np.array(g), inputs)
        own = input_names(op, inputs)
        for parent_index, parent, share, accumulated in sent:
            position = positions[parent_index]
            local = local_values[position]
            step.contributions.append(
                Contribution(
                    names.get(parent, "?"),
                    named_formula(op.derivative_for(position), own),
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


def _saved(op: Op) -> list[Any]:
    """The arrays ``op`` keeps for its backward rule (numbers given to the op are not)."""
    return [a for a in op.saved or () if hasattr(a, "nbytes")]


def kept_for_rule(step: BackwardStep) -> list[str]:
    """What the step's op keeps for its rule, by name, from its ``saves`` declaration
    (numbers given to the op are not listed: they are part of the op).

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
        >>> [kept_for_rule(s) for s in backward_steps((x.sigmoid() * 2.0).sum())]
        [["mul_out's shape"], ['sigmoid_out'], ['sigmoid_out']]
    """
    op = step.op
    numbers = {position for position, _ in op.constants}
    places = [(name, op.saves_at(i)) for i, name in enumerate(step.inputs) if i not in numbers]
    kept = []
    for name, how in [*places, (step.node, op.saves_at(OUTPUT))]:
        if how != DROP:
            kept.append(name if how == KEEP else f"{name}'s shape")
    return kept


def _size(arrays: list[Any]) -> str:
    total = sum(int(a.nbytes) for a in arrays)
    return f"{total:,} bytes in {len(arrays)} array{'s' if len(arrays) != 1 else ''}"


def saved_for_backward(steps: list[BackwardStep]) -> str:
    """Reverse mode's memory cost, in words: what the graph keeps for backward (each array
    counted once, however many ops keep it).

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
        >>> print(saved_for_backward(backward_steps((x * x).sum())))
        Kept for backward until it runs: 16 bytes in 1 array (what the rules read).
    """
    unique = {id(a): a for step in steps for a in _saved(step.op)}
    return f"Kept for backward until it runs: {_size(list(unique.values()))} (what the rules read)."


def _input_names(op: Op, parents: list[str]) -> list[str]:
    """The op's inputs by name, its number constants in their places."""
    return [n if isinstance(n, str) else f"{n!r}" for n in op.with_constants(parents)]


def _title(op: Op, name: str, inputs: list[str]) -> str:
    """``name = x * y`` for an infix op, else ``name = op(inputs)``."""
    if op.name in INFIX and len(inputs) == 2:
        return f"{name} = {inputs[0]} {INFIX[op.name]} {inputs[1]}"
    return f"{name} = {op.name}({', '.join(inputs)})"


def _freed_steps(graph: Graph) -> list[BackwardStep]:
    """The steps of a graph that backward() freed: structure and formulas, no numbers
    but each leaf's final gradient (its ``.grad``), shown at its last share."""
    made = sorted(
        (op for op in graph.ops.values() if op.op is not None),
        key=lambda op: -graph.tensors[op.output].node._seq,  # outputs last made first
    )
    inputs_of = graph.op_inputs()
    uses: dict[str, int] = {}
    for sources in inputs_of.values():
        for source in sources:
            uses[source] = uses.get(source, 0) + 1
    received: dict[str, int] = {}
    steps: list[BackwardStep] = []
    for node in made:
        op = node.op
        assert op is not None
        inputs = _input_names(op, inputs_of.get(node.key, []))
        step = BackwardStep(
            len(steps) + 1, node.output, op, _title(op, node.output, inputs), None, inputs
        )
        positions = op.parent_positions()
        own = input_names(op, inputs)
        if node.output == graph.root:  # dL/dL = 1 needs no saved value
            step.upstream = np.ones(graph.tensors[graph.root].node.out_shape)
        for index, source in enumerate(inputs_of.get(node.key, [])):
            if not graph.tensors[source].node.requires_grad:
                continue  # as backward: no share for a value that wants no gradient
            earlier = received.get(source, 0)
            received[source] = earlier + 1
            held = graph.tensors[source].held
            grad = held._grad if held is not None else None  # the slot: .grad warns
            final = grad.array if grad is not None and received[source] == uses[source] else None
            formula = named_formula(op.derivative_for(positions[index]), own)
            step.contributions.append(Contribution(source, formula, None, None, final, earlier))
        steps.append(step)
    return steps


def gradients(root: Tensor) -> dict[Any, np.ndarray]:
    """The gradient of ``root`` with respect to every node of its graph (no ``.grad`` set):
    by leaf tensor, or by the op that made a computed value.

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.Tensor(3.0, requires_grad=True)
        >>> float(gradients(x * x)[x]), x.grad is None
        (6.0, True)
    """
    if not root.requires_grad or root.size != 1 or (root._ctx is not None and root._ctx.freed):
        return {}  # nothing to run backward from (a freed graph is refused when drawn)
    found: dict[Any, np.ndarray] = {node_of(root): np.ones(root.shape, root.dtype)}

    def observe(op: Op, g: Any, sent: list[tuple[int, Any, Any, Any]]) -> None:
        found[op] = np.array(g)
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


def explanation(root: Tensor, max_elements: int = 6, max_steps: int | None = 200) -> TypesetText:
    """The backward pass of ``root`` as a chain-rule derivation, as text (a ``str`` that a
    notebook shows as preformatted text, each formula and derivative typeset as MathML:
    :class:`tinygrad_nn.viz.typeset_html.TypesetText`).

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
    show = lambda values: known(values, max_elements)  # noqa: E731
    freed = root._ctx is not None and root._ctx.freed
    lines: list[str | Line] = [  # a line with a formula in it: pieces, the formula Math
        f"Backward pass of {graph.root}, one op at a time, from the output back to the inputs.",
        "Chain rule: each input's gradient = the upstream gradient g = dL/dz times the op's",
        "local derivative dz/dx, summed over every place the input was used.",
    ]
    if freed:
        lines += [
            "backward() has freed this graph: shown are its steps and formulas and each",
            "leaf's final gradient; to see every value, draw or explain it before calling",
            "backward(), or call backward(retain_graph=True).",
        ]
    lines += ["", f"dL/d{graph.root} = 1   (the output itself)"]
    shown = steps if max_steps is None else steps[:max_steps]
    for step in shown:
        lines.append("")
        formula, binding = definition_parts(step)
        lines.append([f"step {step.index}: {step.title}      [", Math(formula), f"{binding}]"])
        lines.append(f"  upstream     g = dL/d{step.node} = {show(step.upstream)}")
        kept = ", ".join(kept_for_rule(step)) or "nothing"
        size = "freed by backward()" if freed else _size(_saved(step.op))
        lines.append(f"  kept for it  {kept}: {size} (what its rule reads)")
        for c in step.contributions:
            lines.append([f"  to {c.to}:  local ", Math(c.formula)])
            lines.append(f"      share   dL/d{c.to} += {show(c.share)}")
            if c.earlier:
                lines.append(
                    f"      {c.to} is used {c.earlier + 1} times: accumulated dL/d{c.to} = "
                    f"{show(c.accumulated)}"
                )
            elif freed and c.accumulated is not None:
                lines.append(f"      final   dL/d{c.to} = {show(c.accumulated)}   (its .grad)")
    if freed:
        return TypesetText.of(lines)
    if len(shown) < len(steps):
        lines += ["", f"({len(steps) - len(shown):,} more steps not shown: pass max_steps=None)"]
        return TypesetText.of(lines)
    lines += ["", saved_for_backward(steps)]
    lines += ["", "Composed, written out as NumPy (what tg.compile generates):", ""]
    lines += ["  " + line for line in composed_backward(root, graph)]
    return TypesetText.of(lines)


def definition_with_names(step: BackwardStep) -> str:
    """The op's formula for this step: its inputs' names put in when they all fit
    (``z = X @ W1``), else bound after it (``z = 1 / (1 + exp(-x)), with x = matmul_out``)."""
    return "".join(definition_parts(step))


def definition_parts(step: BackwardStep) -> tuple[str, str]:
    """:func:`definition_with_names` in two: the formula (typeset in HTML) and the binding
    of its inputs to the graph's names (``", with x = matmul_out"``, or ``""``), which
    stays text: the names are the code's, not math."""
    op = step.op
    own = input_names(op, step.inputs)
    bound = [
        f"{op.input_name(i)} = {name}"
        for i, name in enumerate(step.inputs)
        if op.input_name(i) not in own
    ]
    return named_formula(op.definition, own), (", with " + ", ".join(bound) if bound else "")


def composed_backward(root: Tensor, graph: Graph) -> list[str]:
    """The whole forward and backward as straight-line NumPy, with the graph's names."""
    names = {id(node.node): key for key, node in graph.tensors.items()}
    try:
        return generate(root, names).splitlines()
    except TracingError as error:  # an op whose rules are Python code (autograd.Function)
        return [f"(no straight-line code: {error})"]
