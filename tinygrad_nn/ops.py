"""The op catalogue: each differentiable operation, forward and backward side by side.

Every op is a small class. ``forward(xp, *inputs)`` computes the output;
``backward(xp, g, *inputs, z)`` receives the upstream gradient ``g`` (shaped like the
output ``z``), the op's inputs and its output, and returns one gradient per input — the
vector-Jacobian product of the chain rule. The first line of each docstring is the
op's formula; tools such as :mod:`tinygrad_nn.viz` show it.

The rules are written against an array namespace ``xp`` (see :mod:`tinygrad_nn.xp`), so
one rule is evaluated in three ways: on NumPy arrays for plain gradients, with Tensor
operations so that gradients are themselves differentiable (``create_graph=True``), and
with symbolic values that write the straight-line source of ``tinygrad_nn.compile``.
The derivatives in the formula (after the ``;``) label the edges of drawn graphs.

Gradients may come back broadcast (shaped like ``z``, not like the input); the engine sums
them back to each input's shape once, so the rules below never have to.

Examples:
    >>> import numpy as np
    >>> from tinygrad_nn.xp import numpy_xp
    >>> op = Mul()
    >>> x, y = np.array([2.0]), np.array([5.0])
    >>> z = op.forward(numpy_xp, x, y)
    >>> op.backward(numpy_xp, np.ones(1), x, y, z)
    (array([5.]), array([2.]))
    >>> op.formula
    'z = x * y;  dz/dx = y,  dz/dy = x'
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from tinygrad_nn.xp import Index

if TYPE_CHECKING:
    from tinygrad_nn.tensor import Tensor

Axis = int | tuple[int, ...] | None
Shape = tuple[int, ...]


class Op:
    """One differentiable operation, and (once applied) its node in the graph.

    After :func:`tinygrad_nn.tensor.apply` records an op, it holds:

    - ``parents``: the input Tensors (``None`` once the graph is freed);
    - ``saved``: the input arrays and the output array kept for backward;
    - ``scope``: the ``nn.Module`` calls it was made in (drawn as clusters).
    """

    name: ClassVar[str] = "op"
    param_names: ClassVar[tuple[str, ...]] = ()

    parents: tuple[Tensor, ...] | None = None
    saved: tuple[np.ndarray, ...] | None = None
    scope: tuple[Any, ...] = ()  # the nn.Module calls that made this op, outermost first

    def forward(self, xp: Any, *inputs: Any) -> Any:
        raise NotImplementedError

    def backward(self, xp: Any, g: Any, *args: Any) -> tuple[Any, ...]:
        raise NotImplementedError

    @property
    def formula(self) -> str:
        """The op's formula: the first line of its class docstring."""
        return (type(self).__doc__ or self.name).strip().splitlines()[0]

    @property
    def definition(self) -> str:
        """What the op computes: the formula's part before the derivatives (``z = x * y``)."""
        return self.formula.split(";  ")[0].split("  (")[0]

    def local_derivatives(self, inputs: int) -> list[str]:
        """The formula's derivative for each of ``inputs`` inputs (``dz/dx = y``, ...)."""
        text = self.formula.split(";  ", 1)[-1].split("  (")[0].strip()
        parts = [part.strip() for part in text.split(",  ")]
        return parts if len(parts) == inputs else [parts[0]] * inputs

    @property
    def params(self) -> dict[str, Any]:
        """The op's constant arguments (axis, exponent, shape...), by name."""
        return {key: getattr(self, key) for key in self.param_names}

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """For each input, whether it wants a gradient (so a rule can skip costly ones)."""
        return tuple([p.requires_grad for p in self.parents or ()])

    @property
    def freed(self) -> bool:
        """True once a backward pass released this node's saved arrays."""
        return self.parents is None

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"


