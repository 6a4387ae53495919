"""Hardening of the op catalogue and the Tensor methods (issue 23): PyTorch's answers at
the edges — a zero standard deviation, NaN inputs, 0-d and empty tensors, bad axes,
bool and integer dtypes.

Each test here failed before its fix; tests/test_fuzz_ops.py draws the same bad inputs.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn.errors import DimensionError
from tinygrad_nn.testing import assert_gradients_match


@contextmanager
def no_warnings() -> Iterator[None]:
    """Any warning (NumPy's RuntimeWarning included) fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def grad_of(fn: Callable[[tg.Tensor], tg.Tensor], values, **kwargs) -> np.ndarray:
    x = tg.tensor(values, requires_grad=True, **kwargs)
    fn(x).sum().backward()
    return x.grad.numpy()


# ---------------------------------------------------------------- 1. std at a zero spread


@pytest.mark.parametrize(
    ("values", "call"),
    [
        ([3.0], lambda t: t.std(correction=0)),  # one element
        ([2.0, 2.0, 2.0], lambda t: t.std()),  # all equal
        ([2.0, 2.0, 2.0], lambda t: t.std(correction=0)),
        ([[1.0], [2.0]], lambda t: t.std(dim=1, correction=0)),  # an axis of length 1
        ([[1.0], [2.0]], lambda t: t.std(dim=1, correction=0, keepdim=True)),
        ([[5.0, 5.0], [7.0, 7.0]], lambda t: t.std(dim=1)),
        # sum / n rounds: 0.1 + 0.1 + 0.1 = 0.30000000000000004, a spread of ~1e-17
        ([0.1, 0.1, 0.1], lambda t: t.std()),
        ([[2.7516262], [2.7516262], [2.7516262]], lambda t: t.std(dim=0, keepdim=True)),
    ],
)
def test_std_gradient_is_zero_where_the_deviation_is_zero(values, call) -> None:
    with no_warnings():
        assert np.array_equal(grad_of(call, values), np.zeros(np.shape(values)))


def test_std_gradient_elsewhere_still_matches_finite_differences() -> None:
    # row 0 has a zero spread (its gradient is 0), row 1 a real one
    x = np.array([[4.0, 4.0, 4.0], [1.0, 2.5, -3.0]])
    got = grad_of(lambda t: t.std(dim=1), x)
    assert np.array_equal(got[0], np.zeros(3))
    assert_gradients_match(lambda t: t.std(dim=1)[1], [x])
    for keep in (False, True):
        assert_gradients_match(lambda t, k=keep: t.std(dim=0, keepdim=k), [x])
        assert_gradients_match(lambda t, k=keep: t.std(dim=(0, 1), correction=0, keepdim=k), [x])


def test_std_second_order_matches_finite_differences() -> None:
    x = tg.tensor([[0.3, -1.2, 2.0], [1.0, 0.5, -0.7]], requires_grad=True)
    assert tg.gradgradcheck(lambda t: t.std(dim=1), [x])
    assert tg.gradgradcheck(lambda t: t.std(correction=0), [x])


def test_std_second_order_at_a_zero_spread_is_zero() -> None:
    x = tg.tensor([2.0, 2.0], requires_grad=True)
    (g,) = tg.grad(x.std(), [x], create_graph=True)
    assert np.array_equal(g.detach().numpy(), np.zeros(2))
    (gg,) = tg.grad(g.sum(), [x], allow_unused=True)
    assert gg is None or np.array_equal(gg.numpy(), np.zeros(2))


def test_std_of_equal_values_is_exactly_zero() -> None:
    assert tg.tensor([0.1, 0.1, 0.1]).std().item() == 0.0  # PyTorch's Welford gives 0 too


def test_std_of_one_value_with_correction_one_is_nan_as_in_pytorch() -> None:
    # n - correction = 0: PyTorch gives NaN (and warns); its gradient is NaN as well
    x = tg.tensor([3.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = x.std()
        out.backward()
    assert np.isnan(out.item()) and np.isnan(x.grad.item())


def test_std_and_var_take_pytorchs_unbiased_argument() -> None:
    x = tg.tensor([[1.0, 2.0, 4.0], [3.0, 3.5, 9.0]])
    biased = x.std(correction=0).item()
    assert x.std(unbiased=False).item() == biased
    assert x.std(False).item() == biased  # torch's std(unbiased) overload
    assert x.std(unbiased=True).item() == x.std().item()
    np.testing.assert_allclose(x.std(1, False).numpy(), x.std(dim=1, correction=0).numpy())
    assert x.std(1, True, True).shape == (2, 1)  # dim, unbiased, keepdim
    assert x.var(0, False).tolist() == x.var(dim=0, correction=0).tolist()
    with pytest.raises(TypeError, match="unbiased"):
        x.std(unbiased=True, correction=1)


# ---------------------------------------------------------------- 2. gradients at NaN


def test_relu_passes_the_gradient_at_nan_as_pytorchs_threshold_backward() -> None:
    # PyTorch: grad where not (relu(x) <= 0); NaN <= 0 is false
    got = grad_of(lambda t: t.relu(), [np.nan, 1.0, -1.0, 0.0])
    assert got.tolist() == [1.0, 1.0, 0.0, 0.0]


def test_abs_gradient_at_nan_is_zero_as_pytorchs_sgn() -> None:
    # PyTorch's sgn(NaN) is 0 (issue pytorch#41245), so abs' gradient there is 0
    got = grad_of(lambda t: t.abs(), [np.nan, 2.0, -2.0, 0.0])
    assert got.tolist() == [0.0, 1.0, -1.0, 0.0]


def test_elu_passes_the_gradient_at_nan_as_pytorchs_elu_backward() -> None:
    got = grad_of(lambda t: tg.nn.functional.elu(t), [np.nan, 1.0])
    assert got.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("method", ["max", "min"])
def test_an_extremum_over_nan_sends_the_gradient_to_the_nan_without_warnings(method) -> None:
    with no_warnings():
        assert grad_of(lambda t: getattr(t, method)(), [np.nan, 1.0, 3.0]).tolist() == [
            1.0,
            0.0,
            0.0,
        ]
        # two NaNs share it, as PyTorch's evenly_distribute_backward
        assert grad_of(lambda t: getattr(t, method)(), [np.nan, 1.0, np.nan]).tolist() == [
            0.5,
            0.0,
            0.5,
        ]
        rows = [[np.nan, 1.0, 3.0], [1.0, 2.0, 2.0]]
        got = grad_of(lambda t: getattr(t, method)(axis=1), rows)
    tied = [0.0, 0.5, 0.5] if method == "max" else [1.0, 0.0, 0.0]
    assert got.tolist() == [[1.0, 0.0, 0.0], tied]


def test_extremum_second_order_still_matches_finite_differences() -> None:
    x = tg.tensor([[0.3, -1.2, 2.0], [1.0, 0.5, -0.7]], requires_grad=True)
    assert tg.gradgradcheck(lambda t: t.max(axis=1) * t.min(axis=1), [x])


# ---------------------------------------------------------------- 3. softmax edges


@pytest.mark.parametrize("dim", [0, -1])
def test_softmax_of_a_0d_tensor_is_one_and_log_softmax_zero(dim) -> None:
    x = tg.tensor(2.5, requires_grad=True)
    assert x.softmax(dim).item() == 1.0 and x.softmax(dim).shape == ()
    assert x.log_softmax(dim).item() == 0.0
    (x.softmax(dim) * 3.0 + x.log_softmax(dim)).backward()
    assert x.grad.item() == 0.0


def test_softmax_of_an_integer_tensor_is_an_error_unless_a_dtype_is_given() -> None:
    for values in ([1, 2], np.zeros(0, dtype=np.int64)):
        for method in ("softmax", "log_softmax"):
            with pytest.raises(RuntimeError, match=rf"{method}.*int64.*dtype="):
                getattr(tg.tensor(values), method)()
    out = tg.tensor([1, 2]).softmax(0, dtype=tg.float32)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), [0.26894142, 0.73105858], rtol=1e-6)
    assert tg.tensor([1, 2]).log_softmax(-1, dtype="float64").dtype == np.float64


def test_softmax_of_an_empty_float_tensor_is_an_empty_float_tensor() -> None:
    for dtype in ("float32", "float64"):
        out = tg.zeros(0, 3, dtype=dtype).softmax(0)
        assert out.shape == (0, 3) and out.dtype == np.dtype(dtype)


DIM_MESSAGE = r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 5\)"
x23 = np.ones((2, 3))
BAD_AXIS_CALLS = {
    "sum": lambda t: t.sum(5),
    "mean": lambda t: t.mean(dim=5),
    "max": lambda t: t.max(5),
    "min": lambda t: t.min(axis=(0, 5)),
    "prod": lambda t: t.prod(5),
    "logsumexp": lambda t: t.logsumexp(5),
    "var": lambda t: t.var(5),
    "std": lambda t: t.std(dim=5),
    "argmax": lambda t: t.argmax(5),
    "argmin": lambda t: t.argmin(5),
    "any": lambda t: t.any(5),
    "all": lambda t: t.all(5),
    "sort": lambda t: t.sort(5),
    "topk": lambda t: t.topk(1, 5),
    "softmax": lambda t: t.softmax(5),
    "log_softmax": lambda t: t.log_softmax(5),
    "cumsum": lambda t: t.cumsum(5),
    "cumprod": lambda t: t.cumprod(5),
    "flip": lambda t: t.flip(5),
    "squeeze": lambda t: t.squeeze(5),
    "swapaxes": lambda t: t.swapaxes(0, 5),
    "flatten": lambda t: t.flatten(5),
    "split": lambda t: t.split(1, 5),
    "chunk": lambda t: t.chunk(2, 5),
    "gather": lambda t: t.gather(5, np.zeros((2, 3), dtype=np.int64)),
    "permute": lambda t: t.permute(0, 5),
    "transpose": lambda t: t.transpose(0, 5),  # once wrapped to (0, 1): x itself
    "concatenate": lambda t: tg.concatenate([t, t], 5),
    "F.softmax": lambda t: tg.nn.functional.softmax(t, dim=5),
}


