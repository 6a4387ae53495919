"""Writing source: which values get a line of their own, and each expression as text.

Examples:
    >>> import numpy as np
    >>> from tinygrad_nn.compile.program import Program
    >>> from tinygrad_nn.compile.symbolic_xp import SymbolicNamespace
    >>> p = Program()
    >>> x = p.argument("x", np.ones(2))
    >>> h = SymbolicNamespace(p).sum(x * x)
    >>> writer = SourceWriter(p)
    >>> writer.write([h], {id(h): "h"}, {id(h)}, sections=[(10**9, "# backward")])
    >>> writer.lines
    ['h = (x * x).sum()', '# backward']
"""

from __future__ import annotations

from collections.abc import Sequence

from tinygrad_nn.compile.program import Program
from tinygrad_nn.compile.values import ATOM, POWER, PRODUCT, UNARY, Sym

MAX_INLINE_DEPTH = 8  # deeper expressions are split into lines (``t1 = ...``)


class SourceWriter:
    """The lines of one function body, written from a :class:`Program`'s values."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.literal = program.literals.literal
        self.lines: list[str] = []

    def write(
        self,
        roots: Sequence[Sym],
        labels: dict[int, str],
        forced: set[int],
        sections: Sequence[tuple[int, str]],
        gradient_of: dict[int, Sym] | None = None,
    ) -> None:
        """Decide which values get a line of their own, and write those lines in order.

        A value gets a line when it is used by several expressions (computed once, then
        shared), when it is ``forced`` (named by the function, the loss, a gradient that is
        returned), or when inlining it would nest too deeply. Everything else is written
        inline where it is used. Values are created in dependency order, so writing the
        chosen ones in creation order defines each name before its first use — with no
        recursion through the graph, however long it is. A gradient in ``gradient_of``
        is named ``d_`` + the name its value got (``d_add_out_2`` for ``add_out_2``).
        ``sections`` are ``(index, header)`` pairs in order (``# backward``): each header
        is written before the first line of a value created at or after its index, or at
        the end when no such line comes.
        """
        reachable: dict[int, Sym] = {}
        stack = list(roots)
        while stack:  # count the uses that the outputs actually need
            sym = stack.pop()
            if id(sym) in reachable:
                continue
            reachable[id(sym)] = sym
            for child in sym.children:
                child.uses += 1
                stack.append(child)
        depth: dict[int, int] = {}
        headers = list(sections)
        for sym in sorted(reachable.values(), key=lambda s: s.index):
            if sym.is_constant or sym.name is not None:
                continue
            inline_depth = 1 + max((depth.get(id(c), 0) for c in sym.children), default=0)
            if id(sym) in forced or sym.uses > 1 or inline_depth > MAX_INLINE_DEPTH:
                while headers and sym.index >= headers[0][0]:
                    self.lines.append(headers.pop(0)[1])
                label = labels.get(id(sym))
                value = (gradient_of or {}).get(id(sym))
                if value is not None and value.name is not None:
                    label = "d_" + value.name
                namer = self.program.namer
                self.assign(sym, namer.fresh(label) if label else namer.temporary("t"))
                inline_depth = 0
            depth[id(sym)] = inline_depth
        self.lines += [header for _, header in headers]

    def assign(self, sym: Sym, name: str) -> str:
        """Write ``name = <expression>`` and refer to the value by that name from now on."""
        self.lines.append(f"{name} = {self.render(sym)}")
        sym.name = name
        return name

    def render(self, sym: Sym) -> str:
        """Source for ``sym``: its name if it has a line, else its expression, inlined."""
        if sym.name is not None:
            return sym.name
        if sym.is_constant:
            if sym.weak:
                return self.literal(sym.value.item())  # a plain Python number
            if sym.ndim == 0:  # keep a float32 (etc.) constant's own dtype
                return self.program.literals.scalar_source(sym.value)
            return self.literal(sym.value)
        parts = []
        for position, child in enumerate(sym.children):
            text = self.render(child)
            if child.name is None and not child.is_constant and child.precedence < ATOM:
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
