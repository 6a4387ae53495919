"""Symbolic evaluation: building a program's values, sharing and simplifying as they come.

The symbolic interpreter (:mod:`tinygrad_nn.compile.symbolic_xp`) asks a
:class:`Program` for every value a rule computes. Three simplifications happen here, as
each value is built:

- *sharing*: asking twice for the same expression of the same operands gives the same
  value (common subexpressions are computed once);
- *constant folding*: an expression of constants is a constant;
- *identities*: ``x * 1``, ``x + 0``, ``x - 0``, ``x / 1``, ``x ** 1`` are ``x``, and a
  ``where`` whose condition is known at trace time is the branch it picks;

and one rule keeps NumPy's result dtypes: a Python number is a *weak* scalar that takes
the other operand's dtype (``float32 * 2.0`` stays float32), see :meth:`Program.weaken`.

Examples:
    >>> import numpy as np
    >>> p = Program()
    >>> x = p.argument("x", np.ones(2))
    >>> (x * 1.0) is x, (x + x) is (x + x)
    (True, True)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_nn.compile.literals import Literals
from tinygrad_nn.compile.names import Namer
from tinygrad_nn.compile.values import ATOM, BINARY, NUMPY_BINARY, WRITTEN_AS_NUMBERS, Sym

# NumPy's names whose array API standard name differs (the rest are ``xp.`` + the name).
STANDARD_SPELLING = {
    "arcsin": "xp.asin",
    "arccos": "xp.acos",
    "arctan": "xp.atan",
    "concatenate": "xp.concat",
    "cumsum": "xp.cumulative_sum",
    "transpose": "xp.permute_dims",
    "einsum": "einsum",  # extras: the engine's own, as NumPy's are
}


class Program:
    """The values of one compiled function, as they are built (see the module docs)."""

    def __init__(self, array_api: bool = False) -> None:
        self.table: dict[tuple[Any, ...], Sym] = {}  # (template, operands) -> the value
        self.array_constants: dict[int, Sym] = {}
        self.created = itertools.count()  # creation order is a dependency order
        self.namer = Namer()
        self.array_api = array_api  # spelled for another array library (see spell)
        self.literals = Literals(self.namer, array_api)

    def spell(self, function: str) -> str:
        """``function``'s NumPy name, or the standard's through ``xp`` when the program is
        written for another array library (``np.arcsin`` -> ``xp.asin``).

        Examples:
            >>> Program(array_api=True).spell("np.concatenate"), Program().spell("np.exp")
            ('xp.concat', 'np.exp')
        """
        if not self.array_api or not function.startswith("np."):
            return function
        name = function[3:]
        return STANDARD_SPELLING.get(name, "xp." + name)

    def argument(self, label: str, value: np.ndarray) -> Sym:
        """A value the compiled function takes as an argument, named after ``label``."""
        name = self.namer.fresh(label)
        sym = Sym(self, name, (), value)
        sym.name = name
        return sym

    def make(
        self, template: str, children: tuple[Sym, ...], value: Any, precedence: int = ATOM
    ) -> Sym:
        """A new value (or the identical one made before: common subexpressions are shared)."""
        key = (template, *map(id, children))
        found = self.table.get(key)
        if found is not None:
            return found
        sym = Sym(self, template, children, np.asarray(value), precedence)
        self.table[key] = sym
        return sym

    def constant(self, value: Any, weak: bool = False) -> Sym:
        """A value known when tracing: written as a literal, or as a named array.

        A 0-d constant is ``weak`` when it stands for a Python number: NumPy lets such a
        number take the other operand's dtype (``float32 * 2.0`` stays float32), while a
        0-d array keeps its own (float64). Weak constants are written as plain numbers,
        the others with their dtype, ``np.float64(2.0)``, unless that makes no difference
        (see :meth:`weaken`).
        """
        value = np.asarray(value)
        if value.ndim == 0:  # the same scalar is the same constant
            key = ("<const>", value.dtype.str, value.item(), weak)
            found = self.table.get(key)
            if found is None:
                found = self.table[key] = Sym(self, "<const>", (), value)
                found.weak = weak
            return found
        found = self.array_constants.get(id(value))
        if found is None:  # the same array object is the same constant
            found = self.array_constants[id(value)] = Sym(self, "<const>", (), value)
        return found

    def lift(self, value: Any) -> Sym:
        if isinstance(value, Sym):
            return value
        return self.constant(value, weak=type(value) in (int, float, bool))

    def weaken(
        self, operands: tuple[Sym, ...], function: Callable[..., Any]
    ) -> tuple[tuple[Sym, ...], np.ndarray]:
        """The operands to write for ``function(*operands)``, and its value as NumPy gives it.

        0-d constants that may be written as plain numbers without changing the result's
        dtype become weak: ``x * 2.0`` reads better than ``x * np.float64(2.0)``, and for
        a float64 ``x`` it is the same. For a float32 ``x`` it is not, so that one stays.
        """
        value = function(*[o.value.item() if o.weak else o.value for o in operands])
        value = np.asarray(value)
        strong = [
            o.is_constant and o.ndim == 0 and not o.weak and o.dtype.name in WRITTEN_AS_NUMBERS
            for o in operands
        ]
        if any(strong):
            as_numbers = [
                o.value.item() if o.weak or s else o.value for o, s in zip(operands, strong)
            ]
            with np.errstate(all="ignore"):
                if np.asarray(function(*as_numbers)).dtype == value.dtype:
                    operands = tuple(
                        self.constant(o.value, weak=True) if s else o
                        for o, s in zip(operands, strong)
                    )
        return operands, value

    def binary(self, op: str, left: Any, right: Any) -> Sym:
        a, b = self.lift(left), self.lift(right)
        if op != "@" and not (a.is_constant and b.is_constant):
            # elementwise: a uniform constant array can be written as a number
            shape = np.broadcast_shapes(a.shape, b.shape)
            a, b = self._as_scalar(a, b, shape), self._as_scalar(b, a, shape)
        (a, b), value = self.weaken((a, b), NUMPY_BINARY[op])
        if a.is_constant and b.is_constant:
            return self.constant(value, weak=a.weak and b.weak)
        if op in ("*", "&") and a.dtype == b.dtype == np.bool_ and (_is_false(a) or _is_false(b)):
            return self.constant(value)  # "and" with False: known at trace time
        simpler = self._identity(op, a, b)
        if simpler is not None and (simpler.shape, simpler.dtype) == (value.shape, value.dtype):
            return simpler
        precedence = BINARY[op]
        template = "{0} " + op + " {1}"
        return self.make(template, (a, b), value, precedence)

    def _as_scalar(self, sym: Sym, other: Sym, shape: tuple[int, ...]) -> Sym:
        """A constant array whose values are all equal becomes a scalar when that suffices
        (when ``other`` alone already has the result's ``shape``)."""
        if not sym.is_constant or sym.ndim == 0 or sym.size == 0:
            return sym
        first = sym.value.flat[0]
        if other.shape == shape and np.all(sym.value == first):
            return self.constant(np.asarray(first, dtype=sym.dtype))
        return sym

    @staticmethod
    def _identity(op: str, a: Sym, b: Sym) -> Sym | None:
        """x * 1, 1 * x, x / 1, x + 0, 0 + x, x - 0, x ** 1: the other operand itself."""

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

    def call(self, function: str, *args: Any, value: Any, **keywords: Any) -> Sym:
        """``function(arg, ..., key=value)``: operands are Syms, keywords are literals."""
        operands = tuple(self.lift(a) for a in args)
        if all(o.is_constant for o in operands):
            return self.constant(value)
        slots = ", ".join(f"{{{i}}}" for i in range(len(operands)))
        extra = "".join(
            f", {k}={self.literals.literal(v)}" for k, v in keywords.items() if v is not None
        )
        return self.make(f"{self.spell(function)}({slots}{extra})", operands, value)

    def method(self, receiver: Sym, name: str, *args: Any, value: Any, **keywords: Any) -> Sym:
        """``receiver.name(args, key=value)``, with literal arguments (for another array
        library, the standard's function: ``xp.name(receiver, args, key=value)``)."""
        if receiver.is_constant:
            return self.constant(value)
        parts = [self.literals.literal(a) for a in args]
        parts += [
            f"{k}={self.literals.literal(v)}"
            for k, v in keywords.items()
            if v is not None and v is not False  # the defaults (0 is a real axis)
        ]
        if self.array_api:
            function = STANDARD_SPELLING.get(name, "xp." + name)
            return self.make(f"{function}({', '.join(['{0}', *parts])})", (receiver,), value)
        return self.make(f"{{0}}.{name}({', '.join(parts)})", (receiver,), value)


def _is_false(sym: Sym) -> bool:
    return sym.is_constant and sym.ndim == 0 and not sym.value