def _axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    """Normalise ``axis`` (None, int or tuple, negatives allowed) to sorted positive axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of bounds for an array of dimension {ndim}")
    return tuple(sorted(int(a) % max(ndim, 1) for a in axes))


def _kept_shape(x: Any, axis: Axis) -> Shape:
    """``x.shape`` with the reduced axes kept as size 1 (what ``keepdims=True`` gives)."""
    if axis is None:
        return (1,) * x.ndim
    axes = _axes(axis, x.ndim)
    return tuple(1 if i in axes else n for i, n in enumerate(x.shape))


# ---------------------------------------------------------------- elementwise, binary


class Add(Op):
    """z = x + y;  dz/dx = 1,  dz/dy = 1"""

    name = "add"

    def forward(self, xp: Any, x: Any, y: Any) -> Any:
        return x + y

    def backward(self, xp: Any, g: Any, x: Any, y: Any, z: Any) -> tuple[Any, ...]:
        return g, g


class Sub(Op):
    """z = x - y;  dz/dx = 1,  dz/dy = -1"""

    name = "sub"

    def forward(self, xp: Any, x: Any, y: Any) -> Any:
        return x - y

    def backward(self, xp: Any, g: Any, x: Any, y: Any, z: Any) -> tuple[Any, ...]:
        return g, -g


class Mul(Op):
    """z = x * y;  dz/dx = y,  dz/dy = x"""

    name = "mul"

    def forward(self, xp: Any, x: Any, y: Any) -> Any:
        return x * y

    def backward(self, xp: Any, g: Any, x: Any, y: Any, z: Any) -> tuple[Any, ...]:
        return g * y, g * x


class Div(Op):
    """z = x / y;  dz/dx = 1 / y,  dz/dy = -x / y**2 = -z / y"""

    name = "div"

    def forward(self, xp: Any, x: Any, y: Any) -> Any:
        return x / y

    def backward(self, xp: Any, g: Any, x: Any, y: Any, z: Any) -> tuple[Any, ...]:
        gx = g / y
        return gx, -gx * z


class Pow(Op):
    """z = x ** y;  dz/dx = y * x**(y - 1),  dz/dy = z * log(x)"""

    name = "pow"

    def forward(self, xp: Any, x: Any, y: Any) -> Any:
        return x**y

    def backward(self, xp: Any, g: Any, x: Any, y: Any, z: Any) -> tuple[Any, ...]:
        need_x, need_y = self.needs_input_grad
        gx = g * y * x ** (y - 1) if need_x else None
        gy = g * z * xp.log(x) if need_y else None  # only when the exponent needs it
        return gx, gy


class Maximum(Op):
    """z = maximum(x, y);  dz/dx = [x > y],  dz/dy = [y > x]  (a tie sends half to each)"""

    name = "maximum"

    def forward(self, xp: Any, x: Any, y: Any) -> Any:
        return xp.maximum(x, y)

    def backward(self, xp: Any, g: Any, x: Any, y: Any, z: Any) -> tuple[Any, ...]:
        half = g * 0.5
        tie = x == y
        return xp.where(tie, half, xp.where(x > y, g, 0)), xp.where(
            tie, half, xp.where(y > x, g, 0)
        )


class Minimum(Op):
    """z = minimum(x, y);  dz/dx = [x < y],  dz/dy = [y < x]  (a tie sends half to each)"""

    name = "minimum"

    def forward(self, xp: Any, x: Any, y: Any) -> Any:
        return xp.minimum(x, y)

    def backward(self, xp: Any, g: Any, x: Any, y: Any, z: Any) -> tuple[Any, ...]:
        half = g * 0.5
        tie = x == y
        return xp.where(tie, half, xp.where(x < y, g, 0)), xp.where(
            tie, half, xp.where(y < x, g, 0)
        )


class Where(Op):
    """z = where(c, x, y);  dz/dx = [c],  dz/dy = [not c]   (c is a constant mask)"""

    name = "where"
    param_names = ("condition",)

    def __init__(self, condition: np.ndarray) -> None:
        self.condition = condition

    def forward(self, xp: Any, x: Any, y: Any) -> Any:
        return xp.where(self.condition, x, y)

    def backward(self, xp: Any, g: Any, x: Any, y: Any, z: Any) -> tuple[Any, ...]:
        return xp.where(self.condition, g, 0), xp.where(self.condition, 0, g)


class MatMul(Op):
    """z = x @ y;  dL/dx = g @ y.T,  dL/dy = x.T @ g   (numpy.matmul: 1-D and batched too)

    A 1-D left operand is treated as a row ``(1, n)``, a 1-D right operand as a column
    ``(n, 1)``; the gradients are computed for those 2-D views and reshaped back.
    Batch axes that broadcast are summed back by the engine.
    """

    name = "matmul"

    def forward(self, xp: Any, x: Any, y: Any) -> Any:
        try:
            return xp.matmul(x, y)
        except ValueError:
            raise ValueError(_matmul_mismatch(x.shape, y.shape)) from None

    def backward(self, xp: Any, g: Any, x: Any, y: Any, z: Any) -> tuple[Any, ...]:
        need_x, need_y = self.needs_input_grad  # skip the product an input does not need
        x_ndim, y_ndim = x.ndim, y.ndim
        if x_ndim == 1 and y_ndim == 1:  # a dot product: z is a scalar
            return g * y, g * x
        if x_ndim == 1:  # x is a row (1, n); g gets that row axis back
            x, g = xp.reshape(x, (1, x.shape[0])), xp.reshape(g, (*z.shape[:-1], 1, z.shape[-1]))
        if y_ndim == 1:  # y is a column (n, 1); g gets that column axis back
            y, g = xp.reshape(y, (y.shape[0], 1)), xp.reshape(g, (*z.shape, 1))
        gx = xp.matmul(g, xp.matrix_transpose(y)) if need_x else None
        gy = xp.matmul(xp.matrix_transpose(x), g) if need_y else None
        if x_ndim == 1 and gx is not None:  # drop the row axis again; the engine sums batches
            gx = xp.reshape(gx, (*z.shape[:-1], gx.shape[-1]))
        if y_ndim == 1 and gy is not None:  # drop the column axis again
            gy = xp.reshape(gy, (*z.shape[:-1], gy.shape[-2]))
        return gx, gy


class Affine(Op):
    """z = x @ w + b;  dL/dx = g @ w.T,  dL/dw = x.T @ g,  dL/db = g   (summed over rows)

    ``nn.Linear`` as one op, like PyTorch's ``addmm``: one output array instead of two
    (``x @ w`` and then ``+ b``), which matters for large layers. ``x`` is (..., in),
    ``w`` is (in, out) and ``b`` is (out,); the engine sums ``g`` down to ``b``'s shape.
    """

    name = "affine"

    def forward(self, xp: Any, x: Any, w: Any, b: Any) -> Any:
        try:
            z = xp.matmul(x, w)
        except ValueError:
            raise ValueError(_matmul_mismatch(x.shape, w.shape)) from None
        z += b  # z is a fresh array: adding in place saves a second one
        return z

    def backward(self, xp: Any, g: Any, x: Any, w: Any, b: Any, z: Any) -> tuple[Any, ...]:
        need_x, need_w, _ = self.needs_input_grad
        gx = xp.matmul(g, xp.matrix_transpose(w)) if need_x else None
        gw = xp.matmul(xp.matrix_transpose(x), g) if need_w else None
        return gx, gw, g


def _matmul_mismatch(x_shape: Shape, y_shape: Shape) -> str:
    """Why numpy.matmul refused these shapes, in words."""
    if not x_shape or not y_shape:
        return "both operands need at least one axis (use * to multiply by a scalar)"
    inner_x, inner_y = x_shape[-1], y_shape[-2 if len(y_shape) > 1 else 0]
    if inner_x != inner_y:
        where = "second-to-last" if len(y_shape) > 1 else "only"
        return f"the left's last axis has {inner_x} elements but the right's {where} has {inner_y}"
    return f"the batch axes {x_shape[:-2]} and {y_shape[:-2]} do not broadcast"


# ---------------------------------------------------------------- elementwise, unary


class Neg(Op):
    """z = -x;  dz/dx = -1"""

    name = "neg"

    def forward(self, xp: Any, x: Any) -> Any:
        return -x

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        return (-g,)


class PowScalar(Op):
    """z = x ** p  (p a constant);  dz/dx = p * x**(p - 1)"""

    name = "pow"
    param_names = ("exponent",)

    def __init__(self, exponent: float) -> None:
        self.exponent = exponent

    def forward(self, xp: Any, x: Any) -> Any:
        return x**self.exponent

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        p = self.exponent
        if p == 2:  # the common square: 2 * x, without computing x ** 1
            return (g * 2 * x,)
        return (g * p * x ** (p - 1),)


class Exp(Op):
    """z = exp(x);  dz/dx = exp(x) = z"""

    name = "exp"

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.exp(x)

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        return (g * z,)


class Log(Op):
    """z = log(x);  dz/dx = 1 / x"""

    name = "log"

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.log(x)

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        return (g / x,)


class Sqrt(Op):
    """z = sqrt(x);  dz/dx = 1 / (2 sqrt(x)) = 1 / (2 z)"""

    name = "sqrt"

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.sqrt(x)

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        return (g / (2 * z),)


class Abs(Op):
    """z = |x|;  dz/dx = sign(x)   (0 at x = 0)"""

    name = "abs"

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.abs(x)

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        return (g * xp.sign(x),)


class Tanh(Op):
    """z = tanh(x);  dz/dx = 1 - tanh(x)**2 = 1 - z**2"""

    name = "tanh"

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.tanh(x)

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        return (g * (1 - z * z),)


class Sigmoid(Op):
    """z = 1 / (1 + exp(-x));  dz/dx = z * (1 - z)

    This is the seed's ``sigmoid`` and ``sigmoid_derivative``; ``xp.sigmoid`` computes
    ``1 / (1 + exp(-x))`` without overflow warnings (see ``NumpyNamespace.sigmoid``).
    """

    name = "sigmoid"

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.sigmoid(x)

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        return (g * z * (1 - z),)


class Relu(Op):
    """z = max(x, 0);  dz/dx = [x > 0]   (0 at x = 0, as in PyTorch)"""

    name = "relu"

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.maximum(x, 0)

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        return (g * (x > 0),)


class Clip(Op):
    """z = clip(x, lo, hi);  dz/dx = [lo <= x <= hi]"""

    name = "clip"
    param_names = ("lo", "hi")

    def __init__(self, lo: float | None, hi: float | None) -> None:
        self.lo, self.hi = lo, hi

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.clip(x, self.lo, self.hi)

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        if self.lo is not None:
            g = g * (x >= self.lo)
        if self.hi is not None:
            g = g * (x <= self.hi)
        return (g,)


class Softmax(Op):
    """z = exp(x) / sum(exp(x));  dL/dx = z * (g - sum(g * z))   (sums along axis)

    The forward subtracts the maximum first, so inputs of +-1000 do not overflow.
    """

    name = "softmax"
    param_names = ("axis",)

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, xp: Any, x: Any) -> Any:
        e = xp.exp(x - xp.max(x, axis=self.axis, keepdims=True))
        return e / xp.sum(e, axis=self.axis, keepdims=True)

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        return (z * (g - xp.sum(g * z, axis=self.axis, keepdims=True)),)


class LogSoftmax(Op):
    """z = x - log(sum(exp(x)));  dL/dx = g - exp(z) * sum(g)   (sums along axis)

    Computed as ``x - m - log(sum(exp(x - m)))`` with ``m`` the maximum, which is exact
    and never overflows.
    """

    name = "log_softmax"
    param_names = ("axis",)

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, xp: Any, x: Any) -> Any:
        shifted = x - xp.max(x, axis=self.axis, keepdims=True)
        return shifted - xp.log(xp.sum(xp.exp(shifted), axis=self.axis, keepdims=True))

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        return (g - xp.exp(z) * xp.sum(g, axis=self.axis, keepdims=True),)


# ---------------------------------------------------------------- reductions


class Sum(Op):
    """z = sum(x, axis);  dz/dx = 1   (g is broadcast back over the summed axes)"""

    name = "sum"
    param_names = ("axis", "keepdims")

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.sum(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        return (xp.broadcast_to(xp.reshape(g, _kept_shape(x, self.axis)), x.shape),)


class Mean(Op):
    """z = sum(x, axis) / n;  dz/dx = 1 / n   (n = number of elements averaged)"""

    name = "mean"
    param_names = ("axis", "keepdims")

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, xp: Any, x: Any) -> Any:
        self.count = math.prod(x.shape[a] for a in _axes(self.axis, x.ndim))
        return xp.sum(x, axis=self.axis, keepdims=self.keepdims) / self.count

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        return (xp.broadcast_to(xp.reshape(g, _kept_shape(x, self.axis)) / self.count, x.shape),)


class Max(Op):
    """z = max(x, axis);  dz/dx = [x == z] / (number of maxima)   (ties share the gradient)"""

    name = "max"
    param_names = ("axis", "keepdims")
    reduce = "max"

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, xp: Any, x: Any) -> Any:
        return getattr(xp, self.reduce)(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        kept = _kept_shape(x, self.axis)
        is_extreme = x == xp.reshape(z, kept)
        count = xp.sum(is_extreme, axis=self.axis, keepdims=True)
        return (xp.broadcast_to(xp.reshape(g, kept), x.shape) * is_extreme / count,)


class Min(Max):
    """z = min(x, axis);  dz/dx = [x == z] / (number of minima)   (ties share the gradient)"""

    name = "min"
    reduce = "min"


# ---------------------------------------------------------------- shape and indexing


class Reshape(Op):
    """z = reshape(x, shape);  dL/dx = reshape(g, x.shape)"""

    name = "reshape"
    param_names = ("shape",)

    def __init__(self, shape: Shape) -> None:
        self.shape = shape

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.reshape(x, self.shape)

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        return (xp.reshape(g, x.shape),)


class Transpose(Op):
    """z = transpose(x, axes);  dL/dx = transpose(g, inverse of axes)"""

    name = "transpose"
    param_names = ("axes",)

    def __init__(self, axes: Sequence[int] | None = None) -> None:
        self.axes = None if axes is None else tuple(axes)

    def forward(self, xp: Any, x: Any) -> Any:
        axes = self.axes if self.axes is not None else tuple(reversed(range(x.ndim)))
        if sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
            raise ValueError(f"axes {self.axes} are not a permutation of {x.ndim} axes")
        self.inverse = tuple(int(i) for i in np.argsort([a % x.ndim for a in axes]))
        return xp.transpose(x, axes)

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        return (xp.transpose(g, self.inverse),)


class Cast(Op):
    """z = x converted to dtype;  dL/dx = g converted back to x's dtype"""

    name = "astype"
    param_names = ("dtype",)

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype

    def forward(self, xp: Any, x: Any) -> Any:
        self.x_dtype = x.dtype
        return xp.astype(x, self.dtype)

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        return (xp.astype(g, self.x_dtype),)


