"""Comparisons by name (``x.eq(y)``, ``torch.ne``... as PyTorch's), ``torch.equal``,
``Tensor.bool()`` and the ``*_as`` methods (``view_as``, ``reshape_as``, ``expand_as``):
the names examples/mnist's ``pred.eq(target.view_as(pred)).sum().item()`` needs."""

from __future__ import annotations

import importlib.util
import operator

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nn as tg

HAS_TORCH = importlib.util.find_spec("torch") is not None

COMPARISONS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
ALIASES = {
    "not_equal": "ne",
    "less": "lt",
    "less_equal": "le",
    "greater": "gt",
    "greater_equal": "ge",
}
small = st.integers(-3, 3).map(float)  # few values, so that ties (eq, le, ge) happen


@settings(max_examples=40, deadline=None)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
    data=st.data(),
    name=st.sampled_from(sorted(COMPARISONS)),
)
def test_named_comparisons_are_the_operators_with_broadcasting(shapes, data, name) -> None:
    a = data.draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=small))
    b = data.draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=small))
    x = tg.tensor(a, requires_grad=True)  # a leaf that needs grad compares too (a constant)
    result = getattr(x, name)(tg.tensor(b))
    expected = COMPARISONS[name](a, b)
    assert result.dtype == np.bool_ and not result.requires_grad
    np.testing.assert_array_equal(result.numpy(), expected)
    # with a number, and as a torch.* function (the unbound method)
    np.testing.assert_array_equal(
        getattr(tg.Tensor, name)(x, 1.0).numpy(), COMPARISONS[name](a, 1.0)
    )


def test_aliases_are_the_same_methods() -> None:
    for alias, name in ALIASES.items():
        assert getattr(tg.Tensor, alias) is getattr(tg.Tensor, name)
    x = tg.tensor([1, 2, 3])
    assert x.greater_equal(2).tolist() == [False, True, True]


@pytest.mark.parametrize("other", [None, "2", [1, 2], object()])
def test_a_comparison_with_neither_a_tensor_nor_a_number_is_refused(other) -> None:
    with pytest.raises(TypeError, match=r"eq\(\) received an invalid combination of arguments"):
        tg.tensor([1.0, 2.0]).eq(other)
    with pytest.raises(TypeError, match=rf"got \({type(other).__name__}\)"):
        tg.tensor([1.0, 2.0]).ge(other)


def test_a_comparison_of_shapes_that_do_not_broadcast_names_them() -> None:
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)|\(3,\).*\(2,\)"):
        tg.ones(2).eq(tg.ones(3))


def test_the_mnist_accuracy_count() -> None:
    output = tg.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]).log_softmax(dim=1)
    target = tg.tensor([1, 1, 1])
    pred = output.argmax(dim=1, keepdim=True)
    assert target.view_as(pred).shape == (3, 1)
    assert pred.eq(target.view_as(pred)).sum().item() == 2


def test_bool_is_nonzero_and_a_constant() -> None:
    x = tg.tensor([0.0, -0.5, 2.0, float("nan")], requires_grad=True)
    b = x.bool()
    assert b.dtype == np.bool_ and not b.requires_grad
    assert b.tolist() == [False, True, True, True]  # NaN is nonzero, as in PyTorch


def test_the_as_methods_take_the_other_tensors_shape_and_pass_gradients() -> None:
    x = tg.tensor(np.arange(6.0), requires_grad=True)
    y = x.view_as(tg.zeros(2, 3)) * tg.tensor([[1.0], [2.0]])
    assert y.shape == (2, 3)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1, 1, 2, 2, 2])
    assert x.reshape_as(tg.zeros(3, 2)).shape == (3, 2)
    column = tg.tensor([[1.0], [2.0]], requires_grad=True)
    column.expand_as(tg.zeros(2, 4)).sum().backward()
    np.testing.assert_array_equal(column.grad.numpy(), [[4.0], [4.0]])
    assert tg.gradcheck(lambda t: t.expand_as(tg.zeros(3, 2, 4)), [column])
    with pytest.raises(
        TypeError, match=r"view_as\(\): argument 'other' \(position 1\) must be Tensor, not tuple"
    ):
        x.view_as((2, 3))
    with pytest.raises(TypeError, match=r"expand_as\(\): argument 'other' .* not ndarray"):
        x.expand_as(np.zeros(6))


def test_equal_is_same_shape_and_values() -> None:
    from tinygrad_nn.torch_names.torch_only import equal

    assert equal(tg.tensor([1, 2]), tg.tensor([1.0, 2.0]))  # dtypes may differ
    assert not equal(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 2.5]))
    assert not equal(tg.ones(2, 1), tg.ones(1, 2))  # broadcastable is not equal
    assert not equal(tg.tensor([float("nan")]), tg.tensor([float("nan")]))
    with pytest.raises(TypeError, match=r"equal\(\): argument 'other' must be Tensor, not list"):
        equal(tg.ones(2), [1.0, 1.0])


