"""How a Tensor behaves in Python: operators, comparisons, conversions, ``repr``.

A mix-in that :class:`tinygrad_nn.Tensor` inherits. Arithmetic operators record an op
from :mod:`tinygrad_nn.ops` through ``apply``. A Python number operand (``x * 2.0``) is
not turned into a tensor: it becomes a constant of the op, takes the tensor's dtype as in
PyTorch, and is drawn inside the op. Comparisons give constant bool tensors.

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> y = x * 2.0
    >>> y.op.parents == (x,), float(y.op.constants[0][1])   # 2.0 is not a node of the graph
    (True, 2.0)
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.dtypes import DTypeLike, as_array, dtype_name
from tinygrad_nn.errors import TracingError
from tinygrad_nn.namespace.array_api import library_name, like, to_numpy
from tinygrad_nn.recording import state as recording

if TYPE_CHECKING:
    from tinygrad_nn.tensor import Tensor

Operand = Any  # a Tensor, a Python number, or anything numpy.asarray accepts


# NumPy ufunc -> (the Tensor operator when a Tensor comes first, the reflected one)
UFUNC_OPERATORS = {
    "add": ("__add__", "__radd__"),
    "subtract": ("__sub__", "__rsub__"),
    "multiply": ("__mul__", "__rmul__"),
    "true_divide": ("__truediv__", "__rtruediv__"),
    "power": ("__pow__", "__rpow__"),
    "matmul": ("__matmul__", "__rmatmul__"),
    "remainder": ("__mod__", "__rmod__"),
    "floor_divide": ("__floordiv__", "__rfloordiv__"),
    "less": ("__lt__", "__gt__"),
    "less_equal": ("__le__", "__ge__"),
    "greater": ("__gt__", "__lt__"),
    "greater_equal": ("__ge__", "__le__"),
    "equal": ("__eq__", "__eq__"),
    "not_equal": ("__ne__", "__ne__"),
}
BITWISE_SYMBOLS = {operator.and_: "&", operator.or_: "|", operator.xor: "^"}
# NumPy ufuncs of one input whose Tensor method is spelt otherwise; any other one runs the
# Tensor method of its own name, when there is one (np.exp(x) is x.exp()).
UFUNC_SPELLINGS = {"negative": "__neg__", "absolute": "abs", "fabs": "abs"}


class TensorOperators:
    """Operators and Python protocols; arithmetic applies one op each."""

    __slots__ = ()

    array: np.ndarray
    requires_grad: bool
    _apply: Callable[..., Tensor]  # apply(op, *inputs): records the op (set by Tensor)
    _wrap: Callable[..., Tensor]  # a constant tensor around an array (set by Tensor)

    grad: Any
    name: str | None
    _ctx: ops.Op | None

    def _check_not_tracing(self, what: str) -> None:
        """Reading a value while ``compile`` traces would bake it into the code: refuse."""
        if recording.tracing:
            raise TracingError(
                f"{what} reads a tensor's value while tinygrad_nn.compile is tracing, so "
                "Python code would depend on it (e.g. an `if` on a tensor); the compiled "
                "code could not follow that choice on the next call. Keep such code outside "
                "the compiled function"
            )

    # ------------------------------------------------------------ NumPy's functions

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """``np.exp(x)``, ``np.maximum(x, y)``, ``array + x``: NumPy's ufuncs on Tensors run the
        Tensor operation (so gradients flow); one with no Tensor counterpart is a clear
        ``TypeError`` naming what to call instead.

        Examples:
            >>> import numpy as np
            >>> import tinygrad_nn as tg
            >>> x = tg.Tensor([0.0, 1.0], requires_grad=True)
            >>> np.exp(x).op.name, (np.ones(2) * x).op.name
            ('exp', 'mul')
        """
        name = ufunc.__name__
        if method == "__call__" and not kwargs:
            if name in UFUNC_OPERATORS and len(inputs) == 2:
                forward, reflected = UFUNC_OPERATORS[name]
                if isinstance(inputs[0], TensorOperators):
                    return getattr(inputs[0], forward)(inputs[1])
                return getattr(inputs[1], reflected)(inputs[0])
            method_name = UFUNC_SPELLINGS.get(name, name)
            if ufunc.nin == ufunc.nout == 1 and callable(getattr(type(self), method_name, None)):
                return getattr(inputs[0], method_name)()
            if name in ("maximum", "minimum") and len(inputs) == 2:
                op = ops.Maximum() if name == "maximum" else ops.Minimum()
                pair = [
                    x if isinstance(x, TensorOperators) else self._wrap(np.asarray(x))
                    for x in inputs
                ]
                return self._apply(op, *pair)
        raise TypeError(
            f"numpy.{name} ({method}{', ' + ', '.join(kwargs) if kwargs else ''}) has no Tensor "
            "counterpart, so no gradient could flow through it; use the Tensor's own "
            "methods (x.exp(), x.sum(), tg.maximum(x, y)...) or call it on x.numpy()"
        )

    # ------------------------------------------------------------ reading values

    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared, not copied). As in PyTorch, a tensor that
        requires grad must be detached first: writing into the array would bypass the graph.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([1.0, 2.0]).numpy()
            array([1., 2.])
        """
        self._check_not_tracing("numpy()")
        if self.requires_grad:  # PyTorch's words
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return to_numpy(self.array)

    def item(self) -> float | int | bool:
        """The single value of a one-element tensor, as a Python number.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([[2.5]]).item()
            2.5
        """
        self._check_not_tracing("item()")
        if (size := math.prod(self.array.shape)) != 1:  # PyTorch's error and wording
            raise RuntimeError(f"a Tensor with {size} elements cannot be converted to Scalar")
        return to_numpy(self.array).item()

    def tolist(self) -> Any:
        """The data as (nested) Python lists.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([[1, 2]]).tolist()
            [[1, 2]]
        """
        self._check_not_tracing("tolist()")
        return to_numpy(self.array).tolist()

    def __array__(self, dtype: DTypeLike = None, copy: bool | None = None) -> np.ndarray:
        self._check_not_tracing("numpy.asarray()")
        return np.asarray(to_numpy(self.array), dtype=dtype)

    def __repr__(self) -> str:
        body = np.array2string(to_numpy(self.array), separator=", ", prefix="Tensor(")
        extras = []
        if dtype_name(self.array) not in ("float64", "int64", "bool"):
            extras.append(f"dtype={self.array.dtype}")
        if type(self.array) is not np.ndarray:
            extras.append(f"library={library_name(self.array)}")
        if self._ctx is not None:
            extras.append(f"op={self._ctx.name}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return "Tensor(" + ", ".join([body, *extras]) + ")"

    # ------------------------------------------------------------ arithmetic

    def _binary(self, op: ops.Op, other: Operand, reflected: bool = False) -> Tensor:
        """``self op other`` (``other op self`` when reflected).

        A Python number becomes a constant of the op. NumPy treats it as a "weak" scalar
        that takes the tensor's dtype (``float32 * 2.0`` stays float32), as PyTorch does;
        a NumPy scalar (``np.sqrt(2.0)``) is taken as that Python number, as PyTorch does.
        """
        if not isinstance(other, TensorOperators):
            kind = type(other)
            if kind is float or kind is int or kind is bool:
                return self._apply(op, self, constants=((0 if reflected else 1, other),))
            if isinstance(other, np.generic) and other.dtype.kind in "biuf":
                return self._binary(op, other.item(), reflected)
            try:  # other data: a constant tensor of the graph, in this tensor's library
                other = self._wrap(like(as_array(other), self.array))
            except TypeError:
                return NotImplemented  # Python then names the operator and both types
        return self._apply(op, other, self) if reflected else self._apply(op, self, other)

    def __add__(self, other: Operand) -> Tensor:
        return self._binary(ops.Add(), other)

    def __radd__(self, other: Operand) -> Tensor:
        return self._binary(ops.Add(), other, reflected=True)

    def __sub__(self, other: Operand) -> Tensor:
        return self._binary(ops.Sub(), other)

    def __rsub__(self, other: Operand) -> Tensor:
        return self._binary(ops.Sub(), other, reflected=True)

    def __mul__(self, other: Operand) -> Tensor:
        return self._binary(ops.Mul(), other)

    def __rmul__(self, other: Operand) -> Tensor:
        return self._binary(ops.Mul(), other, reflected=True)

    def __truediv__(self, other: Operand) -> Tensor:
        return self._binary(ops.Div(), other)

    def __rtruediv__(self, other: Operand) -> Tensor:
        return self._binary(ops.Div(), other, reflected=True)

    def __pow__(self, other: Operand) -> Tensor:
        return self._binary(ops.Pow(), other)

    def __rpow__(self, other: Operand) -> Tensor:
        return self._binary(ops.Pow(), other, reflected=True)

    def __mod__(self, other: Operand) -> Tensor:
        return self._binary(ops.Remainder(), other)

    def __rmod__(self, other: Operand) -> Tensor:
        return self._binary(ops.Remainder(), other, reflected=True)

    def __floordiv__(self, other: Operand) -> Tensor:
        return self._constant_result(operator.floordiv, other)  # not differentiable

    def __rfloordiv__(self, other: Operand) -> Tensor:
        return self._constant_result(operator.floordiv, other, reflected=True)

    def __matmul__(self, other: Operand) -> Tensor:
        return self._binary(ops.MatMul(), other)

    def __rmatmul__(self, other: Operand) -> Tensor:
        return self._binary(ops.MatMul(), other, reflected=True)

    def __neg__(self) -> Tensor:
        return self._apply(ops.Neg(), self)

    def __pos__(self) -> Tensor:
        return self  # type: ignore[return-value]

    def __len__(self) -> int:
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.array)

    def __bool__(self) -> bool:
        self._check_not_tracing("bool()")
        if math.prod(self.array.shape) != 1:
            raise RuntimeError(
                f"the truth value of a tensor with shape {self.array.shape} is ambiguous; "
                "use .any() or .all() on the data"
            )
        return bool(self.array)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    # Comparisons (and floor division) give constant tensors: they are not differentiable.

    def _constant_result(
        self, function: Callable[[Any, Any], Any], other: Operand, reflected: bool = False
    ) -> Tensor:
        if isinstance(other, TensorOperators):
            value = other.array
            if other.requires_grad:
                self._check_not_tracing(f"comparison {function.__name__}")
        elif type(other) in (float, int, bool):  # a weak scalar, as in arithmetic
            value = other
        else:
            try:
                value = as_array(other)
            except TypeError:
                return NotImplemented
        if self.requires_grad:
            self._check_not_tracing(f"comparison {function.__name__}")
        pair = (value, self.array) if reflected else (self.array, value)
        result = function(*pair)  # the array's own operator: any array library
        return self._wrap(np.asarray(result) if isinstance(result, np.generic) else result)

    def __lt__(self, other: Operand) -> Tensor:
        return self._constant_result(operator.lt, other)

    def __le__(self, other: Operand) -> Tensor:
        return self._constant_result(operator.le, other)

    def __gt__(self, other: Operand) -> Tensor:
        return self._constant_result(operator.gt, other)

    def __ge__(self, other: Operand) -> Tensor:
        return self._constant_result(operator.ge, other)

    def __eq__(self, other: Operand) -> Tensor:  # type: ignore[override]
        return self._constant_result(operator.eq, other)

    def __ne__(self, other: Operand) -> Tensor:  # type: ignore[override]
        return self._constant_result(operator.ne, other)

    def _bitwise(
        self, function: Callable[[Any, Any], Any], other: Operand, reflected: bool = False
    ) -> Tensor:
        """``&``, ``|``, ``^`` of bool or integer tensors. A Python int wraps into an integer
        tensor's dtype, as in PyTorch (``int32 | 0xFFFFFFFF`` is -1), where NumPy refuses it."""
        symbol = BITWISE_SYMBOLS[function]
        data = self.array
        if isinstance(data, np.ndarray) and data.dtype.kind not in "biu":
            raise TypeError(
                f"bitwise {symbol}: needs bool or integer tensors, got {data.dtype} (as in "
                "PyTorch); compare first (x > 0) or convert (x.long())"
            )
        if type(other) is int and isinstance(data, np.ndarray) and data.dtype.kind in "iu":
            if not -(2**63) <= other < 2**64:
                raise OverflowError(
                    f"bitwise {symbol}: the Python integer {other} does not fit in 64 bits, "
                    f"so it cannot wrap into the tensor's {data.dtype}"
                )
            # its low bits, in the tensor's dtype: NumPy's casts keep them, as C's do
            other = np.asarray(other % 2**64, dtype=np.uint64).astype(data.dtype)
        return self._constant_result(function, other, reflected)

    def __and__(self, other: Operand) -> Tensor:
        """Elementwise "and" of boolean tensors (masks), as in PyTorch and NumPy."""
        return self._bitwise(operator.and_, other)

    def __rand__(self, other: Operand) -> Tensor:
        return self._bitwise(operator.and_, other, reflected=True)

    def __or__(self, other: Operand) -> Tensor:
        """Elementwise "or" of boolean tensors (bitwise of integer ones)."""
        return self._bitwise(operator.or_, other)

    def __ror__(self, other: Operand) -> Tensor:
        return self._bitwise(operator.or_, other, reflected=True)

    def __xor__(self, other: Operand) -> Tensor:
        """Elementwise "exclusive or" of boolean tensors (bitwise of integer ones)."""
        return self._bitwise(operator.xor, other)

    def __rxor__(self, other: Operand) -> Tensor:
        return self._bitwise(operator.xor, other, reflected=True)

    def __invert__(self) -> Tensor:
        """Elementwise "not" of a boolean tensor (bitwise not of an integer one)."""
        return self._wrap(~self.array)
