"""The in-place pass: a parameter's new value written into its own array.

An optimizer's rule computes each parameter's new value, ``W1 - lr * d_W1``. The code
a person writes updates the array in place, ``W1 -= lr * d_W1`` (as ``torch.optim``
does), so the caller's parameter is the same array after the call. :func:`update` says
how one update is written; :func:`clashes` says when writing them one after the other
would be wrong: when an update reads (inline) a parameter that an update above it has
already changed. The new values are then first computed into lines of their own
(``W1_new = ...``) and copied in (``W1[...] = W1_new``).

Examples:
    >>> import numpy as np
    >>> from tinygrad_nn.compile.program import Program
    >>> p = Program()
    >>> w, g = p.argument("w", np.ones(2)), p.argument("d_w", np.ones(2))
    >>> u = update(w, w - 0.1 * g)
    >>> u.operator, u.amount.template
    ('-=', '{0} * {1}')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tinygrad_nn.compile.graph import Update
from tinygrad_nn.compile.values import Sym


def update(param: Sym, new: Sym) -> Update:
    """How to write ``param``'s ``new`` value in place: ``-=`` an amount when the new value
    is ``param - amount``, else ``[...] =`` the new value."""
    if new.template == "{0} - {1}" and new.children[0] is param:
        return Update(param, "-=", new.children[1], new)
    return Update(param, "[...] =", new, new)


def clashes(updates: Sequence[Update], named: Mapping[int, str]) -> bool:
    """Whether an update reads, through the values written inline in it (those not in
    ``named``), a parameter that an update above it changes first."""
    done: set[int] = set()
    for u in updates:
        if inline_arguments(u.amount, named) & done:
            return True
        done.add(id(u.param))
    return False


def inline_arguments(sym: Sym, named: Mapping[int, str]) -> set[int]:
    """The arguments an expression reads where it is written (through inlined values)."""
    found: set[int] = set()
    stack = list(sym.children)
    while stack:
        child = stack.pop()
        if child.name is not None:  # an argument
            found.add(id(child))
        elif id(child) not in named:
            stack += child.children
    return found