@pytest.mark.parametrize("name", list(BAD_AXIS_CALLS))
def test_a_bad_axis_is_one_error_everywhere(name) -> None:
    x = tg.tensor(x23, requires_grad=True)
    with pytest.raises(IndexError, match=DIM_MESSAGE) as caught:
        BAD_AXIS_CALLS[name](x)
    assert isinstance(caught.value, DimensionError)
    assert isinstance(caught.value, np.exceptions.AxisError)  # NumPy's habit still works
    what = name.removeprefix("F.")
    assert re.match(rf"{what}\b", str(caught.value)), str(caught.value)
    assert np.array_equal(x.detach().numpy(), x23) and x.grad is None


def test_a_bad_axis_of_a_new_axis_counts_the_new_one() -> None:
    x = tg.tensor(x23)
    for call in (lambda: x.unsqueeze(5), lambda: tg.stack([x, x], 5)):
        with pytest.raises(IndexError, match=r"\[-3, 2\], but got 5"):
            call()
    with pytest.raises(IndexError, match=r"softmax: .*\[-1, 0\], but got 1"):
        tg.tensor(1.0).softmax(1)  # a 0-d tensor takes -1 and 0


# ---------------------------------------------------------------- 4. cumulative ops, dtypes


def test_cumsum_of_a_0d_tensor_stays_0d() -> None:
    x = tg.tensor(2.0, requires_grad=True)
    for dim in (0, -1):
        out = x.cumsum(dim)
        assert out.shape == () and out.item() == 2.0
    (x.cumsum(0) * 3.0).backward()
    assert x.grad.shape == () and x.grad.item() == 3.0
    with pytest.raises(IndexError, match=r"cumsum: .*\[-1, 0\], but got 1"):
        x.cumsum(1)


