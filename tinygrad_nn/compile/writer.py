"""The writer: a named graph as source, each expression as text. It changes nothing.

:func:`write_source` writes the function the naming pass planned
(:mod:`~tinygrad_nn.compile.naming`): one line per value that got one, in order, the
in-place updates, the ``return``. :func:`format_graph` prints the graph itself, one
line per value. Both only read the graph and the names.

Examples:
    >>> import numpy as np
    >>> from tinygrad_nn.compile.graph import Graph, Returned
    >>> from tinygrad_nn.compile.naming import name_values
    >>> from tinygrad_nn.compile.program import Program
    >>> from tinygrad_nn.compile.symbolic_xp import SymbolicNamespace
    >>> p = Program()
    >>> x = p.argument("x", np.ones(2))
    >>> h = SymbolicNamespace(p).sum(x * x)
    >>> graph = Graph("f", p, [x], [Returned((h,))], labels={id(h): "h"}, forced={id(h)})
    >>> print(write_source(graph, name_values(graph)))
    def f(x):
        h = (x * x).sum()
        return h
"""

from __future__ import annotations

from collections.abc import Mapping

from tinygrad_nn.compile.graph import Graph, Returned, tuple_source
from tinygrad_nn.compile.literals import Literals
from tinygrad_nn.compile.naming import Names
from tinygrad_nn.compile.values import ATOM, POWER, PRODUCT, UNARY, Sym


class Renderer:
    """Source for values: a value in ``named`` is written as its name, any other inline."""

    def __init__(self, literals: Literals, named: Mapping[int, str]) -> None:
        self.literals, self.named = literals, named

    def render(self, sym: Sym) -> str:
        """Source for ``sym``: its name if it has one, else its expression, inlined."""
        name = self.named.get(id(sym))
        if name is not None:
            return name
        if sym.is_constant:
            if sym.weak:
                return self.literals.literal(sym.value.item())  # a plain Python number
            if sym.ndim == 0:  # keep a float32 (etc.) constant's own dtype
                return self.literals.scalar_source(sym.value)
            return self.literals.literal(sym.value)
        return self.expression(sym)

    def expression(self, sym: Sym) -> str:
        """``sym``'s own expression, its operands rendered (even when it has a name)."""
        parts = []
        for position, child in enumerate(sym.children):
            text = self.render(child)
            named = id(child) in self.named
            if not named and not child.is_constant and child.precedence < ATOM:
                # Parentheses where Python's precedence (left to right) would regroup.
                needed = child.precedence < sym.precedence or (
                    position > 0 and child.precedence == sym.precedence
                )
                if sym.precedence == POWER and position == 0:
                    needed = child.precedence <= POWER
                if sym.precedence == PRODUCT and " @ " in child.template:
                    needed = True  # (a @ b) * c reads better than a @ b * c
                if sym.precedence == ATOM:  # a call's arguments need none; a receiver does
                    needed = position == 0 and sym.template.startswith(("{0}.", "{0}["))
                if needed:
                    text = f"({text})"
            elif child.is_constant and sym.precedence >= UNARY and text.startswith("-"):
                text = f"({text})"
            parts.append(text)
        return sym.template.format(*parts)

    def returned(self, item: Returned) -> str:
        """How ``return`` writes one item (a fresh array for a returned constant)."""
        texts = []
        for value in item.values:
            if value is None:
                texts.append("None")
            elif value.is_constant and item.fresh:  # the gradient of a sum: new each call
                texts.append(self.literals.constant_array_source(value.value))
            else:
                texts.append(self.render(value))
        return tuple_source(texts) if item.grouped else texts[0]


def write_source(graph: Graph, names: Names) -> str:
    """The function's source: ``def name(arguments):`` and its body, indented."""
    named = {id(a): names.of[id(a)] for a in graph.arguments}  # grows as lines are written
    writer = Renderer(names.literals, named)
    body = []
    for line in names.lines:
        if isinstance(line, str):  # a section header: # backward
            body.append(line)
        else:
            body.append(f"{names.of[id(line)]} = {writer.expression(line)}")
            named[id(line)] = names.of[id(line)]
    if names.new_values is None:
        body += [f"{u.param.name} {u.operator} {writer.render(u.amount)}" for u in graph.updates]
    else:  # computed first, then copied in: an update reads a parameter changed above it
        for u, name in zip(graph.updates, names.new_values):
            body.append(f"{name} = {writer.expression(u.new)}")
            named[id(u.new)] = name
        body += [f"{u.param.name}[...] = {names.of[id(u.new)]}" for u in graph.updates]
    body.append("return " + ", ".join(writer.returned(item) for item in graph.returns))
    parameters = ", ".join(names.of[id(a)] for a in graph.arguments)
    return f"def {graph.name}({parameters}):\n" + "\n".join("    " + line for line in body)


GRAPH_COMMENT_COLUMN = 32  # where the shapes start, for lines shorter than this


def format_graph(graph: Graph, names: Names) -> str:
    """The graph as text: one ``name = op(args)`` line per value, with its shape and
    dtype; values that the source writes inline are called ``%1``, ``%2``...; the
    in-place updates and the ``return`` as the source writes them."""
    named = dict(names.of)
    for number, sym in enumerate((s for s in graph.nodes() if id(s) not in named), 1):
        named[id(sym)] = f"%{number}"
    shown = Renderer(names.literals, named)
    lines = []
    headers = list(graph.sections)
    for sym in graph.nodes():
        while headers and sym.index >= headers[0][0]:
            lines.append(headers.pop(0)[1])
        line = f"{named[id(sym)]} = {shown.expression(sym)}"
        lines.append(f"{line:<{GRAPH_COMMENT_COLUMN - 1}} # {sym.shape} {sym.dtype}")
    lines += [header for _, header in headers]
    if names.new_values is None:
        lines += [f"{u.param.name} {u.operator} {shown.render(u.amount)}" for u in graph.updates]
    else:
        lines += [f"{names.of[id(u.new)]} = {shown.expression(u.new)}" for u in graph.updates]
        lines += [f"{u.param.name}[...] = {names.of[id(u.new)]}" for u in graph.updates]
    lines.append("return " + ", ".join(shown.returned(item) for item in graph.returns))
    parameters = ", ".join(names.of[id(a)] for a in graph.arguments)
    return f"graph {graph.name}({parameters}):\n" + "\n".join("    " + line for line in lines)