class BroadcastTo(Op):
    """z = broadcast_to(x, shape);  dL/dx = g summed over the broadcast axes"""

    name = "broadcast_to"
    param_names = ("shape",)

    def __init__(self, shape: Shape) -> None:
        self.shape = shape

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.broadcast_to(x, self.shape)

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        return (xp.unbroadcast(g, x.shape),)


class GetItem(Op):
    """z = x[index];  dL/dx = zeros like x, with g added at index (repeats accumulate)"""

    name = "getitem"
    param_names = ("index",)

    def __init__(self, index: Index) -> None:
        self.index = index

    def forward(self, xp: Any, x: Any) -> Any:
        return x[self.index]

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        return (xp.scatter_add(x.shape, self.index, g),)


class ScatterAdd(Op):
    """z = zeros(shape), then z[index] += x;  dL/dx = g[index]   (the adjoint of getitem)"""

    name = "scatter_add"
    param_names = ("shape", "index")

    def __init__(self, shape: Shape, index: Index) -> None:
        self.shape, self.index = shape, index

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.scatter_add(self.shape, self.index, x)

    def backward(self, xp: Any, g: Any, x: Any, z: Any) -> tuple[Any, ...]:
        return (g[self.index],)


class Concatenate(Op):
    """z = concatenate(xs, axis);  dL/dx_i = the slice of g where x_i was placed"""

    name = "concatenate"
    param_names = ("axis",)

    def __init__(self, axis: int = 0) -> None:
        self.axis = axis

    def forward(self, xp: Any, *xs: Any) -> Any:
        out = xp.concatenate(xs, axis=self.axis)
        axis = self.axis % out.ndim
        bounds = itertools.accumulate([x.shape[axis] for x in xs], initial=0)
        lead = (slice(None),) * axis
        self.pieces = [(*lead, slice(a, b)) for a, b in itertools.pairwise(bounds)]
        return out

    def backward(self, xp: Any, g: Any, *args: Any) -> tuple[Any, ...]:
        return tuple(g[piece] for piece in self.pieces)


