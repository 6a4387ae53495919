"""Minibatches: Dataset, TensorDataset, DataLoader, and fit over epochs with a metric."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nn as tg
from tinygrad_nn import nn, optim
from tinygrad_nn.data import DataLoader, Dataset, TensorDataset
from tinygrad_nn.training import accuracy, fit


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 23),
    batch_size=st.integers(1, 7),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
    seed=st.integers(0, 5),
)
def test_an_epoch_visits_every_example_once(n, batch_size, shuffle, drop_last, seed) -> None:
    X, y = np.arange(2.0 * n).reshape(n, 2), np.arange(n)
    if n == 0 and shuffle:  # PyTorch's RandomSampler refuses an empty dataset
        with pytest.raises(ValueError, match="num_samples=0"):
            DataLoader(TensorDataset(X, y), batch_size, shuffle, drop_last=drop_last, seed=seed)
        return
    loader = DataLoader(TensorDataset(X, y), batch_size, shuffle, drop_last=drop_last, seed=seed)
    batches = list(loader)
    assert len(batches) == len(loader)
    sizes = [len(yb.numpy()) for _, yb in batches]
    assert all(size == batch_size for size in sizes[:-1])
    if drop_last:
        assert sizes == [batch_size] * (n // batch_size)
    seen = np.concatenate([yb.numpy() for _, yb in batches]) if batches else np.array([], int)
    assert len(set(seen.tolist())) == len(seen) == sum(sizes)
    if not drop_last:
        assert sorted(seen.tolist()) == list(range(n))
    for xb, yb in batches:  # rows stay together
        np.testing.assert_array_equal(xb.numpy(), X[yb.numpy()])
        assert yb.dtype == np.int64  # labels stay integers
    if not shuffle:
        assert seen.tolist() == list(range(len(seen)))


def test_shuffling_is_seeded_and_new_every_epoch() -> None:
    def orders(loader):
        return [np.concatenate([b.numpy() for (b,) in loader]).tolist() for _ in range(3)]

    ds = TensorDataset(np.arange(20))
    first = orders(DataLoader(ds, 4, shuffle=True, seed=7))
    assert first == orders(DataLoader(ds, 4, shuffle=True, seed=7))
    assert first[0] != first[1]  # a new order each epoch
    tg.manual_seed(3)
    global_seeded = orders(DataLoader(ds, 4, shuffle=True))
    tg.manual_seed(3)
    assert global_seeded == orders(DataLoader(ds, 4, shuffle=True))


def test_a_dataset_of_its_own_is_collated_by_stacking() -> None:
    class Pairs(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.full(3, float(i)), i % 2

    (xb, yb), *_ = DataLoader(Pairs(), batch_size=4)
    assert xb.shape == (4, 3) and yb.tolist() == [0, 1, 0, 1]


def test_bad_datasets_and_loaders_are_refused() -> None:
    with pytest.raises(ValueError, match="same first length"):
        TensorDataset(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        DataLoader(TensorDataset(np.zeros(3)), batch_size=0)
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())


def test_fit_trains_on_minibatches_and_reports_a_metric_per_epoch() -> None:
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    loader = DataLoader(TensorDataset(X[:100], y[:100]), batch_size=16, shuffle=True, seed=0)
    history = fit(
        model,
        nn.functional.cross_entropy,
        optim.Adam(model.parameters(), lr=0.05),
        loader,
        epochs=8,
        validation=(X[100:], y[100:]),
        metric=accuracy,
    )
    assert len(history) == 8 * len(loader) and len(history.validation) == 8
    assert np.mean(history[-7:]) < np.mean(history[:7])
    assert history.validation[-1] >= 0.9
    assert model.training  # evaluation put it back in training mode


def test_fit_says_how_to_call_it() -> None:
    model = nn.Linear(1, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(TensorDataset(np.zeros((2, 1)), np.zeros((2, 1))))
    with pytest.raises(ValueError, match="give epochs="):
        fit(model, nn.MSE(), opt, loader)
    with pytest.raises(ValueError, match="full-batch"):
        fit(model, nn.MSE(), opt, np.zeros((2, 1)), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="together"):
        fit(model, nn.MSE(), opt, loader, epochs=1, validation=(np.zeros((1, 1)), [0]))
