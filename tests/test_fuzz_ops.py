"""Fuzzing the op catalogue's edges (issue 23): bad axes, NaN inputs, zero spreads and
Python ints against integer dtypes, drawn by hypothesis. The cases that once went wrong
are spelled out in tests/test_hardening_ops.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_nn as tg
from tinygrad_nn.errors import DimensionError
from tinygrad_nn.testing import arrays, assert_gradients_match, shapes

# Each takes a tensor and an axis; ``new_axis`` ones count one axis more (unsqueeze, stack).
AXIS_METHODS = {
    "sum": lambda t, a: t.sum(a),
    "mean": lambda t, a: t.mean(dim=a),
    "max": lambda t, a: t.max(a),
    "min": lambda t, a: t.min(axis=(a,)),  # a tuple: NumPy's keyword (dim= is one int)
    "prod": lambda t, a: t.prod(a),
    "logsumexp": lambda t, a: t.logsumexp(a),
    "var": lambda t, a: t.var(a, correction=0),
    "std": lambda t, a: t.std(dim=a, correction=0),
    "argmax": lambda t, a: t.argmax(a),
    "any": lambda t, a: t.any(a),
    "softmax": lambda t, a: t.softmax(a),
    "log_softmax": lambda t, a: t.log_softmax(dim=a),
    "cumsum": lambda t, a: t.cumsum(a),
    "cumprod": lambda t, a: t.cumprod(a),
    "flip": lambda t, a: t.flip(a),
    "squeeze": lambda t, a: t.squeeze(a),
    "concatenate": lambda t, a: tg.concatenate([t, t], a),
}
NEW_AXIS_METHODS = {
    "unsqueeze": lambda t, a: t.unsqueeze(a),
    "stack": lambda t, a: tg.stack([t, t], a),
}


@settings(max_examples=50, deadline=None)
@given(
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3),
    axis=st.integers(-7, 7),
    name=st.sampled_from(sorted(AXIS_METHODS) + sorted(NEW_AXIS_METHODS)),
)
def test_every_axis_is_checked_with_one_error(shape, axis, name) -> None:
    x = tg.tensor(np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape), requires_grad=True)
    before = x.detach().numpy().copy()
    method = AXIS_METHODS.get(name) or NEW_AXIS_METHODS[name]
    ndim = len(shape) + (name in NEW_AXIS_METHODS)
    if name == "concatenate" and not shape:
        return  # a 0-d tensor cannot be joined (NumPy and PyTorch refuse it too)
    bound = max(ndim, 1)
    if -bound <= axis < bound:
        method(x, axis)  # any valid axis works, 0-d tensors included (-1 and 0)
        return
    with pytest.raises(DimensionError) as caught:
        method(x, axis)
    message = str(caught.value)
    assert isinstance(caught.value, IndexError)
    assert f"[{-bound}, {bound - 1}], but got {axis})" in message, message
    assert message.startswith(name), message
    assert np.array_equal(x.detach().numpy(), before) and x.grad is None


@settings(max_examples=50, deadline=None)
@given(data=st.data(), method=st.sampled_from(["max", "min"]))
def test_an_extremum_with_nans_sends_each_slice_its_gradient(data, method) -> None:
    shape = data.draw(shapes(min_dims=1, max_side=4), label="shape")
    values = data.draw(arrays(shape), label="values")
    nan_at = data.draw(hnp.arrays(bool, shape), label="nan positions")
    values[nan_at] = np.nan
    axis = data.draw(st.sampled_from([None, *range(-len(shape), len(shape))]), label="axis")
    x = tg.tensor(values, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = getattr(x, method)(axis=axis)  # NumPy's keyword: values only
        upstream = data.draw(arrays(out.shape, st.floats(0.5, 2.0)), label="upstream")
        out.backward(tg.tensor(upstream))
    grad = x.grad.numpy()
    assert np.isfinite(grad).all()
    kept = out.detach().numpy() if axis is None else np.expand_dims(out.detach().numpy(), axis)
    total = grad.sum(axis=axis, keepdims=axis is not None)
    np.testing.assert_allclose(total.reshape(np.shape(upstream)), upstream, rtol=1e-12)
    nan_slice = np.broadcast_to(np.isnan(kept), shape)
    # in a slice holding a NaN only the NaNs get the gradient; elsewhere the extremes
    assert (grad[nan_slice & ~np.isnan(values)] == 0).all()
    assert (grad[~nan_slice & (values != np.broadcast_to(kept, shape))] == 0).all()


@settings(max_examples=50, deadline=None)
@given(data=st.data(), correction=st.sampled_from([0, 1]), keepdim=st.booleans())
def test_std_has_a_finite_gradient_with_constant_slices(data, correction, keepdim) -> None:
    shape = data.draw(shapes(min_dims=1, max_side=4), label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    if shape[axis] <= correction:
        return  # n - correction <= 0: NaN, as in PyTorch
    values = data.draw(arrays(shape), label="values")
    others = tuple(n for i, n in enumerate(shape) if i != axis % len(shape))
    constant = data.draw(hnp.arrays(bool, others), label="flat")
    flat = np.expand_dims(constant, axis)
    values = np.where(flat, np.take(values, [0], axis=axis), values)  # some slices all equal
    x = tg.tensor(values, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.std(dim=axis, correction=correction, keepdim=keepdim).sum().backward()
    grad = x.grad.numpy()
    assert np.isfinite(grad).all()
    assert (grad[np.broadcast_to(flat, shape)] == 0).all()
    spread = values.std(axis=axis)
    if not constant.any() and np.all(spread > 0.05):  # away from a zero spread: smooth
        assert_gradients_match(
            lambda t: t.std(dim=axis, correction=correction, keepdim=keepdim), [values]
        )


INTEGER_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


def wrapped(value: int, dtype: np.dtype) -> int:
    """``value`` in ``dtype``'s range, keeping its low bits (two's complement)."""
    bits = dtype.itemsize * 8
    low = value % 2**bits
    return low - 2**bits if dtype.kind == "i" and low >= 2 ** (bits - 1) else low


@settings(max_examples=50, deadline=None)
@given(
    data=st.data(),
    dtype=st.sampled_from(INTEGER_DTYPES).map(np.dtype),
    number=st.integers(-(2**63), 2**64 - 1),
    symbol=st.sampled_from(["&", "|", "^"]),
    reflected=st.booleans(),
)
def test_a_python_int_wraps_into_any_integer_dtype(data, dtype, number, symbol, reflected):
    values = data.draw(hnp.arrays(dtype, st.integers(1, 4)), label="values")
    x = tg.tensor(values)
    operate = {"&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b}[symbol]
    out = operate(number, x) if reflected else operate(x, number)
    assert out.dtype == dtype
    expected = [wrapped(operate(int(v), number), dtype) for v in values]
    assert out.tolist() == expected


@settings(max_examples=50, deadline=None)
@given(
    number=st.one_of(st.integers(max_value=-(2**63) - 1), st.integers(min_value=2**64)),
    dtype=st.sampled_from(INTEGER_DTYPES),
)
def test_an_int_past_64_bits_is_an_overflow_error_naming_it(number, dtype) -> None:
    with pytest.raises(OverflowError, match=rf"\|: the Python integer {number} .*{dtype}"):
        tg.tensor([1], dtype=dtype) | number