class Stack(Op):
    """z = stack(xs, axis);  dL/dx_i = g[..., i, ...]   (index i along the new axis)"""

    name = "stack"
    param_names = ("axis",)

    def __init__(self, axis: int = 0) -> None:
        self.axis = axis

    def forward(self, xp: Any, *xs: Any) -> Any:
        out = xp.stack(xs, axis=self.axis)
        lead = (slice(None),) * (self.axis % out.ndim)
        self.pieces = [(*lead, i) for i in range(len(xs))]
        return out

    def backward(self, xp: Any, g: Any, *args: Any) -> tuple[Any, ...]:
        return tuple(g[piece] for piece in self.pieces)


# ---------------------------------------------------------------- losses


class SquaredError(Op):
    """z = sum((x - y)**2);  dz/dx = 2 (x - y),  dz/dy = -2 (x - y)

    The seed's loss; ``2 (x - y)`` is the seed's ``2 * (y - output)`` with the sign of
    the gradient (the seed adds its steps, i.e. it moves against this gradient).
    """

    name = "sse"

    def forward(self, xp: Any, x: Any, y: Any) -> Any:
        d = x - y
        return xp.sum(d * d)

    def backward(self, xp: Any, g: Any, x: Any, y: Any, z: Any) -> tuple[Any, ...]:
        gx = 2 * g * (x - y)
        return gx, -gx


