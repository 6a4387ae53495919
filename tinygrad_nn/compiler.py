"""compile: trace a function once and emit the straight-line NumPy a person would write.

The seed's author wrote ``feedforward`` and ``backprop`` by hand. The engine derives the
same computation one op at a time, paying Python's overhead on every op. ``compile``
closes the loop: it runs the function once on the real inputs (the *trace*), then
interprets every op's forward and backward rule a third way — with symbolic values that
write source code — and turns the whole forward and backward pass into one Python
function of NumPy calls:

    >>> import numpy as np
    >>> import tinygrad_nn as tg
    >>> @tg.compile
    ... def loss(x, w):
    ...     h = (x @ w).tanh()
    ...     return (h * h).sum()
    >>> x, w = tg.Tensor(np.ones((2, 3))), tg.Tensor(np.full((3, 1), 0.1), requires_grad=True)
    >>> value, (d_w,) = loss(x, w)
    >>> print(loss.source)
    def loss(x, w):
        h = np.tanh(x @ w)
        mul_out = h * h
        loss = mul_out.sum()
        # backward
        d_h = h + h
        d_w = x.T @ (d_h * (1 - mul_out))
        return loss, (d_w,)

Common subexpressions are shared (``h * h`` is computed once, for the loss and for
tanh's derivative ``1 - h**2``), gradients are named ``d_<value>``, and fan-out shows as
an explicit sum (``h`` feeds both sides of ``h * h``, so ``d_h = h + h``).

The trace is cached per input signature (shapes, dtypes, which inputs require grad, and
the values of integer inputs); a new signature traces again. The cache keeps the
:data:`MAX_TRACES` newest signatures and warns once when it has to drop one: a function
retraced that often (say, with each minibatch's integer labels as an input) gains
nothing from compiling.

What a trace cannot see: Python decisions made on tensor *values* (``if loss > 1``,
``.item()``, comparisons feeding ``where``) would be frozen into the code, so they raise
:class:`TracingError` during the trace. Tensors the function reads from outside (a
module's parameters) are arguments of the compiled code and are read at every call;
other outside values (data arrays, constants) are frozen at trace time.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import keyword
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_nn.autograd import _accumulate, _final_grad, graph_tensors, topological_order
from tinygrad_nn.grad_mode import _state, set_grad_enabled
from tinygrad_nn.nn.module import Module
from tinygrad_nn.tensor import Tensor, as_array
from tinygrad_nn.xp import numpy_xp, reduced_axes


class TracingError(RuntimeError):
    """The function does something that a compiled trace could not reproduce faithfully.

    Examples:
        >>> import tinygrad_nn as tg
        >>> f = tg.compile(lambda x: x.sum() * x.sum().item())
        >>> try:
        ...     f(tg.Tensor([1.0], requires_grad=True))
        ... except TracingError as error:
        ...     print("item()" in str(error))
        True
    """


# ---------------------------------------------------------------- symbolic values

ATOM, POWER, UNARY, PRODUCT, SUM, COMPARISON = 100, 90, 80, 70, 60, 50
MAX_INLINE_DEPTH = 8  # deeper expressions are split into lines (``t1 = ...``)
_BINARY = {"**": POWER, "*": PRODUCT, "/": PRODUCT, "@": PRODUCT, "+": SUM, "-": SUM}
_BINARY.update({op: COMPARISON for op in ("<", "<=", ">", ">=", "==", "!=")})
_WRITTEN_AS_NUMBERS = ("float64", "int64", "bool")  # the dtypes of Python's own numbers

_NUMPY_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "**": np.power,
    "*": np.multiply,
    "/": np.true_divide,
    "@": np.matmul,
    "+": np.add,
    "-": np.subtract,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


class Sym:
    """A value of the program being written: its source expression and its actual value.

    ``template`` is the expression with ``{0}``, ``{1}``... standing for the operands
    (``children``); ``precedence`` decides parentheses. The value is computed with NumPy
    as the expression is built, so shapes are always known and the generated code can be
    checked against the trace.
    """

    __slots__ = (
        "children",
        "index",
        "name",
        "precedence",
        "program",
        "template",
        "uses",
        "value",
        "weak",
    )
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
        self.name: str | None = None
        self.uses = 0
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

    def __neg__(self) -> Sym:
        if self.is_constant:
            return self.program.constant(-self.value)
        return self.program.make("-{0}", (self,), -self.value, UNARY)

    def __getitem__(self, index: Any) -> Sym:
        text = self.program.index_source(index)
        return self.program.make("{0}[" + text + "]", (self,), self.value[index])


class Program:
    """Builds the symbolic values of one compiled function and writes its source."""

    def __init__(self) -> None:
        self.table: dict[tuple[Any, ...], Sym] = {}
        self.constants: dict[str, Any] = {}
        self.constant_names: dict[int, str] = {}  # id(array) -> its name in the source
        self.outside_labels: dict[int, str] = {}  # id(object) -> the caller's name for it
        self.array_constants: dict[int, Sym] = {}
        self.taken: set[str] = {"np", "sigmoid", "scatter_add"}
        self.lines: list[str] = []
        self.temporaries = itertools.count(1)
        self.created = itertools.count()

    # ------------------------------------------------------------ building values

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
            o.is_constant and o.ndim == 0 and not o.weak and o.dtype.name in _WRITTEN_AS_NUMBERS
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
        (a, b), value = self.weaken((a, b), _NUMPY_BINARY[op])
        if a.is_constant and b.is_constant:
            return self.constant(value, weak=a.weak and b.weak)
        simpler = self._identity(op, a, b)
        if simpler is not None and (simpler.shape, simpler.dtype) == (value.shape, value.dtype):
            return simpler
        precedence = _BINARY[op]
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
        """x * 1, 1 * x, x / 1, x + 0, 0 + x, x - 0: the other operand itself."""

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
        return None

    def call(self, function: str, *args: Any, value: Any, **keywords: Any) -> Sym:
        """``function(arg, ..., key=value)``: operands are Syms, keywords are literals."""
        operands = tuple(self.lift(a) for a in args)
        if all(o.is_constant for o in operands):
            return self.constant(value)
        slots = ", ".join(f"{{{i}}}" for i in range(len(operands)))
        extra = "".join(f", {k}={self.literal(v)}" for k, v in keywords.items() if v is not None)
        return self.make(f"{function}({slots}{extra})", operands, value)

    def method(self, receiver: Sym, name: str, *args: Any, value: Any, **keywords: Any) -> Sym:
        """``receiver.name(args, key=value)``, with literal arguments."""
        if receiver.is_constant:
            return self.constant(value)
        parts = [self.literal(a) for a in args]
        parts += [
            f"{k}={self.literal(v)}"
            for k, v in keywords.items()
            if v is not None and v is not False  # the defaults (0 is a real axis)
        ]
        return self.make(f"{{0}}.{name}({', '.join(parts)})", (receiver,), value)

    # ------------------------------------------------------------ literals

    def literal(self, value: Any) -> str:
        """Python source for a constant argument: numbers, tuples, dtypes, arrays."""
        if isinstance(value, (bool, np.bool_)):
            return repr(bool(value))
        if isinstance(value, (int, np.integer)):
            return repr(int(value))
        if isinstance(value, (float, np.floating)):
            number = float(value)
            if np.isnan(number):
                return "np.nan"
            if np.isinf(number):
                return "np.inf" if number > 0 else "-np.inf"
            return repr(number)
        if isinstance(value, tuple):
            inner = ", ".join(self.literal(v) for v in value)
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        if isinstance(value, list):
            return "[" + ", ".join(self.literal(v) for v in value) + "]"
        if isinstance(value, np.dtype):
            return f"np.{value.name}"
        if value is None:
            return "None"
        return self.global_array(np.asarray(value))

    def global_array(self, array: np.ndarray) -> str:
        """Name an array constant: the caller's own name for it when known, else ``_cN``."""
        name = self.constant_names.get(id(array))
        if name is None:
            name = self.fresh(self.outside_labels.get(id(array), "_c"))
            self.constant_names[id(array)] = name
        self.constants[name] = array
        return name

    def constant_array_source(self, value: np.ndarray) -> str:
        """Source that makes a new array equal to ``value`` (a constant gradient)."""
        dtype = f"np.{value.dtype.name}"
        if value.size and np.all(value == value.flat[0]):
            first = self.literal(value.flat[0])
            return f"np.full({self.literal(value.shape)}, {first}, dtype={dtype})"
        return f"np.array({self.global_array(value)}, dtype={dtype})"

    def index_source(self, index: Any) -> str:
        parts = index if isinstance(index, tuple) else (index,)
        rendered = []
        for part in parts:
            if part is Ellipsis:
                rendered.append("...")
            elif part is None:
                rendered.append("None")
            elif isinstance(part, slice):
                start, stop, step = (
                    "" if v is None else self.literal(v) for v in (part.start, part.stop, part.step)
                )
                rendered.append(f"{start}:{stop}" + (f":{step}" if step else ""))
            else:
                rendered.append(self.literal(part))
        text = ", ".join(rendered)
        return text + "," if isinstance(index, tuple) and len(index) == 1 else text

    # ------------------------------------------------------------ writing source

    def fresh(self, base: str) -> str:
        base = "".join(c if c.isalnum() or c == "_" else "_" for c in base) or "v"
        if base[0].isdigit() or keyword.iskeyword(base):
            base = "v_" + base
        name, counter = base, 2
        while name in self.taken:
            name, counter = f"{base}_{counter}", counter + 1
        if base == "_c" or base == "t":
            name = f"{base}{next(self.temporaries)}"
            while name in self.taken:
                name = f"{base}{next(self.temporaries)}"
        self.taken.add(name)
        return name

    def write(
        self, roots: Sequence[Sym], labels: dict[int, str], forced: set[int], backward_from: int
    ) -> None:
        """Decide which values get a line of their own, and write those lines in order.

        A value gets a line when it is used by several expressions (computed once, then
        shared), when it is ``forced`` (named by the function, the loss, a gradient that is
        returned), or when inlining it would nest too deeply. Everything else is written
        inline where it is used. Values are created in dependency order, so writing the
        chosen ones in creation order defines each name before its first use — with no
        recursion through the graph, however long it is.
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
        backward_started = False
        for sym in sorted(reachable.values(), key=lambda s: s.index):
            if sym.is_constant or sym.name is not None:
                continue
            inline_depth = 1 + max((depth.get(id(c), 0) for c in sym.children), default=0)
            if id(sym) in forced or sym.uses > 1 or inline_depth > MAX_INLINE_DEPTH:
                if sym.index >= backward_from and not backward_started:
                    self.lines.append("# backward")
                    backward_started = True
                self.assign(sym, self.fresh(labels.get(id(sym), "t")))
                inline_depth = 0
            depth[id(sym)] = inline_depth
        if not backward_started:
            self.lines.append("# backward")

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
                return f"np.{sym.dtype.name}({self.literal(sym.value.item())})"
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


class SymbolicNamespace:
    """``xp`` whose functions build :class:`Sym` values (the third interpreter of the rules)."""

    def __init__(self, program: Program) -> None:
        self.p = program

    def _unary(self, function: str, x: Any, numpy_function: Callable[[Any], Any]) -> Sym:
        x = self.p.lift(x)
        return self.p.call(function, x, value=numpy_function(x.value))

    def exp(self, x: Any) -> Sym:
        return self._unary("np.exp", x, np.exp)

    def log(self, x: Any) -> Sym:
        return self._unary("np.log", x, np.log)

    def sqrt(self, x: Any) -> Sym:
        return self._unary("np.sqrt", x, np.sqrt)

    def tanh(self, x: Any) -> Sym:
        return self._unary("np.tanh", x, np.tanh)

    def abs(self, x: Any) -> Sym:
        return self._unary("np.abs", x, np.abs)

    def sign(self, x: Any) -> Sym:
        return self._unary("np.sign", x, np.sign)

    def sigmoid(self, x: Any) -> Sym:
        return self._unary("sigmoid", x, numpy_xp.sigmoid)

    def where(self, condition: Any, a: Any, b: Any) -> Sym:
        operands, value = self.p.weaken(tuple(self.p.lift(v) for v in (condition, a, b)), np.where)
        return self.p.call("np.where", *operands, value=value)

    def maximum(self, a: Any, b: Any) -> Sym:
        operands, value = self.p.weaken((self.p.lift(a), self.p.lift(b)), np.maximum)
        return self.p.call("np.maximum", *operands, value=value)

    def minimum(self, a: Any, b: Any) -> Sym:
        operands, value = self.p.weaken((self.p.lift(a), self.p.lift(b)), np.minimum)
        return self.p.call("np.minimum", *operands, value=value)

    def clip(self, x: Any, lo: Any, hi: Any) -> Sym:
        x = self.p.lift(x)
        value = np.clip(x.value, lo, hi)
        return self.p.make(
            f"np.clip({{0}}, {self.p.literal(lo)}, {self.p.literal(hi)})", (x,), value
        )

    def matmul(self, a: Any, b: Any) -> Sym:
        return self.p.binary("@", a, b)

    def matrix_transpose(self, x: Any) -> Sym:
        x = self.p.lift(x)
        if x.ndim == 2:
            return self.p.make("{0}.T", (x,), x.value.T)
        return self.p.call("np.swapaxes", x, value=np.swapaxes(x.value, -1, -2), axis1=-1, axis2=-2)

    def _reduce(self, name: str, x: Any, axis: Any, keepdims: bool) -> Sym:
        """``x.sum(...)``, ``x.max(...)`` or ``x.min(...)``, written as the method call."""
        x = self.p.lift(x)
        value = getattr(x.value, name)(axis=axis, keepdims=keepdims)
        return self.p.method(x, name, value=value, axis=axis, keepdims=keepdims)

    def sum(self, x: Any, axis: Any = None, keepdims: bool = False) -> Sym:
        return self._reduce("sum", x, axis, keepdims)

    def max(self, x: Any, axis: Any = None, keepdims: bool = False) -> Sym:
        return self._reduce("max", x, axis, keepdims)

    def min(self, x: Any, axis: Any = None, keepdims: bool = False) -> Sym:
        return self._reduce("min", x, axis, keepdims)

    def reshape(self, x: Any, shape: Sequence[int]) -> Sym:
        x = self.p.lift(x)
        value = x.value.reshape(tuple(shape))
        if value.shape == x.shape:
            return x
        return self.p.method(x, "reshape", tuple(int(n) for n in shape), value=value)

    def transpose(self, x: Any, axes: Sequence[int] | None = None) -> Sym:
        x = self.p.lift(x)
        value = x.value.transpose(axes)
        if axes is None and x.ndim == 2:
            return self.p.make("{0}.T", (x,), value)
        args = () if axes is None else (tuple(int(a) for a in axes),)
        return self.p.method(x, "transpose", *args, value=value)

    def broadcast_to(self, x: Any, shape: Sequence[int]) -> Sym:
        x = self.p.lift(x)
        value = np.broadcast_to(x.value, tuple(shape))
        if value.shape == x.shape:
            return x
        if x.is_constant:
            return self.p.constant(np.array(value))
        template = f"np.broadcast_to({{0}}, {self.p.literal(tuple(shape))})"
        return self.p.make(template, (x,), value)

    def astype(self, x: Any, dtype: Any) -> Sym:
        x = self.p.lift(x)
        if x.dtype == np.dtype(dtype):
            return x
        return self.p.method(x, "astype", np.dtype(dtype), value=x.value.astype(dtype))

    def concatenate(self, xs: Sequence[Any], axis: int = 0) -> Sym:
        parts = tuple(self.p.lift(x) for x in xs)
        value = np.concatenate([p.value for p in parts], axis=axis)
        slots = ", ".join(f"{{{i}}}" for i in range(len(parts)))
        return self.p.make(f"np.concatenate([{slots}], axis={axis})", parts, value)

    def stack(self, xs: Sequence[Any], axis: int = 0) -> Sym:
        parts = tuple(self.p.lift(x) for x in xs)
        value = np.stack([p.value for p in parts], axis=axis)
        slots = ", ".join(f"{{{i}}}" for i in range(len(parts)))
        return self.p.make(f"np.stack([{slots}], axis={axis})", parts, value)

    def unbroadcast(self, g: Any, shape: tuple[int, ...]) -> Sym:
        """Sum over broadcast axes, written as ``g.sum(axis=...)`` (and a reshape if needed)."""
        g = self.p.lift(g)
        if g.shape == shape:
            return g
        axes = reduced_axes(g.shape, shape)
        lead = len(g.shape) - len(shape)
        summed = self.sum(g, axis=axes[0] if len(axes) == 1 else axes)
        return self.reshape(summed, shape) if axes != tuple(range(lead)) else summed

    def scatter_add(self, shape: tuple[int, ...], index: Any, g: Any) -> Sym:
        (g,), value = self.p.weaken(
            (self.p.lift(g),), lambda g: numpy_xp.scatter_add(shape, index, g)
        )
        index_text = f"np.s_[{self.p.index_source(index)}]"
        return self.p.make(
            f"scatter_add({self.p.literal(tuple(shape))}, {index_text}, {{0}})", (g,), value
        )


# ---------------------------------------------------------------- tracing


@dataclass
class Trace:
    """One compiled signature: the generated function, its source, and what it reads."""

    function: Callable[..., Any]
    source: str
    captured: list[Tensor]  # outside tensors that require grad: read at every call
    wants_grad: list[bool]  # per explicit input: does the caller want its gradient
    kinds: list[str]  # per explicit input: its dtype kind ("f" float inputs are arguments)

    def __post_init__(self) -> None:
        self.captured_shapes = [t.data.shape for t in self.captured]
        # positions of the explicit inputs passed as arrays (the float ones), and of those
        # whose gradient the caller wants
        self.arguments = [i for i, kind in enumerate(self.kinds) if kind == "f"]
        self.receivers = [i for i, wants in enumerate(self.wants_grad) if wants]

    def captured_still_fit(self) -> bool:
        """False if an outside tensor changed shape since the trace."""
        return [t.data.shape for t in self.captured] == self.captured_shapes


def _outside_names(fn: Callable[..., Any]) -> dict[int, str]:
    """Names the function uses for outside objects: tensors, arrays, modules' parameters."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return {}
    scope: dict[str, Any] = {}
    module_globals: dict[str, Any] = getattr(fn, "__globals__", {})
    for name in code.co_names:
        if name in module_globals:
            scope[name] = module_globals[name]
    for name, cell in zip(code.co_freevars, getattr(fn, "__closure__", None) or ()):
        try:
            scope[name] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    names: dict[int, str] = {}
    for name, value in scope.items():
        if isinstance(value, Tensor):
            names[id(value)] = name
            names.setdefault(id(value.data), name)
        elif isinstance(value, np.ndarray):
            names[id(value)] = name
        elif isinstance(value, Module):
            for path, parameter in value.named_parameters():
                names[id(parameter)] = f"{name}_{path}"
    return names


