"""Every op's gradient, first and second order, against central finite differences.

Each case draws its inputs (shapes included, broadcasting pairs included) with
hypothesis; ``assert_gradients_match`` also draws nothing itself but is given a drawn
upstream gradient, and checks that inputs are not mutated and grads do not alias.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinygrad_nn as tg
from tinygrad_nn import ops
from tinygrad_nn.nn import functional as F
from tinygrad_nn.tensor import apply
from tinygrad_nn.testing import (
    arrays,
    assert_gradients_match,
    broadcastable_shapes,
    floats,
    shapes,
)

Draw = Callable[[st.SearchStrategy], Any]


Fn = Callable[..., tg.Tensor]


@dataclass
class Case:
    """An op under test: ``draw(draw, max_side)`` gives the inputs and the function to apply.

    The function is returned by the draw because some ops take drawn constants too
    (an axis, an index, a mask), which it closes over.
    """

    name: str
    draw: Callable[[Draw, int], tuple[list[np.ndarray], Fn]]

    def __repr__(self) -> str:
        return self.name


def unary(name: str, fn: Fn, lo: float = -3, hi: float = 3, avoid: tuple = ()) -> Case:
    def draw(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
        shape = draw(shapes(max_side=max_side))
        return [draw(arrays(shape, floats(lo, hi, avoid)))], fn

    return Case(name, draw)


def binary(name: str, fn: Fn, x_values: st.SearchStrategy | None = None, y_values=None) -> Case:
    def draw(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
        x_shape, y_shape = draw(broadcastable_shapes(2, max_side=max_side))
        return [draw(arrays(x_shape, x_values)), draw(arrays(y_shape, y_values))], fn

    return Case(name, draw)


def reduction(method: str) -> Case:
    def draw(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
        shape = draw(shapes(max_side=max_side))
        x = draw(arrays(shape, floats(), unique=True))
        assume(x.size < 2 or np.diff(np.sort(x, axis=None)).min() > 0.01)  # no (near) ties
        ndim = len(shape)
        axes = st.lists(st.integers(-ndim, ndim - 1), unique_by=lambda a: a % ndim, max_size=ndim)
        choices = [st.none()]
        if ndim:
            choices += [st.integers(-ndim, ndim - 1), axes.map(tuple)]
        axis = draw(st.one_of(*choices))
        keepdims = draw(st.booleans())
        return [x], lambda t: getattr(t, method)(axis=axis, keepdims=keepdims)

    return Case(method, draw)


def along_axis(method: str) -> Case:
    def draw(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
        shape = draw(shapes(min_dims=1, max_side=max_side))
        axis = draw(st.integers(-len(shape), len(shape) - 1))
        return [draw(arrays(shape))], lambda t: getattr(t, method)(axis)

    return Case(method, draw)


def matmul(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
    side = st.integers(1, max_side)
    n, k, m = draw(side), draw(side), draw(side)
    kinds = ["2d", "row", "column", "dot", "batched", "broadcast", "row_batch", "column_batch"]
    kind = draw(st.sampled_from(kinds))
    x_shape, y_shape = {
        "2d": ((n, k), (k, m)),
        "row": ((k,), (k, m)),
        "column": ((n, k), (k,)),
        "dot": ((k,), (k,)),
        "batched": ((2, n, k), (2, k, m)),
        "broadcast": ((3, 1, n, k), (2, k, m)),
        "row_batch": ((k,), (2, k, m)),
        "column_batch": ((2, n, k), (k,)),
    }[kind]
    return [draw(arrays(x_shape)), draw(arrays(y_shape))], lambda x, y: x @ y


def linear(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
    side = st.integers(1, max_side)
    n, k, m = draw(side), draw(side), draw(side)
    batch = draw(st.sampled_from([(), (2,)]))
    inputs = [draw(arrays((*batch, n, k))), draw(arrays((k, m))), draw(arrays((m,)))]
    return inputs, lambda x, w, b: x @ w + b


def linear_layer(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
    """F.linear: x (*batch, in) and W (out, in), as PyTorch stores it; one row, a batch of
    rows, batches of batches, and no rows at all."""
    side = st.integers(1, max_side)
    k, m = draw(side), draw(side)
    batch = draw(st.sampled_from([(), (0,), (draw(side),), (2, draw(side))]))
    inputs = [draw(arrays((*batch, k))), draw(arrays((m, k)))]
    return inputs, lambda x, w: F.linear(x, w)


def concatenate(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
    shape = draw(shapes(min_dims=1, max_side=max_side))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    pieces = []
    for _ in range(draw(st.integers(1, 3))):
        piece_shape = list(shape)
        piece_shape[axis] = draw(st.integers(1, max_side))
        pieces.append(draw(arrays(tuple(piece_shape))))
    return pieces, lambda *xs: tg.concatenate(xs, axis)


def stack(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
    shape = draw(shapes(max_side=max_side))
    axis = draw(st.integers(-len(shape) - 1, len(shape)))
    pieces = [draw(arrays(shape)) for _ in range(draw(st.integers(1, 3)))]
    return pieces, lambda *xs: tg.stack(xs, axis)


def extremum(fn: Fn) -> Callable[[Draw, int], tuple[list[np.ndarray], Fn]]:
    def draw(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
        x_shape, y_shape = draw(broadcastable_shapes(2, max_side=max_side))
        x, y = draw(arrays(x_shape)), draw(arrays(y_shape))
        assume(np.all(np.abs(x - y) > 0.01))  # the derivative jumps where they tie
        return [x, y], fn

    return draw


def where(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
    c_shape, x_shape, y_shape = draw(broadcastable_shapes(3, max_side=max_side))
    condition = draw(arrays(c_shape, st.booleans(), dtype=bool))
    inputs = [draw(arrays(x_shape)), draw(arrays(y_shape))]
    return inputs, lambda x, y: tg.where(condition, x, y)


def getitem(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
    shape = draw(shapes(min_dims=1, max_side=max_side))
    first = shape[0]
    index = draw(
        st.one_of(
            st.integers(-first, first - 1),
            st.builds(slice, st.integers(0, first - 1), st.none(), st.integers(1, 2)),
            # an integer array with repeats: their gradients must add up
            st.lists(st.integers(-first, first - 1), min_size=1, max_size=5),
            st.just((Ellipsis, -1)),
            st.just((slice(None), *([0] * (len(shape) - 1)))),
            arrays((first,), st.booleans(), dtype=bool),
        )
    )
    return [draw(arrays(shape))], lambda x: x[index]


def reshape(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
    shape = draw(shapes(max_side=max_side))
    new_shape = draw(st.sampled_from([(-1,), tuple(reversed(shape)), (1, *shape)]))
    return [draw(arrays(shape))], lambda x: x.reshape(new_shape)


def transpose(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
    shape = draw(shapes(max_side=max_side))
    axes = draw(st.permutations(range(len(shape))))
    return [draw(arrays(shape))], lambda x: x.permute(*axes)


def broadcast_to(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
    small, other = draw(broadcastable_shapes(2, max_side=max_side))
    target = np.broadcast_shapes(small, other)
    return [draw(arrays(small))], lambda x: apply(ops.BroadcastTo(target), x)


def torch_shape_method(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
    """PyTorch's shape methods, each with drawn arguments that fit the drawn shape."""
    shape = draw(shapes(min_dims=2, max_side=max_side))
    ndim = len(shape)
    axis = draw(st.integers(-ndim, ndim - 1))
    reps = tuple(draw(st.lists(st.integers(1, 2), min_size=ndim, max_size=ndim + 1)))
    index = (
        draw(arrays(shape, st.integers(0, shape[axis] - 1), dtype=np.int64))
        if shape[axis]
        else None
    )
    mask = draw(arrays(shape[-1:], st.booleans(), dtype=bool))
    diagonal = draw(st.integers(-1, 1))
    choices = {
        "flatten": lambda t: t.flatten(min(axis % ndim, ndim - 1)),
        "unsqueeze": lambda t: t.unsqueeze(axis),
        "squeeze": lambda t: t.unsqueeze(0).squeeze(0),
        "expand": lambda t: t.unsqueeze(0).expand(2, *([-1] * ndim)),
        "repeat": lambda t: t.repeat(*reps),
        "flip": lambda t: t.flip(axis),
        "split": lambda t: t.split(1, axis)[-1],
        "chunk": lambda t: t.chunk(2, axis)[0],
        "tril": lambda t: t.tril(diagonal),
        "triu": lambda t: t.triu(),
        "masked_fill": lambda t: t.masked_fill(mask, 2.0),
        "permute": lambda t: t.permute(*reversed(range(ndim))),
    }
    if index is not None:
        choices["gather"] = lambda t: t.gather(axis, index)
    name = draw(st.sampled_from(sorted(choices)))
    return [draw(arrays(shape))], choices[name]