class BinaryCrossEntropy(Op):
    """z = -mean(t log p + (1-t) log(1-p));  dz/dp = (p-t) / (p (1-p) n),  dz/dt = log((1-p)/p) / n

    As in PyTorch's ``BCELoss``, each log is clamped at -100 so that p = 0 or 1 gives a
    finite loss, and ``p (1 - p)`` is kept at least 1e-12 in the gradient.
    """

    name = "bce"

    def _logs(self, xp: Any, p: Any) -> tuple[Any, Any]:
        with np.errstate(divide="ignore"):  # log(0) = -inf, then clamped to -100
            return xp.maximum(xp.log(p), -100.0), xp.maximum(xp.log(1 - p), -100.0)

    def forward(self, xp: Any, p: Any, t: Any) -> Any:
        log_p, log_q = self._logs(xp, p)
        return -xp.sum(t * log_p + (1 - t) * log_q) / p.size

    def backward(self, xp: Any, g: Any, p: Any, t: Any, z: Any) -> tuple[Any, ...]:
        n = p.size
        gp = g * (p - t) / xp.maximum(p * (1 - p), 1e-12) / n
        gt = None
        if self.needs_input_grad[1]:
            log_p, log_q = self._logs(xp, p)
            gt = g * (log_q - log_p) / n
        return gp, gt
