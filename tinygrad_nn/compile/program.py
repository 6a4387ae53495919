"""The graph's builder: every value a rule computes becomes a node here.

The symbolic interpreter (:mod:`tinygrad_nn.compile.symbolic_xp`) asks a
:class:`Program` for every value a rule computes. Each new node goes through the rewrite
passes of :mod:`tinygrad_nn.compile.rewrites` as it joins (dtype handling, constant
folding, identities, sharing), so the rules only ever see simplified values.

Examples:
    >>> import numpy as np
    >>> p = Program()
    >>> x = p.argument("x", np.ones(2))
    >>> (x * 1.0) is x, (x + x) is (x + x)
    (True, True)
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from tinygrad_nn.compile import rewrites
from tinygrad_nn.compile.literals import Literals
from tinygrad_nn.compile.names import Namer
from tinygrad_nn.compile.values import ATOM, BINARY, NUMPY_BINARY, Sym

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
        return rewrites.share(
            self.table, key, lambda: Sym(self, template, children, np.asarray(value), precedence)
        )

    def constant(self, value: Any, weak: bool = False) -> Sym:
        """A value known when tracing: written as a literal, or as a named array.

        A 0-d constant is ``weak`` when it stands for a Python number: NumPy lets such a
        number take the other operand's dtype (``float32 * 2.0`` stays float32), while a
        0-d array keeps its own (float64). Weak constants are written as plain numbers,
        the others with their dtype, ``np.float64(2.0)``, unless that makes no difference
        (see :func:`~tinygrad_nn.compile.rewrites.weaken`).
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

    def binary(self, op: str, left: Any, right: Any) -> Sym:
        """``left op right``, through the rewrite passes."""
        a, b = self.lift(left), self.lift(right)
        if op != "@" and not (a.is_constant and b.is_constant):
            # elementwise: a uniform constant array can be written as a number
            shape = np.broadcast_shapes(a.shape, b.shape)
            a, b = (
                rewrites.uniform_as_scalar(self, a, b, shape),
                rewrites.uniform_as_scalar(self, b, a, shape),
            )
        (a, b), value = rewrites.weaken(self, (a, b), NUMPY_BINARY[op])
        simpler = rewrites.fold((a, b), value, self, weak=a.weak and b.weak)
        if simpler is None:
            simpler = rewrites.fold_false_and(op, a, b, value, self)
        if simpler is not None:
            return simpler
        simpler = rewrites.identity(op, a, b)
        if simpler is not None and (simpler.shape, simpler.dtype) == (value.shape, value.dtype):
            return simpler
        return self.make("{0} " + op + " {1}", (a, b), value, BINARY[op])

    def call(self, function: str, *args: Any, value: Any, **keywords: Any) -> Sym:
        """``function(arg, ..., key=value)``: operands are Syms, keywords are literals."""
        operands = tuple(self.lift(a) for a in args)
        folded = rewrites.fold(operands, value, self)
        if folded is not None:
            return folded
        slots = ", ".join(f"{{{i}}}" for i in range(len(operands)))
        extra = "".join(
            f", {k}={self.literals.literal(v)}" for k, v in keywords.items() if v is not None
        )
        return self.make(f"{self.spell(function)}({slots}{extra})", operands, value)

    def method(self, receiver: Sym, name: str, *args: Any, value: Any, **keywords: Any) -> Sym:
        """``receiver.name(args, key=value)``, with literal arguments (for another array
        library, the standard's function: ``xp.name(receiver, args, key=value)``)."""
        folded = rewrites.fold((receiver,), value, self)
        if folded is not None:
            return folded
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
