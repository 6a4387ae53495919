"""The rewrite passes: sharing, constant folding, identities and NumPy's dtype rules.

Each pass is one function over the graph's nodes. They run as each node joins the graph
(:class:`~tinygrad_nn.compile.program.Program` calls them, in the order of this page),
because the rules that build the graph must see simplified values: an optimizer's state
that its rule leaves unchanged must be recognised as the same node, not a new one.
Every pass therefore sees operands that the passes already simplified.

1. *dtype handling* (:func:`uniform_as_scalar`, :func:`weaken`): a Python number is a
   *weak* scalar that takes the other operand's dtype (``float32 * 2.0`` stays float32),
   and a constant is written as a plain number wherever that keeps NumPy's result dtype;
2. *constant folding* (:func:`fold`): an expression of constants is a constant;
3. *identities* (:func:`identity`, :func:`known_branch`, :func:`unchanged`): ``x * 1``,
   ``x + 0``, ``x - 0``, ``x / 1``, ``x ** 1`` are ``x``; a ``where`` whose condition is
   known at trace time is the branch it picks; a reshape, broadcast or cast to what the
   value already is, is the value;
4. *sharing* (:func:`share`): asking twice for the same expression of the same operands
   gives the same node (common subexpressions are computed once).

Examples:
    >>> import numpy as np
    >>> from tinygrad_nn.compile.program import Program
    >>> p = Program()
    >>> x = p.argument("x", np.ones(2))
    >>> identity("*", x, p.constant(1.0, weak=True)) is x
    True
    >>> fold((p.constant(2.0), p.constant(3.0)), np.asarray(6.0), p).value
    array(6.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn.compile.values import WRITTEN_AS_NUMBERS, Sym

if TYPE_CHECKING:
    from tinygrad_nn.compile.program import Program


# 1. dtype handling


def uniform_as_scalar(program: Program, sym: Sym, other: Sym, shape: tuple[int, ...]) -> Sym:
    """A constant array whose values are all equal becomes a 0-d constant when that
    suffices: when ``other`` alone already has the elementwise result's ``shape``.

    Examples:
        >>> from tinygrad_nn.compile.program import Program
        >>> p = Program()
        >>> x = p.argument("x", np.ones(3))
        >>> uniform_as_scalar(p, p.constant(np.full(3, 2.0)), x, (3,)).shape
        ()
    """
    if not sym.is_constant or sym.ndim == 0 or sym.size == 0:
        return sym
    first = sym.value.flat[0]
    if other.shape == shape and np.all(sym.value == first):
        return program.constant(np.asarray(first, dtype=sym.dtype))
    return sym


def weaken(
    program: Program, operands: tuple[Sym, ...], function: Callable[..., Any]
) -> tuple[tuple[Sym, ...], np.ndarray]:
    """The operands to write for ``function(*operands)``, and its value as NumPy gives it.

    0-d constants that may be written as plain numbers without changing the result's
    dtype become weak: ``x * 2.0`` reads better than ``x * np.float64(2.0)``, and for a
    float64 ``x`` it is the same. For a float32 ``x`` it is not, so that one stays.

    Examples:
        >>> from tinygrad_nn.compile.program import Program
        >>> p = Program()
        >>> x = p.argument("x", np.ones(2, np.float32))
        >>> two = p.constant(2.0)                   # a float64 0-d array: not weak
        >>> weaken(p, (x, two), np.multiply)[0][1].weak   # float32 * float64 is float64
        False
        >>> y = p.argument("y", np.ones(2))
        >>> weaken(p, (y, two), np.multiply)[0][1].weak   # for float64 it makes no difference
        True
    """
    value = np.asarray(function(*[o.value.item() if o.weak else o.value for o in operands]))
    strong = [
        o.is_constant and o.ndim == 0 and not o.weak and o.dtype.name in WRITTEN_AS_NUMBERS
        for o in operands
    ]
    if any(strong):
        as_numbers = [o.value.item() if o.weak or s else o.value for o, s in zip(operands, strong)]
        with np.errstate(all="ignore"):
            if np.asarray(function(*as_numbers)).dtype == value.dtype:
                operands = tuple(
                    program.constant(o.value, weak=True) if s else o
                    for o, s in zip(operands, strong)
                )
    return operands, value


# 2. constant folding


def fold(operands: Sequence[Sym], value: Any, program: Program, weak: bool = False) -> Sym | None:
    """The constant an expression of constants is (``weak`` when it stands for a Python
    number, as an expression of Python numbers does), or None."""
    if all(o.is_constant for o in operands):
        return program.constant(value, weak=weak)
    return None


def fold_false_and(op: str, a: Sym, b: Sym, value: Any, program: Program) -> Sym | None:
    """``mask & False`` (written ``*`` or ``&`` on booleans) is known at trace time."""
    if op in ("*", "&") and a.dtype == b.dtype == np.bool_ and (_is_false(a) or _is_false(b)):
        return program.constant(value)
    return None


def _is_false(sym: Sym) -> bool:
    return sym.is_constant and sym.ndim == 0 and not sym.value


# 3. identities


def identity(op: str, a: Sym, b: Sym) -> Sym | None:
    """x * 1, 1 * x, x / 1, x + 0, 0 + x, x - 0, x ** 1: the other operand itself (the
    caller checks that it has the result's shape and dtype)."""

    def is_scalar(sym: Sym, number: float) -> bool:
        return sym.is_constant and sym.ndim == 0 and sym.value == number

    if op == "*":
        return b if is_scalar(a, 1) else a if is_scalar(b, 1) else None
    if op == "/":
        return a if is_scalar(b, 1) else None
    if op == "+":
        return b if is_scalar(a, 0) else a if is_scalar(b, 0) else None
    if op == "-":
        return a if is_scalar(b, 0) else None
    if op == "**":
        return a if is_scalar(b, 1) else None
    return None


def unchanged(x: Sym, value: np.ndarray) -> bool:
    """Whether an op that only reshapes, broadcasts or casts leaves ``x`` as it is."""
    return bool(value.shape == x.shape and value.dtype == x.dtype)


def known_branch(operands: Sequence[Sym], value: np.ndarray, program: Program) -> Sym | None:
    """``where(condition, a, b)`` with a condition known at trace time and the same for
    every element: the branch it picks (a constant when that branch is one), or None."""
    mask = operands[0]
    if not (mask.is_constant and mask.size and np.all(mask.value == mask.value.flat[0])):
        return None
    chosen = operands[1] if mask.value.flat[0] else operands[2]
    if chosen.is_constant:
        return program.constant(value)
    if (chosen.shape, chosen.dtype) == (value.shape, value.dtype):
        return chosen
    return None


# 4. sharing


def share(table: dict[tuple[Any, ...], Sym], key: tuple[Any, ...], make: Callable[[], Sym]) -> Sym:
    """The node made before for ``key`` (an expression and its operands), or a new one.

    Examples:
        >>> table = {}
        >>> first = share(table, ("{0} + 1", 7), lambda: "made")
        >>> share(table, ("{0} + 1", 7), lambda: "made again")
        'made'
    """
    found = table.get(key)
    if found is None:
        found = table[key] = make()
    return found
