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

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_nn.backprop import graph_tensors, run_backward, topological_order
from tinygrad_nn.compile.program import Program
from tinygrad_nn.compile.symbolic_xp import SymbolicNamespace
from tinygrad_nn.compile.values import Sym
from tinygrad_nn.compile.writer import SourceWriter
from tinygrad_nn.ops import Op
from tinygrad_nn.tensor import Tensor


class SymbolicValues:
    """The backward interpreter of :func:`write_program`: rules see symbolic values."""

    records = False

    def __init__(self, program: Program, sym_of: dict[Tensor, Sym]) -> None:
        self.program, self.sym_of = program, sym_of
        self.xp = SymbolicNamespace(program)

    def value(self, t: Tensor) -> Sym:
        """The symbolic value of a tensor of the graph (a constant if it is not tracked)."""
        sym = self.sym_of.get(t)
        return sym if sym is not None else self.program.constant(t.data)

    def inputs(self, op: Op) -> list[Any]:
        return op.with_constants(self.value(p) for p in op.parents or ())

    def arguments(self, op: Op, node: Tensor) -> tuple[Any, ...]:
        return (*self.inputs(op), self.sym_of[node])


def generate(root: Tensor, names: dict[int, str], name: str = "forward_and_backward") -> str:
    """The straight-line NumPy for an existing graph (``names``: id(tensor) -> name).

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
    for t in graph_tensors(root):
        if id(t) in names:
            outside[id(t.data)] = names[id(t)]
        if t.name and t._ctx is not None:  # values the user named get their own line
            named_values[id(t)] = t.name
    return write_program(root, [], [], [], named_values, outside, name)[0]


def write_program(
    result: Tensor,
    leaves: Sequence[Tensor],
    wants_grad: Sequence[bool],
    parameter_names: Sequence[str],
    local_names: dict[int, str],
    outside: dict[int, str],
    name: str,
    array_api: bool = False,
) -> tuple[str, dict[str, Any], list[Tensor]]:
    """Write the graph of ``result`` as one function; returns its source, its constants,
    and the outside tensors it takes as extra arguments. With ``array_api`` the source
    calls the standard's functions through ``xp``, for another array library."""
    program = Program(array_api)
    program.literals.outside_labels = outside
    sym_of: dict[Tensor, Sym] = {}
    interpreter = SymbolicValues(program, sym_of)

    arguments: list[Sym] = []
    for leaf, label in zip(leaves, parameter_names):
        if leaf.requires_grad:
            arguments.append(program.argument(label, leaf.data))
            sym_of[leaf] = arguments[-1]
        else:  # an integer input: its value is part of the signature, so it is a constant
            program.literals.outside_labels[id(leaf.data)] = label
    order = topological_order([result])
    captured = [t for t in order if t._ctx is None and t not in sym_of]  # all require grad
    for t in captured:
        label = outside.get(id(t)) or t.name or "param"
        arguments.append(program.argument(label, t.data))
        sym_of[t] = arguments[-1]

    nodes = [t for t in order if t._ctx is not None]
    for node in nodes:  # forward: each op's own rule, interpreted symbolically
        op = node._ctx
        assert op is not None
        sym_of[node] = op.forward(interpreter.xp, *interpreter.inputs(op))

    # backward: the engine's own loop, with the same rules interpreted symbolically
    backward_from = next(program.created)  # values made from here on belong to backward
    seed = program.constant(np.ones(result.shape, result.dtype))
    gradients: dict[Tensor, Sym] = {}

    def observe(node: Any, g: Any, sent: Any) -> None:
        gradients[node] = g

    wanted = [leaf for leaf, wants in zip(leaves, wants_grad) if wants] + captured
    results = run_backward(
        [result], [seed], interpreter, retain_graph=True, inputs=wanted, observer=observe
    )
    outputs: list[Sym | None] = [results.get(t) for t in wanted]

    # Names: what the function called its values, d_<name> for their gradients, and the
    # op's name for other values that need a line of their own.
    def label_of(node: Tensor) -> str:
        op = node._ctx
        return local_names.get(id(node)) or (f"{op.name}_out" if op is not None else "x")

    labels: dict[int, str] = {}
    forced: set[int] = set()
    for node in nodes:
        labels.setdefault(id(sym_of[node]), label_of(node))
        if id(node) in local_names:
            forced.add(id(sym_of[node]))
    gradient_of: dict[int, Sym] = {}  # a gradient is named d_ + its value's final name
    for node in reversed(nodes):
        gradient = gradients.get(node)
        if gradient is not None:
            labels.setdefault(id(gradient), "d_" + label_of(node))
            gradient_of.setdefault(id(gradient), sym_of[node])
            if id(node) in local_names:
                forced.add(id(gradient))
    for t, output in zip(wanted, outputs):
        if output is not None:
            labels.setdefault(id(output), "d_" + (sym_of[t].name or "x"))
            forced.add(id(output))
    loss = sym_of[result]
    labels[id(loss)] = local_names.get(id(result), "loss")
    forced.add(id(loss))
    live = [g for g in outputs if g is not None]
    writer = SourceWriter(program)
    writer.write([loss, *live], labels, forced, backward_from, gradient_of)

    returned = []
    for output in outputs:
        if output is None:
            returned.append("None")
        elif output.is_constant:  # e.g. the gradient of a sum: a fresh array each call
            returned.append(program.literals.constant_array_source(output.value))
        else:
            returned.append(writer.render(output))
    tuple_text = ", ".join(returned) + ("," if len(returned) == 1 else "")
    loss_text = writer.render(loss)
    body = [*writer.lines, f"return {loss_text}, ({tuple_text})"]
    parameters = ", ".join(str(a.name) for a in arguments)
    source = f"def {name}({parameters}):\n" + "\n".join("    " + line for line in body)
    return source, program.literals.constants, captured
