"""Matrix multiplication, the op behind every layer: ``z = x @ y``.

Examples:
    >>> import numpy as np
    >>> from tinygrad_nn.namespace import numpy_xp
    >>> x, y = np.ones((2, 3)), np.ones((3, 4))
    >>> [g.shape for g in MatMul().backward(numpy_xp, np.ones((2, 4)), x, y, None)]
    [(2, 3), (3, 4)]
"""

from __future__ import annotations

import string

import numpy as np

from tinygrad_nn.dtypes import dtype_name
from tinygrad_nn.namespace.declared import Array, ArrayNamespace, Shape
from tinygrad_nn.ops.base import Grads, Op


class MatMul(Op):
    """As ``numpy.matmul``: 1-D operands and batches of matrices too.

    A 1-D left operand is treated as a row ``(1, n)``, a 1-D right operand as a column
    ``(n, 1)``; the gradients are computed for those 2-D views and reshaped back. Batch
    axes that broadcast are summed back by the engine.
    """

    name = "matmul"
    formula = "z = x @ y"
    derivatives = ("dL/dx = g @ y.T", "dL/dy = x.T @ g")
    saves = ("x", "y")
    input_names = ("x", "y")

    def forward(self, xp: ArrayNamespace, x: Array, y: Array) -> Array:
        try:
            return xp.matmul(x, y)
        except ValueError:
            shapes = getattr(x, "shape", ()), getattr(y, "shape", ())  # a number has none
            raise ValueError(matmul_mismatch(*shapes)) from None

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, y: Array, z: Array) -> Grads:
        need_x, need_y = self.needs_input_grad  # skip the product an input does not need
        x_ndim, y_ndim = x.ndim, y.ndim
        if x_ndim == 1 and y_ndim == 1:  # a dot product: z is a scalar
            return g * y, g * x
        z_shape = g.shape  # the upstream gradient is shaped like z
        if x_ndim == 1:  # x is a row (1, n); g gets that row axis back
            x, g = xp.reshape(x, (1, x.shape[0])), xp.reshape(g, (*z_shape[:-1], 1, z_shape[-1]))
        if y_ndim == 1:  # y is a column (n, 1); g gets that column axis back
            y, g = xp.reshape(y, (y.shape[0], 1)), xp.reshape(g, (*z_shape, 1))
        gx = xp.matmul(g, xp.matrix_transpose(y)) if need_x else None
        gy = xp.matmul(xp.matrix_transpose(x), g) if need_y else None
        if x_ndim == 1 and gx is not None:  # drop the row axis again; the engine sums batches
            gx = xp.reshape(gx, (*z_shape[:-1], gx.shape[-1]))
        if y_ndim == 1 and gy is not None:  # drop the column axis again
            gy = xp.reshape(gy, (*z_shape[:-1], gy.shape[-2]))
        return gx, gy


class Linear(Op):
    """A layer's product with its weight stored as PyTorch stores it: ``z = x @ W.T``.

    ``x`` is ``(*, in_features)`` and ``W`` is ``(out_features, in_features)``. One op
    instead of a transpose and a matmul, so a drawing shows one step per layer and its
    derivative reads as the hand-derived one; the bias is added by the layer.

    Examples:
        >>> import numpy as np
        >>> from tinygrad_nn.namespace import numpy_xp
        >>> x, w = np.ones((2, 3)), np.ones((4, 3))
        >>> [g.shape for g in Linear().backward(numpy_xp, np.ones((2, 4)), x, w, None)]
        [(2, 3), (4, 3)]
    """

    name = "linear"
    formula = "z = x @ W.T"
    derivatives = ("dL/dx = g @ W", "dL/dW = g.T @ x")
    saves = ("x", "W")
    input_names = ("x", "W")

    def forward(self, xp: ArrayNamespace, x: Array, w: Array) -> Array:
        return xp.matmul(x, xp.matrix_transpose(w))

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, w: Array, z: Array) -> Grads:
        need_x, need_w = self.needs_input_grad  # skip the product an input does not need
        gx = xp.matmul(g, w) if need_x else None
        if not need_w:
            return gx, None
        if x.ndim == 1:  # one input row: the weight's gradient is an outer product
            x, g = xp.reshape(x, (1, x.shape[0])), xp.reshape(g, (1, g.shape[0]))
        elif x.ndim > 2:  # every leading axis is a batch axis, summed by the product
            x, g = xp.reshape(x, (-1, x.shape[-1])), xp.reshape(g, (-1, g.shape[-1]))
        return gx, xp.matmul(xp.matrix_transpose(g), x)