def _call_recording_locals(
    fn: Callable[..., Any], args: Sequence[Tensor]
) -> tuple[Any, dict[int, str]]:
    """Call ``fn`` and note the local variable name of every tensor it held at return."""
    code = getattr(fn, "__code__", None)
    names: dict[int, str] = {}

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "return" and frame.f_code is code:
            for name, value in frame.f_locals.items():
                if isinstance(value, Tensor):
                    names.setdefault(id(value), name)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        result = fn(*args)
    finally:
        sys.setprofile(previous)
    return result, names


def trace(fn: Callable[..., Any], inputs: Sequence[Tensor], name: str) -> Trace:
    """Run ``fn`` once, then write forward and backward as one NumPy function."""
    # Every float input is tracked (requires grad inside the trace) so that every op that
    # depends on it is recorded; the caller's gradients are only for those that asked.
    wants_grad = [t.requires_grad for t in inputs]
    leaves = [
        Tensor._wrap(t.data, t.dtype.kind == "f") if t.dtype.kind == "f" else Tensor._wrap(t.data)
        for t in inputs
    ]
    previous = _state.tracing
    _state.tracing = True
    try:
        with set_grad_enabled(True):
            result, local_names = _call_recording_locals(fn, leaves)
    finally:
        _state.tracing = previous
    if not isinstance(result, Tensor) or result.size != 1:
        raise TracingError(
            f"compile: {name} must return a one-element Tensor (a loss), got "
            f"{type(result).__name__}{'' if not isinstance(result, Tensor) else result.shape}"
        )
    if not result.requires_grad:
        raise TracingError(
            f"compile: {name}'s result does not depend on any input or parameter that "
            "requires grad, so there is nothing to differentiate"
        )

    source, constants, captured = write_program(
        result,
        leaves,
        wants_grad,
        _argument_names(fn, len(inputs)),
        local_names,
        _outside_names(fn),
        name,
    )
    namespace: dict[str, Any] = {
        "np": np,
        "sigmoid": numpy_xp.sigmoid,  # the engine's: no overflow warning at -1000
        "scatter_add": numpy_xp.scatter_add,
        **constants,
    }
    exec(compile_source(source, f"<tinygrad_nn.compile {name}>", "exec"), namespace)
    return Trace(namespace[name], source, captured, wants_grad, [t.dtype.kind for t in inputs])


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
) -> tuple[str, dict[str, Any], list[Tensor]]:
    """Write the graph of ``result`` as one function; returns its source, its constants,
    and the outside tensors it takes as extra arguments."""
    program = Program()
    xp = SymbolicNamespace(program)
    program.outside_labels = outside

    sym_of: dict[Tensor, Sym] = {}
    arguments: list[str] = []
    for leaf, label in zip(leaves, parameter_names):
        if leaf.requires_grad:
            sym_of[leaf] = _argument(program, leaf, label, arguments)
        else:  # an integer input: its value is part of the signature, so it is a constant
            program.outside_labels[id(leaf.data)] = label
    order = topological_order([result])
    captured = [t for t in order if t._ctx is None and t not in sym_of]  # all require grad
    for t in captured:
        sym_of[t] = _argument(program, t, outside.get(id(t)) or t.name or "param", arguments)

    nodes = [t for t in order if t._ctx is not None]
    for node in nodes:  # forward: each op's own rule, interpreted symbolically
        op = node._ctx
        assert op is not None and op.parents is not None
        args = [sym_of.get(p) or program.constant(p.data) for p in op.parents]
        sym_of[node] = op.forward(xp, *args)

    backward_from = next(program.created)  # values made from here on belong to backward
    gradients: dict[Tensor, Sym] = {result: program.constant(np.ones(result.shape, result.dtype))}
    for node in reversed(nodes):  # backward: the same rules, in reverse order
        g = gradients[node]
        op = node._ctx
        assert op is not None and op.parents is not None
        args = [sym_of.get(p) or program.constant(p.data) for p in op.parents]
        for parent, share in zip(op.parents, op.backward(xp, g, *args, sym_of[node])):
            if share is None or not parent.requires_grad:
                continue
            share = xp.unbroadcast(share, parent.shape)
            previous_share = gradients.get(parent)
            gradients[parent] = share if previous_share is None else previous_share + share

    wanted = [leaf for leaf, wants in zip(leaves, wants_grad) if wants] + captured
    outputs: list[Sym | None] = [gradients.get(t) for t in wanted]

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
    for node in reversed(nodes):
        gradient = gradients.get(node)
        if gradient is not None:
            labels.setdefault(id(gradient), "d_" + label_of(node))
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
    program.write([loss, *live], labels, forced, backward_from)

    returned = []
    for output in outputs:
        if output is None:
            returned.append("None")
        elif output.is_constant:  # e.g. the gradient of a sum: a fresh array each call
            returned.append(program.constant_array_source(output.value))
        else:
            returned.append(program.render(output))
    tuple_text = ", ".join(returned) + ("," if len(returned) == 1 else "")
    loss_text = program.render(loss)
    body = [*program.lines, f"return {loss_text}, ({tuple_text})"]
    source = f"def {name}({', '.join(arguments)}):\n" + "\n".join("    " + line for line in body)
    return source, program.constants, captured