def test_the_torch_names_answer(  # (install_as_torch gives the same objects)
) -> None:
    with tg.install_as_torch():
        import torch

        assert torch.eq is tg.Tensor.eq and torch.greater is tg.Tensor.gt
        assert torch.eq(tg.tensor([1, 2]), 2).tolist() == [False, True]
        assert torch.equal(tg.ones(2), tg.ones(2))


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")
def test_comparisons_agree_with_pytorch() -> None:
    import torch

    rng = np.random.default_rng(0)
    a, b = rng.integers(-2, 3, size=(3, 1, 4)).astype(float), rng.integers(-2, 3, size=(2, 4))
    for name in [*COMPARISONS, *ALIASES]:
        ours = getattr(tg.tensor(a), name)(tg.tensor(b.astype(float)))
        theirs = getattr(torch.tensor(a), name)(torch.tensor(b.astype(float)))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=name)
        ours = getattr(torch, name)(torch.tensor(a), 0.0).numpy()
        np.testing.assert_array_equal(getattr(tg.Tensor, name)(tg.tensor(a), 0.0).numpy(), ours)
    x = np.array([0.0, -0.5, np.nan])
    np.testing.assert_array_equal(tg.tensor(x).bool().numpy(), torch.tensor(x).bool().numpy())
    assert torch.equal(torch.tensor([1, 2]), torch.tensor([1.0, 2.0]))
    assert not torch.equal(torch.ones(2, 1), torch.ones(1, 2))
    assert not torch.equal(torch.tensor([float("nan")]), torch.tensor([float("nan")]))


# ---------------------------------------------------------------- type() and unbind


def test_type_names_the_tensor_type_or_converts() -> None:
    assert tg.tensor([1.5]).type() == "torch.DoubleTensor"
    assert tg.tensor([1]).type() == "torch.LongTensor"
    assert tg.tensor([True]).type() == "torch.BoolTensor"
    x = tg.tensor([1.5, -2.5], requires_grad=True)
    assert x.type(tg.float64) is x  # nothing to change
    y = x.type(np.float32)
    assert y.dtype == np.float32 and y.requires_grad  # a float result is recorded
    (y * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    z = x.type("torch.LongTensor")
    assert z.dtype == np.int64 and not z.requires_grad and z.tolist() == [1, -2]
    with pytest.raises(ValueError, match=r"invalid type: 'float'"):
        x.type("float")
    with pytest.raises(ValueError, match=r"invalid type: 'torch.NopeTensor'"):
        x.type("torch.NopeTensor")


@settings(max_examples=25, deadline=None)
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=3),
    data=st.data(),
)
def test_unbind_slices_and_its_gradients_match_finite_differences(shape, data) -> None:
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    values = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-2, 2)))
    x = tg.tensor(values, requires_grad=True)
    parts = x.unbind(dim)
    assert len(parts) == shape[dim] and isinstance(parts, tuple)
    for i, part in enumerate(parts):
        np.testing.assert_array_equal(part.detach().numpy(), np.take(values, i, axis=dim))
    weights = [float(i + 1) for i in range(len(parts))]
    assert tg.gradcheck(lambda t: sum(w * p for w, p in zip(weights, t.unbind(dim))), [x])


def test_unbind_errors_are_pytorchs() -> None:
    with pytest.raises(IndexError, match=r"Dimension specified as 0 but tensor has no dimensions"):
        tg.tensor(1.0).unbind(0)
    with pytest.raises(IndexError, match=r"unbind"):
        tg.ones(2, 3).unbind(2)
    with tg.install_as_torch():
        import torch

        q, k, v = torch.unbind(tg.ones(3, 2), 0)
        assert q.shape == k.shape == v.shape == (2,)


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")
def test_type_and_unbind_agree_with_pytorch() -> None:
    import torch

    for dtype in (np.float64, np.float32, np.int64, np.int32, np.bool_, np.uint8, np.int8):
        ours = tg.tensor(np.ones(2, dtype)).type()
        assert ours == torch.from_numpy(np.ones(2, dtype)).type(), dtype
    x = np.arange(6.0).reshape(2, 3)
    for dim in (0, 1, -1):
        for a, b in zip(tg.tensor(x).unbind(dim), torch.tensor(x).unbind(dim)):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert torch.tensor([1.5, -2.5]).type("torch.LongTensor").tolist() == [1, -2]
    with pytest.raises(ValueError, match=r"invalid type: 'float'"):
        torch.ones(2).type("float")
