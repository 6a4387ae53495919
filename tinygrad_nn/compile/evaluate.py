"""Symbolic evaluation: a recorded graph of tensors becomes a :class:`~.graph.Graph`.

:class:`Evaluation` interprets every op's forward rule on symbolic values, then drives
the engine's own backward loop (:func:`tinygrad_nn.backprop.run_backward`) with the
symbolic interpreter, so the backward rules build their values too. :func:`function_graph`
makes the graph of a function that returns a loss (:mod:`~tinygrad_nn.compile.step`
makes a training step's).

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> graph, captured = function_graph((x * x).sum(), Traced([], [], {}, {id(x): "x"}, "f"), [])
    >>> [a.name for a in graph.arguments], [s.template for s in graph.nodes()]
    (['x'], ['{0} * {1}', '{0}.sum()', '{0} + {1}'])
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from tinygrad_nn.backprop import node_of, run_backward, topological_order
from tinygrad_nn.compile.graph import Graph, Returned
from tinygrad_nn.compile.program import Program
from tinygrad_nn.compile.symbolic_xp import SymbolicNamespace
from tinygrad_nn.compile.values import Sym
from tinygrad_nn.namespace.declared import ArrayNamespace
from tinygrad_nn.node import Node
from tinygrad_nn.ops import Op
from tinygrad_nn.tensor import Tensor


class SymbolicValues:
    """The interpreter of :class:`Evaluation`: rules see symbolic values."""

    records = False

    def __init__(self, program: Program, sym_of: dict[Node, Sym]) -> None:
        self.program, self.sym_of = program, sym_of
        self.symbolic = SymbolicNamespace(program)
        self.xp = cast(ArrayNamespace, self.symbolic)  # (its elementwise functions generated)

    def value(self, node: Node) -> Sym:
        """The symbolic value of a node of the graph (a constant if it is not tracked)."""
        sym = self.sym_of.get(node)
        if sym is not None:
            return sym
        assert isinstance(node, Tensor)  # an untracked leaf: a constant
        return self.program.constant(node.array)

    def inputs(self, op: Op) -> list[Any]:
        return op.with_constants([self.value(p) for p in op.parents])

    def arguments(self, op: Op) -> tuple[Any, ...]:
        return (*self.inputs(op), self.sym_of[op])


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


class Evaluation:
    """A recorded graph evaluated symbolically: its arguments, and every value.

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
        self.captured = [n for n in order if isinstance(n, Tensor) and n not in self.sym_of]
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

    def hints(
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

    def graph(
        self,
        name: str,
        returns: list[Returned],
        local_names: dict[int, str],
        outputs: dict[int, str],
    ) -> Graph:
        """The graph that returns ``returns``, with the naming :meth:`hints` and the
        backward's section (``outputs``: id of a returned value -> its label)."""
        labels, forced, gradient_of = self.hints(local_names, outputs)
        sections = [(self.backward_from, "# backward")]
        return Graph(
            name, self.program, self.arguments, returns, labels, forced, gradient_of, sections
        )


def function_graph(
    result: Tensor, traced: Traced, wants_grad: Sequence[bool]
) -> tuple[Graph, list[Tensor]]:
    """The graph of a function returning ``(loss, gradients)`` for the graph of ``result``:
    the gradients of the leaves in ``wants_grad`` and of the captured tensors, the outside
    tensors it takes as extra arguments (returned too). With ``traced.array_api`` its
    values call the standard's functions through ``xp``."""
    evaluation = Evaluation([result], traced)
    leaves, local_names = traced.leaves, traced.local_names
    wanted = [leaf for leaf, wants in zip(leaves, wants_grad) if wants] + evaluation.captured
    outputs = evaluation.backward(result, wanted)
    loss = evaluation.sym_of[node_of(result)]
    returned = {id(loss): local_names.get(id(node_of(result)), "loss")}
    for t, output in zip(wanted, outputs):
        if output is not None:
            returned.setdefault(id(output), "d_" + (evaluation.sym_of[t].name or "x"))
    returns = [Returned((loss,)), Returned(tuple(outputs), grouped=True, fresh=True)]
    return evaluation.graph(traced.name, returns, local_names, returned), evaluation.captured