compile_source = compile  # Python's own compile(), before this module's compile() hides it


def _argument_names(fn: Callable[..., Any], count: int) -> list[str]:
    try:
        parameters = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        parameters = []
    return [parameters[i] if i < len(parameters) else f"x{i}" for i in range(count)]


def _argument(program: Program, tensor: Tensor, label: str, arguments: list[str]) -> Sym:
    """A value the compiled function takes as an argument."""
    name = program.fresh(label)
    arguments.append(name)
    sym = Sym(program, name, (), tensor.data)
    sym.name = name
    return sym


# ---------------------------------------------------------------- the compiled callable


MAX_TRACES = 64  # signatures kept per compiled function; older ones are dropped


class CompiledFunction:
    """What :func:`compile` returns: call it like the function; read ``.source``.

    A call returns ``(loss, grads)``: the loss as a Tensor and a tuple with the gradient
    of each argument that requires grad. Like ``backward()``, it also adds the gradients
    to the ``.grad`` of those arguments and of the outside tensors the function reads
    (a model's parameters), so an optimizer step works unchanged.
    """

    def __init__(self, fn: Callable[..., Any]) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.name = getattr(fn, "__name__", "compiled")
        if not self.name.isidentifier() or keyword.iskeyword(self.name):
            self.name = "compiled"
        self.traces: dict[tuple[Any, ...], Trace] = {}  # oldest first
        self.warned = False
        self.last: Trace | None = None

    @property
    def source(self) -> str:
        """The generated Python for the most recent signature."""
        if self.last is None:
            raise RuntimeError(f"{self.name} has not been called yet, so it has no source")
        return self.last.source

    def __call__(self, *args: Any) -> tuple[Tensor, tuple[Tensor | None, ...]]:
        tensors = [a if isinstance(a, Tensor) else Tensor._wrap(as_array(a)) for a in args]
        key = tuple([_signature(t) for t in tensors])
        entry = self.traces.get(key)
        if entry is None or not entry.captured_still_fit():
            entry = self.traces[key] = trace(self.fn, tensors, self.name)
            if len(self.traces) > MAX_TRACES:
                self._drop_oldest_trace()
        self.last = entry
        arrays = [tensors[i].data for i in entry.arguments]
        loss, grads = entry.function(*arrays, *[t.data for t in entry.captured])
        receivers = [tensors[i] for i in entry.receivers]
        stored = _store_gradients(receivers + entry.captured, grads)
        return Tensor._wrap(np.asarray(loss)), tuple(stored[: len(receivers)])

    def _drop_oldest_trace(self) -> None:
        del self.traces[next(iter(self.traces))]
        if not self.warned:
            self.warned = True
            warnings.warn(
                f"compile: {self.name} has been traced for more than {MAX_TRACES} input "
                "signatures (shapes, dtypes, requires_grad, integer inputs' values), so "
                "the oldest traces are being dropped. Each new signature costs a trace, "
                "so compiling gains nothing here: keep shapes fixed, and compute a loss "
                "that takes changing integer inputs (labels) in eager mode",
                RuntimeWarning,
                stacklevel=3,
            )


