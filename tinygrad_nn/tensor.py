"""``Tensor``: a NumPy array that remembers how it was computed, so it can be differentiated.

A tensor made by an operation keeps a link to that operation (an :class:`~tinygrad_nn.ops.Op`
holding the input tensors); following those links backwards from a result is the
computation graph that :meth:`Tensor.backward` walks.

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    Tensor([2., 4., 6.])
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.grad_mode import _state
from tinygrad_nn.xp import numpy_xp

DTypeLike = Any  # anything numpy.dtype() accepts: np.float32, "float64", ...
Operand = Any  # a Tensor, a Python number, or anything numpy.asarray accepts

_NUMERIC_KINDS = "biuf"  # bool, signed int, unsigned int, float

# Every tensor gets the next number when it is made. A result is always made after its
# inputs, so sorting a graph's tensors by this number lists every input before its uses:
# a topological order for free.
_creation_counter = itertools.count()


def as_array(data: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> np.ndarray:
    """Turn ``data`` into a numeric ndarray (a copy), or raise ``TypeError`` naming what it is.

    Float data keeps its precision; integer and bool data become float64 when they must
    require grad, as only floating point values can be differentiated.

    Examples:
        >>> as_array([1, 2], requires_grad=True).dtype
        dtype('float64')
    """
    if isinstance(data, Tensor):
        data = data.data
    try:
        array = np.array(data, dtype=dtype)
    except (ValueError, TypeError) as error:
        raise TypeError(
            f"Tensor data must be numeric and rectangular; got {type(data).__name__} "
            f"{_preview(data)} ({error})"
        ) from None
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(
            f"Tensor data must be numeric (bool, int or float); got {type(data).__name__} "
            f"{_preview(data)} with dtype {array.dtype}"
        )
    if requires_grad and array.dtype.kind != "f":
        if dtype is not None:
            raise TypeError(
                f"only floating point tensors can require grad; dtype {array.dtype} was asked for"
            )
        array = array.astype(np.float64)
    return array


def _preview(data: Any) -> str:
    text = repr(data)
    return text if len(text) <= 40 else text[:37] + "..."


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    Args:
        data: numbers, nested lists or an ndarray (copied). Float data keeps its dtype
            (float64 by default); int and bool data stay as they are unless
            ``requires_grad`` is set, which makes them float64.
        requires_grad: record operations on this tensor so gradients can flow back to it.
        dtype: the NumPy dtype to store, e.g. ``np.float32`` or ``"float32"``.
        name: a label used when the graph is drawn or explained.

    Examples:
        >>> import tinygrad_nn as tg
        >>> w = tg.Tensor([[1.0], [2.0]], requires_grad=True, name="w")
        >>> x = tg.Tensor([[3.0, 4.0]])
        >>> loss = (x @ w).sum()
        >>> loss.backward()
        >>> w.grad
        Tensor([[3.],
                [4.]])
    """

    __slots__ = (
        "__weakref__",
        "_ctx",
        "_retains_grad",
        "_seq",
        "data",
        "grad",
        "name",
        "requires_grad",
    )
    __array_ufunc__ = None  # ``ndarray + Tensor`` defers to Tensor.__radd__, giving a Tensor
    __hash__ = object.__hash__  # == is elementwise, so hashing is by identity

    data: np.ndarray
    grad: Tensor | None
    requires_grad: bool
    name: str | None
    _ctx: ops.Op | None
    _retains_grad: bool
    _seq: int

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: DTypeLike = None,
        name: str | None = None,
    ) -> None:
        self.data = as_array(data, dtype, requires_grad)
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self.name = name
        self._ctx = None
        self._retains_grad = False
        self._seq = next(_creation_counter)

    @classmethod
    def _wrap(
        cls, data: np.ndarray, requires_grad: bool = False, ctx: ops.Op | None = None
    ) -> Tensor:
        """Make a tensor around ``data`` without copying or checking it (for the engine)."""
        t = object.__new__(cls)
        t.data = data
        t.requires_grad = requires_grad
        t.grad = None
        t.name = None
        t._ctx = ctx
        t._retains_grad = False
        t._seq = next(_creation_counter)
        return t

    # ------------------------------------------------------------ array facts

    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape, as in NumPy."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements."""
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of the data."""
        return self.data.dtype

    @property
    def op(self) -> ops.Op | None:
        """The operation that made this tensor (None for a leaf). ``op.parents`` are its inputs.

        Examples:
            >>> import tinygrad_nn as tg
            >>> a = tg.Tensor(2.0, requires_grad=True)
            >>> (a * 3).op
            Mul()
        """
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by a recorded operation.

        Examples:
            >>> import tinygrad_nn as tg
            >>> a = tg.Tensor(2.0, requires_grad=True)
            >>> a.is_leaf, (a * 3).is_leaf
            (True, False)
        """
        return self._ctx is None

    def _check_not_tracing(self, what: str) -> None:
        """Reading a value while ``compile`` traces would bake it into the code: refuse."""
        if _state.tracing:
            from tinygrad_nn.compiler import TracingError

            raise TracingError(
                f"{what} reads a tensor's value while tinygrad_nn.compile is tracing, so "
                "Python code would depend on it (e.g. an `if` on a tensor); the compiled "
                "code could not follow that choice on the next call. Keep such code outside "
                "the compiled function"
            )

    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared, not copied).

        Examples:
            >>> Tensor([1.0, 2.0]).numpy()
            array([1., 2.])
        """
        self._check_not_tracing("numpy()")
        return self.data

    def item(self) -> float | int | bool:
        """The single value of a one-element tensor, as a Python number.

        Examples:
            >>> Tensor([[2.5]]).item()
            2.5
        """
        self._check_not_tracing("item()")
        if self.data.size != 1:
            raise ValueError(
                f"item(): only one-element tensors can be converted to a Python number; "
                f"this one has shape {self.shape}"
            )
        return self.data.item()

    def tolist(self) -> Any:
        """The data as (nested) Python lists.

        Examples:
            >>> Tensor([[1, 2]]).tolist()
            [[1, 2]]
        """
        self._check_not_tracing("tolist()")
        return self.data.tolist()

    def __array__(self, dtype: DTypeLike = None, copy: bool | None = None) -> np.ndarray:
        self._check_not_tracing("numpy.asarray()")
        return np.asarray(self.data, dtype=dtype)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        self._check_not_tracing("bool()")
        if self.data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with shape {self.shape} is ambiguous; "
                "use .any() or .all() on the data"
            )
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extras = []
        if self.dtype not in (np.float64, np.int64, np.bool_):
            extras.append(f"dtype={self.dtype}")
        if self._ctx is not None:
            extras.append(f"op={self._ctx.name}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return "Tensor(" + ", ".join([body, *extras]) + ")"

    # ------------------------------------------------------------ autograd

    def backward(
        self,
        grad: Operand = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
    ) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires grad.

        Gradients are added to each leaf's ``.grad`` (they accumulate across calls, as in
        PyTorch; zero them between steps). The graph's saved arrays are then released
        unless ``retain_graph`` is true (it defaults to ``create_graph``).

        Args:
            grad: the upstream gradient, shaped like this tensor. May be omitted only when
                this tensor has a single element (then it is 1).
            retain_graph: keep the graph so backward can run through it again.
            create_graph: record the backward pass too, so gradients can be differentiated.

        Examples:
            >>> import tinygrad_nn as tg
            >>> x = tg.Tensor(3.0, requires_grad=True)
            >>> (x ** 2).backward()
            >>> x.grad
            Tensor(6.)
        """
        autograd.backward([self], [grad], retain_graph, create_graph)

    def detach(self) -> Tensor:
        """A tensor with the same data (shared) that is cut off from the graph.

        Examples:
            >>> w = Tensor([1.0], requires_grad=True)
            >>> (w * 2).detach().requires_grad
            False
        """
        return Tensor._wrap(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` on a leaf in place and return it.

        Examples:
            >>> Tensor([1, 2]).requires_grad_().dtype  # integer data becomes float64
            dtype('float64')
        """
        if self._ctx is not None:
            raise RuntimeError(
                "requires_grad can only be changed on leaf tensors; use .detach() to make one"
            )
        if requires_grad and self.dtype.kind != "f":
            self.data = self.data.astype(np.float64)
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> Tensor:
        """Keep this non-leaf tensor's gradient in ``.grad`` during backward.

        Examples:
            >>> import tinygrad_nn as tg
            >>> x = tg.Tensor(2.0, requires_grad=True)
            >>> h = (x * 3).retain_grad()
            >>> (h * h).backward()
            >>> h.grad
            Tensor(12.)
        """
        if self.requires_grad:
            self._retains_grad = True
        return self

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (set ``.grad`` to None).

        Examples:
            >>> w = Tensor([1.0], requires_grad=True)
            >>> (w * 2).sum().backward()
            >>> w.zero_grad()
            >>> w.grad is None
            True
        """
        self.grad = None

    # ------------------------------------------------------------ arithmetic

    def _operand(self, other: Operand) -> Tensor:
        """``other`` as a Tensor; a Python number takes this tensor's dtype, as in PyTorch."""
        if isinstance(other, Tensor):
            return other
        kind = type(other)
        if kind is float or kind is int or kind is bool:
            dtype = self.data.dtype
            if dtype.kind != "f":  # an int tensor and a float: NumPy's promotion rules
                dtype = np.result_type(dtype, other)
            return Tensor._wrap(np.array(other, dtype))
        return Tensor._wrap(as_array(other))

    def __add__(self, other: Operand) -> Tensor:
        return apply(ops.Add(), self, self._operand(other))

    def __radd__(self, other: Operand) -> Tensor:
        return apply(ops.Add(), self._operand(other), self)

    def __sub__(self, other: Operand) -> Tensor:
        return apply(ops.Sub(), self, self._operand(other))

    def __rsub__(self, other: Operand) -> Tensor:
        return apply(ops.Sub(), self._operand(other), self)

    def __mul__(self, other: Operand) -> Tensor:
        return apply(ops.Mul(), self, self._operand(other))

    def __rmul__(self, other: Operand) -> Tensor:
        return apply(ops.Mul(), self._operand(other), self)

    def __truediv__(self, other: Operand) -> Tensor:
        return apply(ops.Div(), self, self._operand(other))

    def __rtruediv__(self, other: Operand) -> Tensor:
        return apply(ops.Div(), self._operand(other), self)

    def __pow__(self, other: Operand) -> Tensor:
        if isinstance(other, (int, float)) and not isinstance(other, (bool, np.generic)):
            return apply(ops.PowScalar(other), self)
        return apply(ops.Pow(), self, self._operand(other))

    def __rpow__(self, other: Operand) -> Tensor:
        return apply(ops.Pow(), self._operand(other), self)

    def __matmul__(self, other: Operand) -> Tensor:
        return apply(ops.MatMul(), self, self._operand(other))

    def __rmatmul__(self, other: Operand) -> Tensor:
        return apply(ops.MatMul(), self._operand(other), self)

    def __neg__(self) -> Tensor:
        return apply(ops.Neg(), self)

    def __pos__(self) -> Tensor:
        return self

    # In-place operators change ``data`` (never the arrays a graph saved) and keep the dtype.
    # They are for updates outside the graph, e.g. an optimizer step under ``no_grad``.

    def _inplace(self, ufunc: np.ufunc, other: Operand, symbol: str) -> Tensor:
        if self.requires_grad and _state.enabled:
            raise RuntimeError(
                f"in-place {symbol} on a tensor that requires grad would bypass the graph; "
                "do it inside `with tg.no_grad():` (as an optimizer step does)"
            )
        value = other.data if isinstance(other, Tensor) else other
        try:
            result = ufunc(self.data, value, out=np.empty_like(self.data), casting="same_kind")
        except (ValueError, TypeError) as error:
            raise type(error)(f"in-place {symbol} on shape {self.shape}: {error}") from None
        self.data = result
        return self

    def __iadd__(self, other: Operand) -> Tensor:
        return self._inplace(np.add, other, "+=")

    def __isub__(self, other: Operand) -> Tensor:
        return self._inplace(np.subtract, other, "-=")

    def __imul__(self, other: Operand) -> Tensor:
        return self._inplace(np.multiply, other, "*=")

    def __itruediv__(self, other: Operand) -> Tensor:
        return self._inplace(np.true_divide, other, "/=")

    # Comparisons give bool tensors that are constants: they are not differentiable.

    def _compare(self, ufunc: np.ufunc, other: Operand) -> Tensor:
        try:
            operand = self._operand(other)
        except TypeError:
            return NotImplemented
        if self.requires_grad or operand.requires_grad:
            self._check_not_tracing(f"comparison with {ufunc.__name__}")
        value = operand.data
        return Tensor._wrap(np.asarray(ufunc(self.data, value)))

    def __lt__(self, other: Operand) -> Tensor:
        return self._compare(np.less, other)

    def __le__(self, other: Operand) -> Tensor:
        return self._compare(np.less_equal, other)

    def __gt__(self, other: Operand) -> Tensor:
        return self._compare(np.greater, other)

    def __ge__(self, other: Operand) -> Tensor:
        return self._compare(np.greater_equal, other)

    def __eq__(self, other: Operand) -> Tensor:  # type: ignore[override]
        return self._compare(np.equal, other)

    def __ne__(self, other: Operand) -> Tensor:  # type: ignore[override]
        return self._compare(np.not_equal, other)

    # ------------------------------------------------------------ elementwise functions

    def exp(self) -> Tensor:
        """e to the power of each element.  d/dx exp(x) = exp(x)

        Examples:
            >>> Tensor([0.0, 1.0]).exp()
            Tensor([1.        , 2.71828183])
        """
        return apply(ops.Exp(), self)

    def log(self) -> Tensor:
        """Natural logarithm.  d/dx log(x) = 1 / x

        Examples:
            >>> Tensor([1.0]).log()
            Tensor([0.])
        """
        return apply(ops.Log(), self)

    def sqrt(self) -> Tensor:
        """Square root.  d/dx sqrt(x) = 1 / (2 sqrt(x))

        Examples:
            >>> Tensor([4.0]).sqrt()
            Tensor([2.])
        """
        return apply(ops.Sqrt(), self)

    def abs(self) -> Tensor:
        """Absolute value.  d/dx |x| = sign(x)

        Examples:
            >>> Tensor([-2.0, 3.0]).abs()
            Tensor([2., 3.])
        """
        return apply(ops.Abs(), self)

    def __abs__(self) -> Tensor:
        return self.abs()

    def tanh(self) -> Tensor:
        """Hyperbolic tangent.  d/dx tanh(x) = 1 - tanh(x)**2

        Examples:
            >>> Tensor([0.0]).tanh()
            Tensor([0.])
        """
        return apply(ops.Tanh(), self)

    def sigmoid(self) -> Tensor:
        """The logistic function 1 / (1 + exp(-x)).  d/dx = sigmoid(x) (1 - sigmoid(x))

        Examples:
            >>> Tensor([0.0, -1000.0, 1000.0]).sigmoid()
            Tensor([0.5, 0. , 1. ])
        """
        return apply(ops.Sigmoid(), self)

    def relu(self) -> Tensor:
        """max(x, 0).  d/dx = 1 where x > 0, else 0

        Examples:
            >>> Tensor([-1.0, 2.0]).relu()
            Tensor([0., 2.])
        """
        return apply(ops.Relu(), self)

    def clip(self, lo: float | None = None, hi: float | None = None) -> Tensor:
        """Limit values to [lo, hi] (either may be None).  d/dx = 1 inside, 0 outside

        Examples:
            >>> Tensor([-2.0, 0.5, 2.0]).clip(-1, 1)
            Tensor([-1. ,  0.5,  1. ])
        """
        if lo is None and hi is None:
            raise ValueError("clip: at least one of lo and hi must be given")
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"clip: lo={lo} is greater than hi={hi}")
        return apply(ops.Clip(lo, hi), self)

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(x) / sum(exp(x)) along ``axis``; safe for large inputs.

        Examples:
            >>> Tensor([0.0, 0.0]).softmax()
            Tensor([0.5, 0.5])
        """
        return apply(ops.Softmax(axis), self)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """log(softmax(x)) along ``axis``, computed without overflow or log(0).

        Examples:
            >>> Tensor([0.0, 0.0]).log_softmax().exp()
            Tensor([0.5, 0.5])
        """
        return apply(ops.LogSoftmax(axis), self)

    def astype(self, dtype: DTypeLike) -> Tensor:
        """The same values in another dtype; gradients flow back in the original dtype.

        Examples:
            >>> Tensor([1.0]).astype("float32").dtype
            dtype('float32')
        """
        return apply(ops.Cast(np.dtype(dtype)), self)

    # ------------------------------------------------------------ reductions

    def sum(self, axis: ops.Axis = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes when None).

        Examples:
            >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).sum(axis=0)
            Tensor([4., 6.])
        """
        return apply(ops.Sum(axis, keepdims), self)

    def mean(self, axis: ops.Axis = None, keepdims: bool = False) -> Tensor:
        """Average over ``axis`` (all axes when None).

        Examples:
            >>> Tensor([1.0, 2.0, 6.0]).mean()
            Tensor(3.)
        """
        return apply(ops.Mean(axis, keepdims), self)

    def max(self, axis: ops.Axis = None, keepdims: bool = False) -> Tensor:
        """Largest value over ``axis``; tied maxima share the gradient equally.

        Examples:
            >>> Tensor([1.0, 5.0, 2.0]).max()
            Tensor(5.)
        """
        return apply(ops.Max(axis, keepdims), self)

    def min(self, axis: ops.Axis = None, keepdims: bool = False) -> Tensor:
        """Smallest value over ``axis``; tied minima share the gradient equally.

        Examples:
            >>> Tensor([1.0, 5.0, 2.0]).min()
            Tensor(1.)
        """
        return apply(ops.Min(axis, keepdims), self)

    # ------------------------------------------------------------ shape

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """The same values in a new shape: ``reshape(2, 3)`` or ``reshape((2, 3))``.

        Examples:
            >>> Tensor([1.0, 2.0, 3.0, 4.0]).reshape(2, 2)
            Tensor([[1., 2.],
                    [3., 4.]])
        """
        new_shape = _shape_argument(shape)
        return apply(ops.Reshape(new_shape), self)

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        """Permute the axes (reverse them when none are given).

        Examples:
            >>> Tensor([[1.0, 2.0]]).transpose().shape
            (2, 1)
        """
        order = _shape_argument(axes) if axes else None
        return apply(ops.Transpose(order), self)

    @property
    def T(self) -> Tensor:
        """The transpose: axes reversed, as ``numpy.ndarray.T``."""
        return self.transpose()

    def __getitem__(self, index: Any) -> Tensor:
        """Basic slicing and integer-array indexing, as in NumPy.

        In the gradient, positions picked more than once receive the sum of their
        gradients.

        Examples:
            >>> import tinygrad_nn as tg
            >>> x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
            >>> x[[0, 0, 2]].sum().backward()
            >>> x.grad
            Tensor([2., 0., 1.])
        """
        return apply(ops.GetItem(_plain_index(index)), self)


def _shape_argument(args: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept both ``f(2, 3)`` and ``f((2, 3))``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    return tuple(int(a) for a in args)


def _plain_index(index: Any) -> Any:
    """Replace Tensors and lists inside an index by arrays NumPy understands."""
    if isinstance(index, tuple):
        return tuple(_plain_index(part) for part in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


# ---------------------------------------------------------------- recording operations


def apply(op: ops.Op, *inputs: Tensor) -> Tensor:
    """Run ``op`` forward on the inputs' data and, when needed, record it in the graph.

    The op is recorded only if gradient recording is on and some input requires grad.
    If the forward fails (mismatched shapes, bad axis...), the error names the op and
    the shapes, and nothing is recorded.

    Examples:
        >>> import tinygrad_nn as tg
        >>> from tinygrad_nn import ops
        >>> apply(ops.Mul(), tg.Tensor(2.0), tg.Tensor(4.0))
        Tensor(8.)
    """
    arrays = [t.data for t in inputs]
    try:
        out = op.forward(numpy_xp, *arrays)
    except (ValueError, IndexError, TypeError) as error:
        raise _op_error(op, arrays, error) from None
    if type(out) is not np.ndarray:  # NumPy returns scalars for 0-d results
        out = np.asarray(out)
    if _state.enabled:
        for t in inputs:
            if t.requires_grad:  # record the op: it becomes the result's link to its inputs
                op.parents = inputs
                op.saved = (*arrays, out)
                op.scope = _state.scope  # inside which module calls (for drawing)
                return Tensor._wrap(out, True, op)
    return Tensor._wrap(out)


def _op_error(op: ops.Op, arrays: list[np.ndarray], error: Exception) -> Exception:
    shapes = " and ".join(str(a.shape) for a in arrays)
    params = ", ".join(f"{k}={v!r}" for k, v in op.params.items() if k != "condition")
    call = f"{op.name}({params})" if params else op.name
    kind: type[Exception] = ValueError
    if isinstance(error, TypeError):
        kind = TypeError
    elif isinstance(error, IndexError) and not isinstance(error, ValueError):
        kind = IndexError
    return kind(f"{call}: cannot apply to shape{'s' if len(arrays) > 1 else ''} {shapes}: {error}")


def _as_tensor(value: Operand) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor._wrap(as_array(value))


def _as_tensors(a: Operand, b: Operand) -> tuple[Tensor, Tensor]:
    """Both operands as Tensors; a Python number takes the dtype of the other, a Tensor."""
    if isinstance(a, Tensor):
        return a, a._operand(b)
    if isinstance(b, Tensor):
        return b._operand(a), b
    return _as_tensor(a), _as_tensor(b)


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis, as ``numpy.concatenate``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.concatenate([tg.Tensor([1.0]), tg.Tensor([2.0, 3.0])])
        Tensor([1., 2., 3.])
    """
    if len(tensors) == 0:
        raise ValueError("concatenate: need at least one tensor")
    return apply(ops.Concatenate(axis), *(_as_tensor(t) for t in tensors))


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis, as ``numpy.stack``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.stack([tg.Tensor([1.0, 2.0]), tg.Tensor([3.0, 4.0])]).shape
        (2, 2)
    """
    if len(tensors) == 0:
        raise ValueError("stack: need at least one tensor")
    return apply(ops.Stack(axis), *(_as_tensor(t) for t in tensors))


def where(condition: Operand, a: Operand, b: Operand) -> Tensor:
    """``a`` where ``condition`` is true, else ``b`` (broadcasting), as ``numpy.where``.

    The condition is a constant: gradients flow to ``a`` and ``b`` only.

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.Tensor([-1.0, 2.0])
        >>> tg.where(x > 0, x, 0.0)
        Tensor([0., 2.])
    """
    mask = as_array(condition).astype(bool)
    return apply(ops.Where(mask), *_as_tensors(a, b))


def maximum(a: Operand, b: Operand) -> Tensor:
    """Elementwise larger of ``a`` and ``b``; a tie sends half the gradient to each.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.maximum(tg.Tensor([1.0, 5.0]), 3.0)
        Tensor([3., 5.])
    """
    return apply(ops.Maximum(), *_as_tensors(a, b))


def minimum(a: Operand, b: Operand) -> Tensor:
    """Elementwise smaller of ``a`` and ``b``; a tie sends half the gradient to each.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.minimum(tg.Tensor([1.0, 5.0]), 3.0)
        Tensor([1., 3.])
    """
    return apply(ops.Minimum(), *_as_tensors(a, b))


# The backward pass (autograd.py) is built on this module, so it is imported last: an
# import inside Tensor.backward would cost more than a small op's whole backward step.
from tinygrad_nn import autograd  # noqa: E402
