"""From a recorded graph to source: the rules interpreted symbolically, then written out.

:func:`write_program` evaluates every op's forward rule on symbolic values, then drives
the engine's own backward loop (:func:`tinygrad_nn.backprop.run_backward`) with the
symbolic interpreter, so the backward rules write their code too. The values are then
named and written as one straight-line function.

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    >>> print(generate((x * x.exp()).sum(), {id(x): "x"}))
    def forward_and_backward(x):
        exp_out = np.exp(x)
        mul_out = x * exp_out
        loss = mul_out.sum()
        # backward
        d_x = exp_out + mul_out
        return loss, (d_x,)
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_nn.backprop import graph_nodes, node_of, run_backward, topological_order
from tinygrad_nn.compile.program import Program
from tinygrad_nn.compile.symbolic_xp import SymbolicNamespace
from tinygrad_nn.compile.values import Sym
from tinygrad_nn.compile.writer import SourceWriter
from tinygrad_nn.ops import Op
from tinygrad_nn.ops.base import Node
from tinygrad_nn.tensor import Tensor


class SymbolicValues:
    """The backward interpreter of :func:`write_program`: rules see symbolic values."""

    records = False

    def __init__(self, program: Program, sym_of: dict[Node, Sym]) -> None:
        self.program, self.sym_of = program, sym_of
        self.xp = SymbolicNamespace(program)

    def value(self, node: Node) -> Sym:
        """The symbolic value of a node of the graph (a constant if it is not tracked)."""
        sym = self.sym_of.get(node)
        return sym if sym is not None else self.program.constant(node.array)

    def inputs(self, op: Op) -> list[Any]:
        return op.with_constants(self.value(p) for p in op.parents)

    def arguments(self, op: Op) -> tuple[Any, ...]:
        return (*self.inputs(op), self.sym_of[op])


def generate(root: Tensor, names: dict[int, str], name: str = "forward_and_backward") -> str:
    """The straight-line NumPy for an existing graph (``names``: id(leaf) -> name).

    Examples:
        >>> import tinygrad_nn as tg
        >>> w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
        >>> print(generate((w * w).sum(), {id(w): "w"}))
        def forward_and_backward(w):
            loss = (w * w).sum()
            # backward
            d_w = w + w
            return loss, (d_w,)
    """
    outside = dict(names)
    named_values = {}
    for node in graph_nodes(root):
        if id(node) in names:
            outside[id(node.array)] = names[id(node)]
        if isinstance(node, Op) and node.label:  # values the user named get their own line
            named_values[id(node)] = node.label
    return write_program(root, Traced([], [], named_values, outside, name), [])[0]


@dataclass
class Traced:
    """What a trace gives the writers besides the graph: the function's explicit inputs
    (``leaves``) and their names, the names it gave values (``local_names``: id(node)
    -> name) and outside objects (``outside``), its own name; ``array_api`` to write for
    another array library, and the ids of integer leaves that are arguments (``dynamic``)."""

    leaves: Sequence[Tensor]
    parameter_names: Sequence[str]
    local_names: dict[int, str]
    outside: dict[int, str]
    name: str
    array_api: bool = False
    dynamic: Collection[int] = ()


class GraphProgram:
    """A recorded graph on its way to source: its arguments, and every value symbolically.

    Built from the graph of ``roots``: the traced function's leaves become the first
    arguments, named after its parameters; the integer ones are constants (their values
    are part of the trace's signature) unless they are ``dynamic``. Every other leaf that
    requires grad is ``captured``: an extra argument, read at every call. Every op's
    forward rule is then interpreted symbolically, in order; :meth:`backward` does the
    same for the backward.
    """

    def __init__(self, roots: Sequence[Tensor], traced: Traced) -> None:
        self.program = program = Program(traced.array_api)
        program.literals.outside_labels = self.outside = traced.outside
        self.sym_of: dict[Node, Sym] = {}
        self.interpreter = SymbolicValues(program, self.sym_of)
        self.arguments: list[Sym] = []
        for leaf, label in zip(traced.leaves, traced.parameter_names):
            if leaf.requires_grad or id(leaf) in traced.dynamic:  # integers as arguments
                self.sym_of[leaf] = self.argument(label, leaf.array)
            else:  # an integer input: its value is part of the signature, so a constant
                program.literals.outside_labels[id(leaf.array)] = label
        order = topological_order(roots)
        self.captured = [n for n in order if not isinstance(n, Op) and n not in self.sym_of]
        for t in self.captured:  # all require grad
            self.sym_of[t] = self.argument(self.label_of_leaf(t), t.array)
        self.nodes: list[Op] = [n for n in order if isinstance(n, Op)]
        for op in self.nodes:  # forward: each op's own rule, interpreted symbolically
            self.sym_of[op] = op.forward(self.interpreter.xp, *self.interpreter.inputs(op))
        self.gradients: dict[Op, Sym] = {}  # every gradient the backward computed
        self.backward_from = 0

    def label_of_leaf(self, t: Tensor) -> str:
        return self.outside.get(id(t)) or t.name or "param"

    def argument(self, label: str, value: Any) -> Sym:
        """A new argument of the function (placed after those made before)."""
        self.arguments.append(self.program.argument(label, value))
        return self.arguments[-1]

    def backward(self, root: Tensor, wanted: Sequence[Tensor]) -> list[Sym | None]:
        """The gradient of ``root`` (seeded with ones) for each of ``wanted``: the engine's
        own backward loop, with every rule interpreted symbolically."""
        self.backward_from = next(self.program.created)  # values from here on: backward
        seed = self.program.constant(np.ones(root.shape, root.dtype))

        def observe(node: Any, g: Any, sent: Any) -> None:
            self.gradients[node] = g

        results = run_backward(
            [root], [seed], self.interpreter, retain_graph=True, inputs=wanted, observer=observe
        )
        return [results.get(t) for t in wanted]

    def names(
        self, local_names: dict[int, str], outputs: dict[int, str]
    ) -> tuple[dict[int, str], set[int], dict[int, Sym]]:
        """Labels for the values: what the function called them, ``d_<name>`` for their
        gradients, the op's name for others that need a line; ``outputs`` (id of a Sym ->
        label) are returned, so they always get a line. Also the values that must get a
        line (``forced``), and each gradient's value (its name is ``d_`` + that name)."""

        def label_of(op: Op) -> str:
            return local_names.get(id(op)) or f"{op.name}_out"

        labels: dict[int, str] = {}
        forced: set[int] = set()
        for node in self.nodes:
            labels.setdefault(id(self.sym_of[node]), label_of(node))
            if id(node) in local_names:
                forced.add(id(self.sym_of[node]))
        gradient_of: dict[int, Sym] = {}  # a gradient is named d_ + its value's final name
        for node in reversed(self.nodes):
            gradient = self.gradients.get(node)
            if gradient is not None:
                labels.setdefault(id(gradient), "d_" + label_of(node))
                gradient_of.setdefault(id(gradient), self.sym_of[node])
                if id(node) in local_names:
                    forced.add(id(gradient))
        for key, label in outputs.items():
            if key not in forced:  # the first label given to a value wins
                labels[key] = label
            forced.add(key)
        return labels, forced, gradient_of

    def returned(self, writer: SourceWriter, output: Sym | None) -> str:
        """How ``return`` writes an output: its name, or a fresh array for a constant."""
        if output is None:
            return "None"
        if output.is_constant:  # e.g. the gradient of a sum: a fresh array each call
            return self.program.literals.constant_array_source(output.value)
        return writer.render(output)

    def function(self, name: str, body: Sequence[str]) -> str:
        """``def name(arguments):`` and the body, indented."""
        parameters = ", ".join(str(a.name) for a in self.arguments)
        return f"def {name}({parameters}):\n" + "\n".join("    " + line for line in body)