def _signature(t: Tensor) -> tuple[Any, ...]:
    """What a trace depends on: shape, dtype, requires_grad, and integer inputs' values."""
    data = t.data
    if data.dtype.kind == "f":
        return (data.shape, data.dtype, t.requires_grad)
    return (data.shape, data.dtype, t.requires_grad, data.tobytes())


def _store_gradients(
    receivers: Sequence[Tensor], grads: Sequence[np.ndarray | None]
) -> list[Tensor | None]:
    """Add each gradient to its tensor's ``.grad``, as backward() does; each owns its memory."""
    handed_out: set[int] = set()
    stored: list[Tensor | None] = []
    for tensor, g in zip(receivers, grads):
        grad = None if g is None else _final_grad(tensor, g, False, handed_out)
        if grad is not None:
            previous = tensor.grad
            tensor.grad = grad if previous is None else _accumulate(previous, grad)
        stored.append(grad)
    return stored


def compile(fn: Callable[..., Any]) -> CompiledFunction:
    """Compile ``fn`` (tensors in, scalar loss out) into straight-line NumPy with its backward.

    Usable as a decorator. See the module documentation for what is traced.

    Examples:
        >>> import tinygrad_nn as tg
        >>> w = tg.Tensor([2.0], requires_grad=True)
        >>> square = tg.compile(lambda w: (w * w).sum())
        >>> square(w)
        (Tensor(4.), (Tensor([4.]),))
    """
    return CompiledFunction(fn)