def matmul_mismatch(x_shape: Shape, y_shape: Shape) -> str:
    """Why ``x @ y`` is refused for these shapes, in words.

    Examples:
        >>> matmul_mismatch((2, 3), (4, 5))
        "the left's last axis has 3 elements but the right's second-to-last has 4"
    """
    if not x_shape or not y_shape:
        return "both operands need at least one axis (use * to multiply by a scalar)"
    inner_x, inner_y = x_shape[-1], y_shape[-2 if len(y_shape) > 1 else 0]
    if inner_x != inner_y:
        where = "second-to-last" if len(y_shape) > 1 else "only"
        return f"the left's last axis has {inner_x} elements but the right's {where} has {inner_y}"
    return f"the batch axes {x_shape[:-2]} and {y_shape[:-2]} do not broadcast"


class Einsum(Op):
    """Einstein summation over any subscripts whose output repeats no letter.

    The gradient for each operand is an einsum too: of ``g`` with the other operands,
    giving back this operand's subscripts (summing what it did not have). Where a letter
    repeats within an operand (``"ii->"``, a trace), the gradient is placed back on that
    diagonal by multiplying with an identity matrix.
    """

    name = "einsum"
    formula = "z = einsum(subscripts, *xs)"
    derivatives = ("dL/dx_i = einsum(output, the others -> subscripts of x_i)(g, ...)",)
    saves = ("x",)
    param_names = ("subscripts",)

    def __init__(self, subscripts: str) -> None:
        self.subscripts = subscripts.replace(" ", "")
        inputs, arrow, self.output = self.subscripts.partition("->")
        self.inputs = inputs.split(",")
        allowed = set(string.ascii_letters)
        if not arrow or any(set(part) - allowed for part in [*self.inputs, self.output]):
            raise ValueError(
                f"einsum: give letters and an explicit output ('ij,jk->ik'), got {subscripts!r}"
            )
        if len(set(self.output)) != len(self.output):
            raise ValueError(f"einsum: the output {self.output!r} repeats a letter")

    def forward(self, xp: ArrayNamespace, *xs: Array) -> Array:
        return xp.einsum(self.subscripts, *xs)

    def backward(self, xp: ArrayNamespace, g: Array, *args: Array) -> Grads:
        *xs, _ = args
        unused = (c for c in string.ascii_letters if c not in self.subscripts)
        grads = []
        for i, x in enumerate(xs):
            target = self.inputs[i]
            others = [s for j, s in enumerate(self.inputs) if j != i]
            distinct = "".join(dict.fromkeys(target))
            # a letter only this operand has was summed away: g is spread back along it
            known = set(self.output).union(*others)
            kept = "".join(c for c in distinct if c in known)
            spec = ",".join([self.output, *others]) + "->" + kept
            grad = xp.einsum(spec, g, *[x_ for j, x_ in enumerate(xs) if j != i])
            if kept != distinct:
                sizes = [x.shape[target.index(c)] for c in distinct]
                ones = tuple(n if c in known else 1 for c, n in zip(distinct, sizes))
                grad = xp.broadcast_to(xp.reshape(grad, ones), tuple(sizes))
            if distinct != target:  # back onto the diagonal: times identity matrices
                renamed, deltas, seen = "", [], set()
                for position, letter in enumerate(target):
                    if letter in seen:
                        fresh = next(unused)
                        eye = np.eye(x.shape[position], dtype=dtype_name(x))
                        deltas.append((letter + fresh, eye))
                        letter = fresh
                    seen.add(letter)
                    renamed += letter
                spec = ",".join([distinct, *(d for d, _ in deltas)]) + "->" + renamed
                grad = xp.einsum(spec, grad, *(eye for _, eye in deltas))
            grads.append(grad)
        return tuple(grads)