def torch_reduction(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
    """prod (zeros among the factors too), logsumexp, var/std, cumsum, sort and topk values."""
    shape = draw(shapes(min_dims=1, max_side=max_side))
    ndim = len(shape)
    dim = draw(st.integers(-ndim, ndim - 1))
    keepdim = draw(st.booleans())
    x = draw(arrays(shape, floats(), unique=True))
    if draw(st.booleans()) and x.size:  # a zero factor for prod
        x.flat[draw(st.integers(0, x.size - 1))] = 0.0
    # no ties (for sort), no two zeros (prod's second order), nothing within 0.01 of another
    assume(x.size < 2 or np.diff(np.sort(x, axis=None)).min() > 0.01)
    k = draw(st.integers(0, shape[dim]))
    correction = draw(st.sampled_from([0, 1]))
    choices = {
        "prod": lambda t: t.prod(dim=dim, keepdim=keepdim),
        "logsumexp": lambda t: t.logsumexp(dim=dim, keepdim=keepdim),
        "var": lambda t: t.var(dim=dim, correction=correction, keepdim=keepdim),
        "std": lambda t: t.std(dim=dim, correction=correction, keepdim=keepdim),
        "cumsum": lambda t: t.cumsum(dim=dim),
        "cumprod": lambda t: t.cumprod(dim=dim),
        "sort": lambda t: t.sort(dim, descending=keepdim)[0],
        "topk": lambda t: t.topk(k, dim)[0],
    }
    name = draw(st.sampled_from(sorted(choices)))
    # n - correction <= 0: NaN, as in PyTorch (one value's std with correction 0 is 0, slope 0)
    assume(not (name in ("var", "std") and shape[dim] <= correction))
    return [x], choices[name]


def functional_pad(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
    shape = draw(shapes(min_dims=1, max_side=max_side))
    widths = draw(st.lists(st.integers(0, 2), min_size=2, max_size=2 * len(shape)))
    widths = widths[: len(widths) // 2 * 2]
    value = draw(st.sampled_from([0.0, 1.5]))
    return [draw(arrays(shape))], lambda t: F.pad(t, widths, value=value)


def linear_algebra(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
    """einsum (a diagonal and a summed-away letter included), tensordot, outer, dot, diag, trace."""
    side = st.integers(1, max_side)
    n, k, m = draw(side), draw(side), draw(side)
    kind = draw(
        st.sampled_from(
            [
                "matmul",
                "trace",
                "summed",
                "batch",
                "tensordot",
                "outer",
                "dot",
                "diag",
                "diag_matrix",
            ]
        )
    )
    offset = draw(st.integers(-1, 1))
    shapes_and_fns = {
        "matmul": ([(n, k), (k, m)], lambda a, b: tg.einsum("ij,jk->ik", a, b)),
        "trace": ([(n, n)], lambda a: tg.trace(a) + tg.einsum("ii->i", a).sum()),
        "summed": ([(n, k), (k, m)], lambda a, b: tg.einsum("ij,jk->i", a, b)),
        "batch": ([(2, n, k), (2, k, m)], lambda a, b: tg.einsum("bij,bjk->bik", a, b)),
        "tensordot": ([(n, k, m), (k, m, 2)], lambda a, b: tg.tensordot(a, b, 2)),
        "outer": ([(n,), (m,)], tg.outer),
        "dot": ([(n,), (n,)], tg.dot),
        "diag": ([(n,)], lambda a: tg.diag(a, offset)),
        "diag_matrix": ([(n, m)], lambda a: tg.diag(a, offset)),
    }
    shapes_, fn = shapes_and_fns[kind]
    return [draw(arrays(shape)) for shape in shapes_], fn


def scatter_add(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
    rows = draw(st.integers(1, max_side))
    index = np.array(draw(st.lists(st.integers(0, rows - 1), min_size=1, max_size=5)))
    x = draw(arrays((len(index), 2)))
    return [x], lambda t: apply(ops.ScatterAdd((rows, 2), index), t)


def unfold(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
    """im2col: windows of any size, stride and dilation that fit."""
    kernel = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    smallest = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    height, width = (draw(st.integers(s, s + 2)) for s in smallest)
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), height, width)
    return [draw(arrays(shape))], lambda x: apply(ops.Unfold(kernel, stride, dilation), x)


def nll_loss(draw: Draw, max_side: int) -> tuple[list[np.ndarray], Fn]:
    """Rows of scores, drawn class indices (some ignored), weights and a reduction."""
    classes = draw(st.integers(1, max_side + 1))
    batch = draw(st.sampled_from([(), (draw(st.integers(1, max_side)),)]))  # (0, C): below
    labels = np.asarray(draw(arrays(batch, st.integers(-1, classes - 1)))).astype(np.int64)
    labels = np.where(labels < 0, -100, labels)  # -100: PyTorch's ignore_index
    weight = draw(st.one_of(st.none(), arrays((classes,), floats(0.1, 2.0))))
    reduction = draw(st.sampled_from(["sum", "none"] + (["mean"] if (labels >= 0).any() else [])))
    scores = draw(arrays((*batch, classes)))
    return [scores], lambda x: tg.nn.functional.nll_loss(x, labels, weight, reduction=reduction)


CASES = [
    unary("neg", lambda x: -x),
    unary("exp", lambda x: x.exp()),
    unary("expm1", lambda x: x.expm1()),
    unary("log1p", lambda x: x.log1p(), -0.9, 5),
    unary("log", lambda x: x.log(), 0.1, 5),
    unary("sqrt", lambda x: x.sqrt(), 0.1, 5),
    unary("abs", lambda x: x.abs(), avoid=(0,)),
    unary("tanh", lambda x: x.tanh()),
    unary("sigmoid", lambda x: x.sigmoid(), -6, 6),
    unary("relu", lambda x: x.relu(), avoid=(0,)),
    unary("clip", lambda x: x.clip(-0.5, 0.5), avoid=(-0.5, 0.5)),
    unary("clip_lo", lambda x: x.clip(lo=0.2), avoid=(0.2,)),
    unary("square", lambda x: x**2),
    unary("cube", lambda x: x**3),
    unary("pow_half", lambda x: x**0.5, 0.1, 5),
    unary("reciprocal", lambda x: x**-1, 0.2, 3),
    unary("rpow", lambda x: 2.0**x),
    unary("rsub", lambda x: 1.0 - x),
    unary("rdiv", lambda x: 2.0 / x, 0.2, 3),
    unary("astype", lambda x: x.astype(np.float64) * 2),
    unary("sin", lambda x: x.sin()),
    unary("cos", lambda x: x.cos()),
    unary("tan", lambda x: x.tan(), -1.2, 1.2),
    unary("arcsin", lambda x: x.arcsin(), -0.9, 0.9),
    unary("arccos", lambda x: x.arccos(), -0.9, 0.9),
    unary("arctan", lambda x: x.arctan()),
    unary("sinh", lambda x: x.sinh()),
    unary("cosh", lambda x: x.cosh()),
    unary("log2", lambda x: x.log2(), 0.1, 5),
    unary("log10", lambda x: x.log10(), 0.1, 5),
    unary("exp2", lambda x: x.exp2()),
    unary("reciprocal", lambda x: x.reciprocal(), 0.2, 3),
    unary("square", lambda x: x.square()),
    unary("rsqrt", lambda x: x.rsqrt(), 0.2, 5),
    unary("floor", lambda x: x.floor() * x, avoid=(-3, -2, -1, 0, 1, 2, 3)),
    unary("ceil", lambda x: x.ceil() * x, avoid=(-3, -2, -1, 0, 1, 2, 3)),
    unary("round", lambda x: x.round() * x, avoid=(-2.5, -1.5, -0.5, 0.5, 1.5, 2.5)),
    unary("sign", lambda x: x.sign() * x, avoid=(0,)),
    unary("leaky_relu", lambda x: F.leaky_relu(x, 0.1), avoid=(0,)),
    unary("elu", lambda x: F.elu(x, 1.5), avoid=(0,)),
    unary("gelu", F.gelu),
    unary("gelu_tanh", lambda x: F.gelu(x, approximate="tanh")),
    unary("erf", lambda x: x.erf()),
    unary("silu", F.silu),
    unary("softplus", lambda x: F.softplus(x, beta=2.0, threshold=3.0), avoid=(1.5,)),
    unary("logsigmoid", F.logsigmoid),
    unary("mish", F.mish),
    unary("relu6", F.relu6, -1, 7, avoid=(0, 6)),
    unary("T", lambda x: x.T),
    along_axis("softmax"),
    along_axis("log_softmax"),
    reduction("sum"),
    reduction("mean"),
    reduction("max"),
    reduction("min"),
    binary("add", lambda x, y: x + y),
    binary("sub", lambda x, y: x - y),
    binary("mul", lambda x, y: x * y),
    binary("div", lambda x, y: x / y, y_values=floats(-3, 3, avoid=(0,), margin=0.3)),
    binary("pow", lambda x, y: x**y, floats(0.5, 3), floats(-2, 2)),
    binary("remainder", lambda x, y: x % y, floats(2.2, 2.8), floats(1.0, 1.05)),
    Case("maximum", extremum(tg.maximum)),
    Case("minimum", extremum(tg.minimum)),
    Case("where", where),
    Case("matmul", matmul),
    Case("linear", linear),
    Case("linear_layer", linear_layer),
    Case("concatenate", concatenate),
    Case("stack", stack),
    Case("getitem", getitem),
    Case("reshape", reshape),
    Case("transpose", transpose),
    Case("broadcast_to", broadcast_to),
    Case("scatter_add", scatter_add),
    Case("torch_shape_method", torch_shape_method),
    Case("torch_reduction", torch_reduction),
    Case("pad", functional_pad),
    Case("linear_algebra", linear_algebra),
    Case("unfold", unfold),
    Case("nll_loss", nll_loss),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
@given(data=st.data())
def test_first_order_gradient_matches_finite_differences(case: Case, data: st.DataObject) -> None:
    inputs, fn = case.draw(data.draw, 4)
    out_shape = fn(*(tg.Tensor(a) for a in inputs)).shape
    upstream = data.draw(arrays(out_shape), label="upstream gradient")
    assert_gradients_match(fn, inputs, upstream)


@pytest.mark.parametrize("case", CASES, ids=repr)
@settings(max_examples=20)
@given(data=st.data())
def test_second_order_gradient_matches_finite_differences(case: Case, data: st.DataObject) -> None:
    inputs, fn = case.draw(data.draw, 3)
    tensors = [tg.Tensor(a, requires_grad=True) for a in inputs]
    assert tg.gradgradcheck(fn, tensors, atol=1e-4, rtol=1e-3)