def tuple_source(items: Sequence[str]) -> str:
    """``(a, b)``, and ``(a,)`` for one item."""
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def write_program(
    result: Tensor, traced: Traced, wants_grad: Sequence[bool]
) -> tuple[str, dict[str, Any], list[Tensor]]:
    """Write the graph of ``result`` as one function returning ``(loss, gradients)``, the
    gradients of the leaves in ``wants_grad`` and of the captured tensors; returns its
    source, its constants, and the outside tensors it takes as extra arguments. With
    ``traced.array_api`` the source calls the standard's functions through ``xp``."""
    graph = GraphProgram([result], traced)
    leaves, local_names = traced.leaves, traced.local_names
    wanted = [leaf for leaf, wants in zip(leaves, wants_grad) if wants] + graph.captured
    outputs = graph.backward(result, wanted)
    loss = graph.sym_of[node_of(result)]
    returned = {id(loss): local_names.get(id(node_of(result)), "loss")}
    for t, output in zip(wanted, outputs):
        if output is not None:
            returned.setdefault(id(output), "d_" + (graph.sym_of[t].name or "x"))
    labels, forced, gradient_of = graph.names(local_names, returned)
    live = [g for g in outputs if g is not None]
    writer = SourceWriter(graph.program)
    writer.write([loss, *live], labels, forced, [(graph.backward_from, "# backward")], gradient_of)
    grads = tuple_source([graph.returned(writer, output) for output in outputs])
    body = [*writer.lines, f"return {writer.render(loss)}, {grads}"]
    return graph.function(traced.name, body), graph.program.literals.constants, graph.captured