@pytest.mark.parametrize(
    ("values", "dim"), [(2.0, 1), ([2.0, 3.0], 1), ([2.0, 3.0], -2), ([[1.0]], 2)]
)
def test_cumprod_of_a_missing_axis_raises_instead_of_wrapping(values, dim) -> None:
    with pytest.raises(IndexError, match=r"cumprod: Dimension out of range"):
        tg.tensor(values).cumprod(dim=dim)


@pytest.mark.parametrize("method", ["tril", "triu"])
def test_tril_and_triu_keep_the_dtype(method) -> None:
    for dtype in (bool, np.int32, np.float32):
        x = tg.ones(3, 3, dtype=dtype)
        out = getattr(x, method)()
        assert out.dtype == np.dtype(dtype)
        expected = getattr(np, method)(np.ones((3, 3), dtype=dtype))
        assert np.array_equal(out.numpy(), expected)


def test_linspace_refuses_bool_as_pytorch() -> None:
    with pytest.raises(RuntimeError, match=r"linspace.*bool"):
        tg.linspace(0, 1, 3, dtype=bool)
    assert tg.linspace(0, 10, 5, dtype="int64").tolist() == [0, 2, 5, 7, 10]


def test_a_python_int_wraps_into_the_tensors_dtype_in_bitwise_ops() -> None:
    x = tg.tensor([1, -2], dtype="int32")
    assert (x | 0xFFFFFFFF).tolist() == [-1, -1] and (x | 0xFFFFFFFF).dtype == np.int32
    assert (x & 0xFFFFFFFF).tolist() == [1, -2]
    assert (0xFFFFFFFF & x).tolist() == [1, -2]
    assert (x ^ 0xFFFFFFFF).tolist() == [-2, 1] and (0xFFFFFFFF ^ x).tolist() == [-2, 1]
    assert (tg.tensor([1], dtype="uint8") | 0x1FF).tolist() == [255]
    assert (tg.tensor([1]) | -1).tolist() == [-1]  # int64: fits, nothing to wrap
    assert (tg.tensor([True, False]) ^ True).tolist() == [False, True]
    with pytest.raises(OverflowError, match=r"\|.*18446744073709551616.*int32"):
        x | 2**64


def test_bitwise_ops_of_float_tensors_are_type_errors_naming_the_op() -> None:
    with pytest.raises(TypeError, match=r"\^.*float64"):
        tg.tensor([1.0]) ^ 1
