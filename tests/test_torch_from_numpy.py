"""torch.from_numpy and torch.as_tensor: tensors that share a NumPy array, as PyTorch's."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn.creation import as_tensor, from_numpy

HAS_TORCH = importlib.util.find_spec("torch") is not None


def test_from_numpy_shares_the_array_and_keeps_its_dtype() -> None:
    for dtype in (np.float64, np.float32, np.int64, np.int32, np.uint8, np.bool_):
        a = np.zeros(3, dtype)
        t = from_numpy(a)
        assert t.dtype == dtype and not t.requires_grad
        a[1] = 1
        assert t.tolist()[1] == 1  # a later write into the array shows
    assert from_numpy(np.array(3.0)).shape == ()
    w = from_numpy(np.ones((2, 2))).requires_grad_()  # and it can become a parameter
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), 2 * np.ones((2, 2)))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1, 2], r"expected np\.ndarray \(got list\)"),
        (tg.ones(2), r"expected np\.ndarray \(got Tensor\)"),
        (np.array(["a"]), r"can't convert np\.ndarray of type numpy\.str_\. The only supported"),
        (np.array([object()]), r"of type numpy\.object_\. .* uint8, and bool\.$"),
    ],
)
def test_from_numpy_refuses_what_pytorchs_refuses(value, message) -> None:
    with pytest.raises(TypeError, match=message):
        from_numpy(value)


def test_as_tensor_shares_when_it_can_and_copies_otherwise() -> None:
    a = np.arange(3.0)
    shared, converted = as_tensor(a), as_tensor(a, dtype=np.float32)
    a[0] = 7.0
    assert shared.tolist()[0] == 7.0 and converted.tolist()[0] == 0.0
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    assert as_tensor(x) is x and as_tensor(x, dtype=np.float64) is x
    y = as_tensor(x, dtype=np.float32)  # converted as .to does: gradients flow back
    assert y.dtype == np.float32 and y.requires_grad
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    assert as_tensor([1, 2]).dtype == np.int64 and as_tensor([1.0]).dtype == np.float64
    assert as_tensor(a, device="cpu").tolist() == [7.0, 1.0, 2.0]


def test_the_torch_names_are_these() -> None:
    with tg.install_as_torch():
        import torch

        assert torch.from_numpy is from_numpy and torch.as_tensor is as_tensor
        assert torch.from_numpy(np.ones(2)).float().dtype == np.float32


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")
def test_sharing_and_errors_agree_with_pytorch() -> None:
    import torch

    for dtype in (np.float64, np.float32, np.int64, np.uint8, np.bool_):
        a, b = np.zeros(3, dtype), np.zeros(3, dtype)
        ours, theirs = from_numpy(a), torch.from_numpy(b)
        a[2] = b[2] = 1
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert ours.dtype == theirs.numpy().dtype
    for bad in ([1, 2], np.array(["a"]), np.array([object()])):
        with pytest.raises(TypeError) as theirs_error:
            torch.from_numpy(bad)
        with pytest.raises(TypeError) as ours_error:
            from_numpy(bad)
        assert str(ours_error.value) == str(theirs_error.value)
    a, b = np.arange(3.0), np.arange(3.0)
    ours, theirs = as_tensor(a), torch.as_tensor(b)
    a[0] = b[0] = 5.0
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    x = torch.ones(2)
    assert torch.as_tensor(x) is x
