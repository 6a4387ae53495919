"""The naming pass: which values of a graph get a line of their own, and every name.

A value gets a line when it is used by several expressions (computed once, then
shared), when it is ``forced`` (named by the function, the loss, a gradient that is
returned), or when inlining it would nest deeper than :data:`MAX_INLINE_DEPTH`.
Everything else is written inline where it is used. Values are made in dependency
order, so writing the chosen ones in that order defines each name before its first use.
A line's name follows the rules of :mod:`~tinygrad_nn.compile.names`: the graph's label
for it, ``d_`` + the name of the value a gradient belongs to, else ``t1``, ``t2``...
Array constants get their names (``_c1``...) in the order the writer meets them.

The pass reads the graph and changes nothing in it: it names with a copy of the
program's namer, so naming a graph twice gives the same names.

Examples:
    >>> import numpy as np
    >>> from tinygrad_nn.compile.graph import Graph, Returned
    >>> from tinygrad_nn.compile.program import Program
    >>> p = Program()
    >>> x = p.argument("x", np.ones(2))
    >>> h = x * x                  # used twice: a line, named after its label
    >>> out = (h + h) * 2.0        # returned: a line, unnamed, so a temporary
    >>> graph = Graph("f", p, [x], [Returned((out,))], labels={id(h): "h"}, forced={id(out)})
    >>> names = name_values(graph)
    >>> [names.of[id(line)] for line in names.lines]
    ['h', 't1']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tinygrad_nn.compile.graph import Graph
from tinygrad_nn.compile.inplace import clashes
from tinygrad_nn.compile.literals import Literals
from tinygrad_nn.compile.values import Sym

MAX_INLINE_DEPTH = 8  # deeper expressions are split into lines (``t1 = ...``)


@dataclass
class Names:
    """What the naming pass decided: ``of`` maps the id of every argument and every value
    with a line to its name; ``lines`` are the values with a line, in order, and the
    section headers between them; ``literals`` name the array constants (sealed: the
    writer finds every one named); ``new_values`` name the new values of the in-place
    updates when they must be computed first (``W1_new``), else it is None."""

    of: dict[int, str]
    lines: list[Sym | str]
    literals: Literals
    new_values: list[str] | None = None


def uses(graph: Graph) -> dict[int, int]:
    """How many times each value is used by the values the graph's roots need (an
    expression ``h * h`` uses ``h`` twice)."""
    counts: dict[int, int] = {}
    seen: set[int] = set()
    stack = graph.roots()
    while stack:
        sym = stack.pop()
        if id(sym) in seen:
            continue
        seen.add(id(sym))
        for child in sym.children:
            counts[id(child)] = counts.get(id(child), 0) + 1
            stack.append(child)
    return counts


def name_values(graph: Graph) -> Names:
    """Name ``graph``'s values (see the module documentation)."""
    namer = graph.program.namer.copy()
    literals = graph.literals.copy(namer)
    of = {id(a): str(a.name) for a in graph.arguments}
    counts = uses(graph)
    lines: list[Sym | str] = []
    depth: dict[int, int] = {}
    headers = list(graph.sections)
    for sym in graph.nodes():
        inline_depth = 1 + max((depth.get(id(c), 0) for c in sym.children), default=0)
        if id(sym) in graph.forced or counts.get(id(sym), 0) > 1 or inline_depth > MAX_INLINE_DEPTH:
            while headers and sym.index >= headers[0][0]:
                lines.append(headers.pop(0)[1])
            label = graph.labels.get(id(sym))
            value = graph.gradient_of.get(id(sym))
            if value is not None and id(value) in of:
                label = "d_" + of[id(value)]
            of[id(sym)] = namer.fresh(label) if label else namer.temporary("t")
            _name_constants(sym.children, of, literals)
            lines.append(sym)
            inline_depth = 0
        depth[id(sym)] = inline_depth
    lines += [header for _, header in headers]
    new_values = None
    if clashes(graph.updates, of):
        new_values = []
        for update in graph.updates:
            new_values.append(namer.fresh(f"{update.param.name}_new"))
            _name_constants(update.new.children, of, literals)
            of[id(update.new)] = new_values[-1]
    else:
        _name_constants([u.amount for u in graph.updates], of, literals)
    for item in reversed(graph.returns):  # the order the writer first wrote them in
        for value in item.values:
            if value is not None and value.is_constant and item.fresh:
                _name_fresh_constant(value, literals)
            elif value is not None:
                _name_constants([value], of, literals)
    literals.sealed = True
    return Names(of, lines, literals, new_values)


def _name_constants(operands: Sequence[Sym], of: dict[int, str], literals: Literals) -> None:
    """Name the array constants of inline expressions, left to right, as the writer will
    meet them (values that have a name are written as that name)."""
    stack = list(reversed(operands))
    while stack:
        sym = stack.pop()
        if id(sym) in of:
            continue
        if sym.is_constant:
            if not sym.weak and sym.ndim > 0:
                literals.global_array(sym.value)
        else:
            stack += reversed(sym.children)


def _name_fresh_constant(sym: Sym, literals: Literals) -> None:
    """A constant returned as a new array is named unless it is written ``np.full``."""
    value = sym.value
    if not (value.size and (value == value.flat[0]).all()):
        literals.global_array(value)


__all__ = ["MAX_INLINE_DEPTH", "Names", "name_values", "uses"]
