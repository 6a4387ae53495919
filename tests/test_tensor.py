"""Tensor semantics: construction, dtypes, accumulation, grad modes, and every error path."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn.namespace import numpy_xp


def leaf(values, **kwargs) -> tg.Tensor:
    return tg.Tensor(np.asarray(values, dtype=float), requires_grad=True, **kwargs)


# ---------------------------------------------------------------- construction and dtypes


def test_float_data_defaults_to_float64_and_float32_stays_float32() -> None:
    assert tg.Tensor([1.0, 2.0]).dtype == np.float64
    x = tg.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    w = tg.Tensor(np.ones((3, 2)), dtype="float32", requires_grad=True)
    y = ((x @ w).sigmoid() * 2.0 + 1).sum()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad is not None and x.grad.dtype == np.float32
    assert w.grad is not None and w.grad.dtype == np.float32


def test_integer_data_stays_integer_unless_it_requires_grad() -> None:
    assert tg.Tensor([1, 2]).dtype == np.int64
    assert tg.Tensor([1, 2], requires_grad=True).dtype == np.float64
    assert tg.Tensor([True, False], requires_grad=True).dtype == np.float64
    with pytest.raises(TypeError, match="only floating point"):
        tg.Tensor([1, 2], requires_grad=True, dtype=np.int32)


def test_construction_copies_the_data() -> None:
    data = np.array([1.0, 2.0])
    x = tg.Tensor(data)
    data[0] = 100.0
    assert x.data[0] == 1.0


@pytest.mark.parametrize(
    ("data", "words"),
    [(["a", "b"], "str|<U1"), ([[1, 2], [3]], "rectangular"), ({"a": 1}, "dict"), (None, "None")],
)
def test_non_numeric_data_is_a_type_error_naming_it(data, words) -> None:
    with pytest.raises(TypeError, match=words):
        tg.Tensor(data)


def test_comparisons_return_constant_bool_tensors() -> None:
    x = leaf([1.0, -2.0])
    for result in (x > 0, x >= 0, x < 0, x <= 0, x == 1.0, x != 1.0):
        assert result.dtype == np.bool_
        assert not result.requires_grad
    np.testing.assert_array_equal((x > 0).data, [True, False])


def test_scalars_and_arrays_on_either_side_of_every_operator() -> None:
    x = leaf([1.0, 2.0])
    a = np.array([3.0, 4.0])
    results = [x + 1, 1 + x, x - a, a - x, x * 2, 2 * x, x / 2, 2 / x, x**2, 2**x, a @ x, x @ a, -x]
    assert all(isinstance(r, tg.Tensor) and r.requires_grad for r in results)
    np.testing.assert_allclose((a - x).data, [2.0, 2.0])
    np.testing.assert_allclose((a @ x).data, 11.0)


def test_python_scalars_do_not_promote_float32() -> None:
    x = tg.Tensor([1.0], dtype=np.float32)
    assert (x * 2.5).dtype == np.float32
    assert (2.5 - x).dtype == np.float32
    assert (x**2).dtype == np.float32


@pytest.mark.parametrize("number", [np.float64(2.5), np.float32(2.5), np.int64(2), np.bool_(True)])
def test_numpy_scalars_are_numbers_as_in_pytorch(number) -> None:
    """``x / np.sqrt(2.0)``: a NumPy scalar is the op's constant, as a Python number is
    (no leaf of the graph), and a float32 tensor stays float32, as in PyTorch."""
    x = tg.Tensor([1.0, 2.0], dtype=np.float32, requires_grad=True)
    for y, position in ((x * number, 1), (number - x, 0), (x / number, 1)):
        assert y.dtype == np.float32 and y.op.parents == (x,)
        assert y.op.constants == ((position, number.item()),)
    np.testing.assert_allclose((number * x).array, np.array([1.0, 2.0]) * number.item())


def test_properties_and_conversions() -> None:
    x = tg.Tensor(np.arange(6.0).reshape(2, 3), name="x")
    assert (x.shape, x.ndim, x.size) == ((2, 3), 2, 6)
    assert x.T.shape == (3, 2)
    assert x.numpy() is x.array  # the engine's array, shared
    assert x.is_leaf and x.op is None
    assert tg.Tensor([[4.0]]).item() == 4.0
    assert len(x) == 2 and [row.shape for row in x] == [(3,), (3,)]
    assert "name='x'" in repr(x)
    with pytest.raises(RuntimeError, match="a Tensor with 6 elements cannot be converted"):
        x.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)


def test_reshape_and_permute_accept_both_spellings() -> None:
    x = tg.Tensor(np.arange(6.0))
    assert x.reshape(2, 3).shape == x.reshape((2, 3)).shape == (2, 3)
    y = tg.Tensor(np.zeros((2, 3, 4)))
    assert y.permute(2, 0, 1).shape == y.permute((2, 0, 1)).shape == (4, 2, 3)


# ---------------------------------------------------------------- backward semantics


def test_gradients_accumulate_across_backward_calls_like_pytorch() -> None:
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [6.0, 6.0])
    x.zero_grad()
    assert x.grad is None


def test_every_gradient_has_its_inputs_shape_after_broadcasting() -> None:
    a = leaf(np.ones((4, 1, 3)))
    b = leaf(np.ones(3))
    c = leaf(np.ones((2, 1)))
    (a * b + c).sum().backward()
    assert a.grad.shape == (4, 1, 3) and b.grad.shape == (3,) and c.grad.shape == (2, 1)
    np.testing.assert_array_equal(b.grad.data, [8.0, 8.0, 8.0])  # 4 * 2 broadcast copies
    np.testing.assert_array_equal(c.grad.data, [[12.0], [12.0]])  # 4 * 3


def test_repeated_indices_accumulate() -> None:
    x = leaf([1.0, 2.0, 3.0])
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 0.0, 1.0])


def test_a_tensor_used_twice_gets_both_contributions() -> None:
    x = leaf(3.0)
    y = x * x  # fan-out: x feeds both inputs of mul
    y.backward()
    assert x.grad.item() == 6.0


def test_gradients_of_leaves_never_alias_each_other_or_the_seed() -> None:
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    seed = np.array([1.0, 1.0])
    (a + b).backward(seed)
    assert not np.shares_memory(a.grad.data, b.grad.data)
    assert not np.shares_memory(a.grad.data, seed)
    a.grad.data[0] = 99.0
    assert b.grad.data[0] == 1.0


def test_backward_with_an_explicit_gradient() -> None:
    x = leaf([1.0, 2.0])
    (x * x).backward(np.array([10.0, 100.0]))
    np.testing.assert_array_equal(x.grad.data, [20.0, 400.0])


def test_retain_graph_allows_a_second_backward() -> None:
    x = leaf(2.0)
    y = x**3
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 24.0


def test_retain_grad_keeps_intermediate_gradients() -> None:
    x = leaf(2.0)
    h = (x * 3).retain_grad()
    (h * h).backward()
    assert h.grad.item() == 12.0 and x.grad.item() == 36.0


def test_no_grad_as_context_and_decorator_and_enable_grad() -> None:
    x = leaf(1.0)
    with tg.no_grad():
        assert not (x * 2).requires_grad
        with tg.enable_grad():
            assert (x * 2).requires_grad
    assert (x * 2).requires_grad

    @tg.no_grad()
    def doubled(t: tg.Tensor) -> tg.Tensor:
        return t * 2

    assert not doubled(x).requires_grad
    assert tg.is_grad_enabled()


def test_detach_and_requires_grad_() -> None:
    x = leaf([1.0])
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    t = tg.Tensor([1, 2]).requires_grad_()
    assert t.requires_grad and t.dtype == np.float64
    with pytest.raises(RuntimeError, match="leaf"):
        (x * 2).requires_grad_(False)


def test_grad_function_returns_gradients_without_touching_dot_grad() -> None:
    x, y = leaf(2.0), leaf(5.0)
    gx, gy = tg.grad(x * y, [x, y])
    assert (gx.item(), gy.item()) == (5.0, 2.0)
    assert x.grad is None and y.grad is None
    unused = leaf(1.0)
    with pytest.raises(RuntimeError, match="allow_unused"):
        tg.grad(x * 2, [unused])
    assert tg.grad(x * 2, [x, unused], allow_unused=True)[1] is None


def test_grad_with_respect_to_an_intermediate_tensor() -> None:
    x = leaf(2.0)
    h = x * 3
    (g,) = tg.grad(h * h, [h])
    assert g.item() == 12.0


def test_in_place_updates_are_for_no_grad_and_keep_the_graph_intact() -> None:
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w -= 1.0
    loss = (w * w).sum()  # saves w's current array for backward
    with tg.no_grad():
        w -= 1.0
        w *= 2.0
    np.testing.assert_array_equal(w.data, [0.0, 2.0])
    loss.backward()  # uses the values at forward time: 2 * [1, 2]
    np.testing.assert_array_equal(w.grad.data, [2.0, 4.0])
    f32 = tg.Tensor([1.0], dtype=np.float32)
    f32 += np.array([0.5])
    assert f32.dtype == np.float32


# ---------------------------------------------------------------- numerical stability


def test_sigmoid_softmax_log_softmax_are_stable_at_plus_minus_1000() -> None:
    x = leaf([-1000.0, 0.0, 1000.0])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        s = x.sigmoid()
        p = x.softmax()
        lp = x.log_softmax()
        (s.sum() + p[0] + lp.sum()).backward()
    np.testing.assert_array_equal(s.data, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(p.data, [0.0, 0.0, 1.0])
    np.testing.assert_allclose(lp.data, [-2000.0, -1000.0, 0.0])
    assert np.all(np.isfinite(x.grad.numpy()))


@pytest.mark.parametrize("size", [3, 5000])  # both spellings of sigmoid (small, large)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sigmoid_is_exact_at_the_extremes_and_warns_of_nothing(size: int, dtype: str) -> None:
    x = np.resize(np.array([-1000.0, 0.0, 1000.0, -30.0, 2.5], dtype), size)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        s = tg.Tensor(x).sigmoid().data
    assert s.dtype == dtype
    np.testing.assert_array_equal(s[:3], [0.0, 0.5, 1.0])
    expected = 1 / (1 + np.exp(-x[3:5].astype(np.float64)))
    np.testing.assert_allclose(s[3:5], expected, rtol=1e-15 if dtype == "float64" else 1e-6)


# ---------------------------------------------------------------- errors leave state unchanged


def test_backward_on_a_non_scalar_without_grad_names_the_shape() -> None:
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"scalar outputs.*\(2,\)"):
        y.backward()
    assert x.grad is None
    y.backward(np.ones(2))  # the graph is intact
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_second_backward_through_a_freed_graph_names_retain_graph() -> None:
    x = leaf(1.0)
    y = x * 2
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    assert x.grad.item() == 2.0  # unchanged by the failed call


def test_backward_on_a_tensor_without_graph_says_so() -> None:
    with pytest.raises(RuntimeError, match="has no graph"):
        tg.Tensor([1.0]).sum().backward()


def test_grad_of_the_wrong_shape_is_a_value_error_with_both_shapes() -> None:
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        y.backward(np.ones(3))
    assert x.grad is None
    y.backward(np.ones(2))


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: tg.Tensor(np.ones((4, 3))) @ leaf(np.ones((4, 1))), r"matmul.*\(4, 3\).*\(4, 1\)"),
        (lambda: leaf(np.ones((2, 3))) + tg.Tensor(np.ones(4)), r"add.*\(2, 3\).*\(4,\)"),
        (lambda: leaf(np.ones(6)).reshape(4, 2), r"reshape.*\(6,\)"),
        (
            lambda: tg.concatenate([leaf(np.ones((2, 3))), leaf(np.ones((2, 4)))]),
            r"concatenate.*\(2, 3\).*\(2, 4\)",
        ),
        (lambda: leaf(np.ones((2, 3))).sum(axis=5), r"sum.*Dimension out of range"),
    ],
)
def test_shape_mismatches_are_value_errors_naming_op_and_shapes(make, words) -> None:
    with pytest.raises(ValueError, match=words):
        make()


def test_a_failed_op_leaves_its_inputs_and_graph_as_they_were() -> None:
    w = leaf(np.ones((3, 2)))
    h = w * 2
    before = (h.array.copy(), h.op, h.op.parents)
    with pytest.raises(ValueError):
        h @ tg.Tensor(np.ones((3, 3)))
    assert np.array_equal(h.data, before[0]) and h.op is before[1]
    assert h.op.parents is before[2]
    h.sum().backward()
    np.testing.assert_array_equal(w.grad.data, np.full((3, 2), 2.0))


def test_index_errors_stay_index_errors() -> None:
    with pytest.raises(IndexError, match="getitem"):
        leaf([1.0, 2.0])[5]


# ---------------------------------------------------------------- the package itself


def test_importing_the_package_loads_numpy_only() -> None:
    code = (
        "import sys, tinygrad_nn\n"
        "heavy = ['graphviz', 'matplotlib', 'tqdm', 'hypothesis', 'scipy', 'torch']\n"
        "print([m for m in heavy if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


def test_op_nodes_are_introspectable() -> None:
    x = leaf([1.0, 2.0], name="x")
    y = x.sigmoid()
    assert y.op.name == "sigmoid"
    assert y.op.parents == (x,)
    assert y.op.formula.startswith("z = 1 / (1 + exp(-x))")
    # sigmoid's rule reads only its output: the input is not kept for backward
    assert y.op.saved[0] is None and y.op.saved[1] is y.array
    assert (x.sum(axis=0, keepdims=True)).op.params == {"axis": 0, "keepdims": True}


def test_every_op_declares_what_its_rule_reads() -> None:
    """``saves`` is checked against the rules by every gradient test (an undeclared input
    reaches the rule as None and fails); here: each built-in op declares it."""
    undeclared = [
        cls.__name__
        for cls in vars(tg.ops).values()
        if isinstance(cls, type)
        and issubclass(cls, tg.ops.Op)
        and cls is not tg.ops.Op
        and cls.saves is None
    ]
    assert undeclared == []
    with pytest.raises(TypeError, match=r"Bad.saves names \['q'\]"):
        type("Bad", (tg.ops.Op,), {"saves": ("q",)})
    assert tg.ops.Sum().saved_of([np.zeros((2, 3))], np.zeros(()))[0].shape == (2, 3)


def test_a_number_input_gets_no_gradient_computed() -> None:
    """``x * 1.0001`` is one op; its rule computes no product for the number (nor for an
    input that does not require grad), as PyTorch's rules skip what is not needed."""
    x = leaf([1.0, 2.0])
    g = np.ones(2)
    for y in (x * 1.0001, 1.0001 * x, x - 2.0, 2.0 - x, x / 2.0):
        shares = y.op.backward(numpy_xp, g, *y.op.saved)
        position = y.op.constants[0][0]
        assert shares[position] is None and shares[1 - position] is not None
    data = tg.Tensor([3.0, 4.0])
    assert (data * x).op.backward(numpy_xp, g, *(data * x).op.saved)[0] is None


def test_detach_in_place_makes_a_named_leaf_that_stops_gradients() -> None:
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.name = "h"
    assert h.detach_() is h and h.is_leaf and not h.requires_grad and h.name == "h"
    loss = (h * x).sum()  # h is a constant now: dloss/dx = h
    loss.backward()
    np.testing.assert_array_equal(x.grad.array, [3.0, 6.0])


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, "int64"])
def test_an_integer_cast_carries_no_gradient_as_in_pytorch(dtype) -> None:
    """The cast rounds: no gradient flows through it (PyTorch's result does not require
    grad), where 1 would flow back silently."""
    x = tg.Tensor([1.7, 2.2], requires_grad=True)
    for y in (x.astype(dtype), x.to(dtype)):
        assert not y.requires_grad and y.op is None
        assert y.tolist() == np.array([1.7, 2.2]).astype(dtype).tolist()
    assert x.astype(np.float32).requires_grad  # a float cast still records
    with pytest.raises(RuntimeError):
        (x.astype(dtype) * 2.0).sum().backward()
