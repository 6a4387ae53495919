"""The compiler's intermediate form: a graph of values, and how it prints.

A :class:`Graph` is what symbolic evaluation builds from a traced function: its
arguments, every value the forward, the backward and an optimizer's update compute
(:class:`~tinygrad_nn.compile.values.Sym` nodes, in the order they were made, which is a
dependency order), what it returns, and its parameters' in-place updates. The passes
after it read it and never change it: the naming pass
(:mod:`~tinygrad_nn.compile.naming`) decides which values get a line and their names,
the writer (:mod:`~tinygrad_nn.compile.writer`) writes the source.

Printed (``tg.compile(f).graph`` after a call), it shows one ``name = op(args)`` line
per value, with its shape and dtype: the values the source writes inline get numbered
names, ``%1``, ``%2``...

Examples:
    >>> import tinygrad_nn as tg
    >>> @tg.compile
    ... def f(w):
    ...     return (w * w.exp()).sum()
    >>> _ = f(tg.Tensor([1.0, 2.0], requires_grad=True))
    >>> print(f.graph)
    graph f(w):
        exp_out = np.exp(w)             # (2,) float64
        mul_out = w * exp_out           # (2,) float64
        loss = mul_out.sum()            # () float64
        # backward
        d_w = exp_out + mul_out         # (2,) float64
        return loss, (d_w,)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tinygrad_nn.compile.literals import Literals
from tinygrad_nn.compile.program import Program
from tinygrad_nn.compile.values import Sym


@dataclass(frozen=True)
class Returned:
    """One item of what the function returns: a value (or None), or a tuple of them
    (``grouped``); ``fresh`` writes a constant as a new array (a gradient the caller owns)."""

    values: tuple[Sym | None, ...]
    grouped: bool = False
    fresh: bool = False


@dataclass(frozen=True)
class Update:
    """A parameter's update, in place: ``param -= amount`` or ``param[...] = amount``
    (``new`` is the parameter's new value, ``param - amount`` for ``-=``)."""

    param: Sym
    operator: str
    amount: Sym
    new: Sym


@dataclass
class Graph:
    """A traced function as values: what the passes after symbolic evaluation read.

    ``labels`` (id of a value -> the name it should get), ``forced`` (values that must
    get a line: named in the function, or returned) and ``gradient_of`` (a gradient ->
    the value it is the gradient of, so it is named ``d_`` + that value's name) are the
    naming hints evaluation leaves; ``sections`` are ``(index, header)`` pairs: the
    header goes before the first line of a value made at or after ``index``.
    """

    name: str
    program: Program
    arguments: list[Sym]
    returns: list[Returned]
    labels: dict[int, str] = field(default_factory=dict)
    forced: set[int] = field(default_factory=set)
    gradient_of: dict[int, Sym] = field(default_factory=dict)
    sections: list[tuple[int, str]] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)

    @property
    def literals(self) -> Literals:
        return self.program.literals

    def roots(self) -> list[Sym]:
        """The values the source needs: what it returns, and the updates' amounts."""
        returned = [v for item in self.returns for v in item.values if v is not None]
        return returned + [update.amount for update in self.updates]

    def nodes(self) -> list[Sym]:
        """Every value the roots need, in the order they were made (arguments and
        constants left out)."""
        reachable: dict[int, Sym] = {}
        stack = self.roots()
        while stack:  # no recursion through the graph, however long it is
            sym = stack.pop()
            if id(sym) not in reachable:
                reachable[id(sym)] = sym
                stack += sym.children
        return sorted(
            (s for s in reachable.values() if not s.is_constant and s.name is None),
            key=lambda s: s.index,
        )


def tuple_source(items: Sequence[str]) -> str:
    """``(a, b)``, and ``(a,)`` for one item."""
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
