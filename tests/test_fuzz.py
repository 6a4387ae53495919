"""Fuzzing the public API with bad and edge inputs: a clear error or the right value, never a
corrupted tensor, gradient or graph."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_nn as tg
from tinygrad_nn import nn

BAD_DATA = st.one_of(
    st.text(max_size=5),
    st.just(object()),
    st.just([[1.0, 2.0], [3.0]]),  # ragged
    st.complex_numbers(allow_nan=False, max_magnitude=10),
    st.none(),
    st.just(10**30),  # too large for any integer dtype
    st.just({"a": 1}),
)

UNARY = ["exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "expm1", "log1p", "neg"]
REFERENCE = {
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "tanh": np.tanh,
    "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
    "relu": lambda v: np.maximum(v, 0),
    "expm1": np.expm1,
    "log1p": np.log1p,
    "neg": np.negative,
}


def call(name: str, t: tg.Tensor) -> tg.Tensor:
    return -t if name == "neg" else getattr(t, name)()


def snapshot(*tensors: tg.Tensor) -> list:
    return [
        (t.array.copy(), None if t.grad is None else t.grad.array.copy(), t.op) for t in tensors
    ]


def assert_unchanged(tensors, before) -> None:
    for t, (data, grad, op) in zip(tensors, before):
        np.testing.assert_array_equal(t.data, data)
        assert (t.grad is None) == (grad is None)
        if grad is not None:
            np.testing.assert_array_equal(t.grad.data, grad)
        assert t.op is op


@settings(max_examples=40)
@given(data=BAD_DATA)
def test_bad_tensor_data_is_a_type_error_naming_it(data) -> None:
    with pytest.raises(TypeError, match="Tensor data must be numeric"):
        tg.Tensor(data)


@settings(max_examples=40)
@given(data=BAD_DATA.filter(lambda d: d != 10**30), op=st.sampled_from(["+", "-", "*", "/", "**"]))
def test_bad_operands_are_type_errors_and_change_nothing(data, op) -> None:
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    x.grad = tg.Tensor([5.0, 5.0])
    before = snapshot(x)
    with pytest.raises(TypeError):
        eval(f"x {op} data", {"x": x, "data": data})
    assert_unchanged([x], before)


shape_pairs = st.tuples(
    hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
    hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
).filter(lambda pair: not _broadcastable(*pair))


def _broadcastable(a, b) -> bool:
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def test_a_number_is_no_matmul_operand() -> None:
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="at least one axis"):
        x @ 2.0


@settings(max_examples=40)
@given(shapes=shape_pairs, op=st.sampled_from(["add", "sub", "mul", "div", "maximum"]))
def test_mismatched_shapes_name_the_op_and_both_shapes(shapes, op) -> None:
    a = tg.Tensor(np.ones(shapes[0]), requires_grad=True)
    b = tg.Tensor(np.ones(shapes[1]), requires_grad=True)
    before = snapshot(a, b)
    function = {
        "add": lambda: a + b,
        "sub": lambda: a - b,
        "mul": lambda: a * b,
        "div": lambda: a / b,
        "maximum": lambda: tg.maximum(a, b),
    }[op]
    with pytest.raises(ValueError) as caught:
        function()
    assert op in str(caught.value)
    assert str(shapes[0]) in str(caught.value) and str(shapes[1]) in str(caught.value)
    assert_unchanged([a, b], before)


@settings(max_examples=40)
@given(
    shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=3),
    axis=st.integers(-6, 6),
    method=st.sampled_from(["sum", "mean", "max", "min", "softmax", "log_softmax"]),
)
def test_axes_are_checked_like_numpy(shape, axis, method) -> None:
    x = tg.Tensor(np.ones(shape), requires_grad=True)
    valid = -max(len(shape), 1) <= axis < max(len(shape), 1)  # softmax of 0-d: 1, as PyTorch
    if valid:
        out = getattr(x, method)(axis)
        if method in ("max", "min") and 0 in shape:
            return
        if method in ("max", "min"):  # max(dim)/min(dim) give PyTorch's (values, indices)
            out = out.values
        out.sum().backward()
        assert x.grad.shape == x.shape
    else:
        with pytest.raises(IndexError):  # NumPy's AxisError is an IndexError and a ValueError
            getattr(x, method)(axis)


@settings(max_examples=40)
@given(index=st.one_of(st.integers(-10, 10), st.lists(st.integers(-10, 10), max_size=4)))
def test_indices_out_of_range_are_index_errors(index) -> None:
    x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    positions = index if isinstance(index, list) else [index]
    if all(-3 <= i < 3 for i in positions):
        x[index].sum().backward()
        expected = np.zeros(3)
        np.add.at(expected, np.asarray(positions, dtype=np.intp), 1)
        np.testing.assert_array_equal(x.grad.data, expected)
    else:
        with pytest.raises(IndexError, match="getitem"):
            x[index]


edge_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([0.0, -0.0, 1e-300, -1e300, 1000.0, -1000.0]),
)


@settings(max_examples=60)
@given(
    values=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3),
        elements=edge_values,
    ),
    name=st.sampled_from(UNARY),
    float32=st.booleans(),
)
def test_unary_ops_on_edge_values_match_numpy_and_keep_the_dtype(values, name, float32) -> None:
    if float32:
        values = values.astype(np.float32)
    x = tg.Tensor(values, requires_grad=True)
    with np.errstate(all="ignore"):
        out = call(name, x)
        expected = REFERENCE[name](values)
        out.sum().backward()
    assert out.dtype == values.dtype and out.shape == values.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-6, equal_nan=True)
    assert x.grad.dtype == values.dtype and x.grad.shape == values.shape


@settings(max_examples=30)
@given(
    rows=st.integers(0, 3),
    features=st.integers(1, 4),
    wrong=st.integers(1, 4),
)
def test_modules_refuse_wrong_shapes_clearly(rows, features, wrong) -> None:
    layer = nn.Linear(features, 2)
    before = snapshot(layer.weight, layer.bias)
    if wrong == features:
        assert layer(tg.Tensor(np.ones((rows, wrong)))).shape == (rows, 2)
        return
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        layer(tg.Tensor(np.ones((rows, wrong))))  # PyTorch's error (weight is (out, in))
    assert_unchanged([layer.weight, layer.bias], before)
    prediction = tg.Tensor(np.ones((rows, 2)), requires_grad=True)
    with pytest.raises(ValueError, match="SSE: prediction has shape"):
        nn.SSE()(prediction, np.ones((rows, 3)))
