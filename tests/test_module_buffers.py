"""Buffers as PyTorch keeps them: ``persistent=False`` ones are moved but not saved, a
None buffer is a reserved name; ``double()``/``float()``/``half()`` convert a model;
BatchNorm's ``num_batches_tracked``, ``momentum=None``, ``affine`` and
``track_running_stats``."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn import nn


class Masked(nn.Module):
    """nanoGPT's pattern: a causal mask rebuilt by __init__, so not saved."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(4, 3)
        self.register_buffer("steps", tg.tensor(0))
        self.register_buffer("tril", tg.ones(3, 3).tril(), persistent=False)
        self.register_buffer("later", None)

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        return self.proj(x).masked_fill(self.tril[:3, :3] == 0, 0.0)


def test_a_non_persistent_buffer_is_moved_but_not_saved() -> None:
    model = Masked()
    assert list(model.state_dict()) == ["steps", "proj.weight", "proj.bias"]  # PyTorch's order
    assert [name for name, _ in model.named_buffers()] == ["steps", "tril"]
    other = Masked()
    assert repr(other.load_state_dict(model.state_dict())) == "<All keys matched successfully>"
    model.float()
    assert model.tril.dtype == np.float32 and model.proj.weight.dtype == np.float32
    assert model.steps.dtype == np.int64  # a count stays an integer
    assert model(tg.ones(3, 4, dtype=np.float32)).shape == (3, 3)


def test_a_none_buffer_is_a_name_kept_for_later() -> None:
    model = Masked()
    assert model.later is None
    model.later = tg.zeros(2)  # assigning a tensor to a buffer's name keeps it a buffer
    assert "later" in model.state_dict()
    model.later = None
    assert "later" not in model.state_dict()


def test_a_buffer_made_persistent_again_is_saved() -> None:
    model = Masked()
    model.register_buffer("tril", tg.ones(2), persistent=True)
    assert "tril" in model.state_dict()


@pytest.mark.parametrize(
    ("name", "value", "error", "message"),
    [
        ("mask", np.ones(2), TypeError, "cannot assign 'ndarray' object to buffer 'mask'"),
        ("a.b", tg.ones(2), KeyError, "buffer name can"),
    ],
)
def test_bad_buffers_are_refused_naming_them(name, value, error, message) -> None:
    model = nn.Module()
    with pytest.raises(error, match=message.replace(".", r"\.").replace("(", r"\(")):
        model.register_buffer(name, value)
    assert not model._buffers


@pytest.mark.parametrize(
    ("method", "dtype"), [("double", np.float64), ("float", np.float32), ("half", np.float16)]
)
def test_double_float_half_convert_every_parameter(method, dtype) -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    assert getattr(model, method)() is model
    assert {p.dtype for p in model.parameters()} == {np.dtype(dtype)}
    assert model[1].running_mean.dtype == dtype and model[1].num_batches_tracked.dtype == np.int64


def test_the_saved_keys_are_pytorchs() -> None:
    torch = pytest.importorskip("torch")

    class Theirs(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.proj = torch.nn.Linear(4, 3)
            self.register_buffer("steps", torch.tensor(0))
            self.register_buffer("tril", torch.tril(torch.ones(3, 3)), persistent=False)
            self.register_buffer("later", None)

    theirs = Theirs()
    assert list(theirs.state_dict()) == list(Masked().state_dict())
    assert [n for n, _ in theirs.named_buffers()] == [n for n, _ in Masked().named_buffers()]
    with pytest.raises(TypeError) as raised:
        theirs.register_buffer("mask", np.ones(2))
    assert "cannot assign 'numpy.ndarray' object to buffer 'mask'" in str(raised.value)


def test_batch_norm_with_momentum_none_averages_every_batch() -> None:
    layer = nn.BatchNorm1d(2, momentum=None)
    batches = [np.random.default_rng(i).normal(i, 1.0 + i, size=(5, 2)) for i in range(3)]
    for x in batches:
        layer(tg.tensor(x))
    assert layer.num_batches_tracked.item() == 3
    np.testing.assert_allclose(layer.running_mean.array, np.mean([x.mean(0) for x in batches], 0))
    unbiased = [x.var(0, ddof=1) for x in batches]
    np.testing.assert_allclose(layer.running_var.array, np.mean(unbiased, 0))


def test_batch_norm_without_affine_or_statistics() -> None:
    plain = nn.BatchNorm1d(2, affine=False, track_running_stats=False).eval()
    assert plain.weight is None and list(plain.parameters()) == [] and plain.state_dict() == {}
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    want = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)  # the batch's, in evaluation too
    np.testing.assert_allclose(plain(tg.tensor(x)).array, want)


def test_batch_norm_checkpoints_are_pytorchs() -> None:
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).normal(size=(6, 3, 2))
    for kwargs in ({}, {"momentum": None}, {"affine": False}, {"track_running_stats": False}):
        theirs, ours = torch.nn.BatchNorm1d(3, **kwargs).double(), nn.BatchNorm1d(3, **kwargs)
        for _ in range(2):
            want = theirs(torch.tensor(x)).detach().numpy()
            np.testing.assert_allclose(ours(tg.tensor(x)).array, want, rtol=1e-12, atol=1e-12)
        state = {k: v.numpy() for k, v in theirs.state_dict().items()}
        assert list(ours.state_dict()) == list(state)
        for key, value in ours.state_dict().items():
            np.testing.assert_allclose(value, state[key], rtol=1e-12)
        fresh = nn.BatchNorm1d(3, **kwargs)
        assert repr(fresh.load_state_dict(state)) == "<All keys matched successfully>"
        assert repr(ours) == repr(theirs)


def test_dropout_prints_and_takes_pytorchs_arguments() -> None:
    assert repr(nn.Dropout(0.1)) == "Dropout(p=0.1, inplace=False)"
    x = tg.ones(4)
    assert nn.Dropout(0.5, inplace=True).eval()(x).tolist() == [1.0] * 4
    torch = pytest.importorskip("torch")
    assert repr(nn.Dropout(0.1, inplace=True)) == repr(torch.nn.Dropout(0.1, inplace=True))
