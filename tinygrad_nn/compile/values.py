"""Symbolic values: what the compiler's interpreter computes instead of arrays.

A :class:`Sym` is one value of the program being written: the expression that computes
it (a template over its operands) and, alongside, its actual value computed with NumPy,
so shapes and dtypes are always known. Python's operators on Syms build new Syms through
the :class:`~tinygrad_nn.compile.program.Program` they belong to.

Examples:
    >>> from tinygrad_nn.compile.program import Program
    >>> import numpy as np
    >>> p = Program()
    >>> x = p.argument("x", np.ones(3))
    >>> (x * 2.0).template
    '{0} * {1}'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tinygrad_nn.compile.program import Program

# Operator precedence, as Python's: it decides where parentheses are written.
ATOM, POWER, UNARY, PRODUCT, SUM, AND, COMPARISON = 100, 90, 80, 70, 60, 55, 50
BINARY = {"**": POWER, "*": PRODUCT, "/": PRODUCT, "%": PRODUCT, "@": PRODUCT, "+": SUM, "-": SUM}
BINARY["&"] = AND
BINARY.update({op: COMPARISON for op in ("<", "<=", ">", ">=", "==", "!=")})
WRITTEN_AS_NUMBERS = ("float64", "int64", "bool")  # the dtypes of Python's own numbers


NUMPY_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "**": np.power,
    "*": np.multiply,
    "/": np.true_divide,
    "%": np.remainder,
    "@": np.matmul,
    "+": np.add,
    "-": np.subtract,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
    "&": np.logical_and,
}


class Sym:
    """A value of the program being written: its source expression and its actual value.

    ``template`` is the expression with ``{0}``, ``{1}``... standing for the operands
    (``children``); ``precedence`` decides parentheses. The value is computed with NumPy
    as the expression is built, so shapes are always known and the generated code can be
    checked against the trace. A Sym is a node of the graph and does not change once
    made: ``name`` is set only for an argument of the function (when it is made); the
    other values are named by the naming pass (:mod:`~tinygrad_nn.compile.naming`),
    which keeps its names to itself.
    """

    __slots__ = ("children", "index", "name", "precedence", "program", "template", "value", "weak")
    __array_ufunc__ = None
    __hash__ = object.__hash__

    def __init__(
        self,
        program: Program,
        template: str,
        children: tuple[Sym, ...],
        value: np.ndarray,
        precedence: int = ATOM,
    ) -> None:
        self.program, self.template, self.children = program, template, children
        self.value, self.precedence = value, precedence
        self.name: str | None = None  # an argument's name; None for every other value
        self.weak = False  # a constant written as a Python number (NumPy: a "weak" scalar)
        self.index = next(program.created)  # creation order is a dependency order

    shape = property(lambda self: self.value.shape)
    ndim = property(lambda self: self.value.ndim)
    size = property(lambda self: self.value.size)
    dtype = property(lambda self: self.value.dtype)

    @property
    def is_constant(self) -> bool:
        return self.template == "<const>"

    def _binary(self, op: str, other: Any, reflected: bool = False) -> Sym:
        left, right = (other, self) if reflected else (self, other)
        return self.program.binary(op, left, right)

    def __add__(self, other: Any) -> Sym:
        return self._binary("+", other)

    def __radd__(self, other: Any) -> Sym:
        return self._binary("+", other, True)

    def __sub__(self, other: Any) -> Sym:
        return self._binary("-", other)

    def __rsub__(self, other: Any) -> Sym:
        return self._binary("-", other, True)

    def __mul__(self, other: Any) -> Sym:
        return self._binary("*", other)

    def __rmul__(self, other: Any) -> Sym:
        return self._binary("*", other, True)

    def __truediv__(self, other: Any) -> Sym:
        return self._binary("/", other)

    def __rtruediv__(self, other: Any) -> Sym:
        return self._binary("/", other, True)

    def __mod__(self, other: Any) -> Sym:
        return self._binary("%", other)

    def __rmod__(self, other: Any) -> Sym:
        return self._binary("%", other, True)

    def __pow__(self, other: Any) -> Sym:
        return self._binary("**", other)

    def __rpow__(self, other: Any) -> Sym:
        return self._binary("**", other, True)

    def __matmul__(self, other: Any) -> Sym:
        return self._binary("@", other)

    def __rmatmul__(self, other: Any) -> Sym:
        return self._binary("@", other, True)

    def __lt__(self, other: Any) -> Sym:
        return self._binary("<", other)

    def __le__(self, other: Any) -> Sym:
        return self._binary("<=", other)

    def __gt__(self, other: Any) -> Sym:
        return self._binary(">", other)

    def __ge__(self, other: Any) -> Sym:
        return self._binary(">=", other)

    def __eq__(self, other: Any) -> Sym:  # type: ignore[override]
        return self._binary("==", other)

    def __ne__(self, other: Any) -> Sym:  # type: ignore[override]
        return self._binary("!=", other)

    def __and__(self, other: Any) -> Sym:
        return self._binary("&", other)

    def __rand__(self, other: Any) -> Sym:
        return self._binary("&", other, True)

    def __neg__(self) -> Sym:
        if self.is_constant:
            return self.program.constant(-self.value)
        return self.program.make("-{0}", (self,), -self.value, UNARY)

    def __getitem__(self, index: Any) -> Sym:
        text = self.program.literals.index_source(index)
        return self.program.make("{0}[" + text + "]", (self,), self.value[index])
