"""Issue 25's data/optim/checkpoint surface, with PyTorch's signatures, meanings and words:
DataLoader's arguments and the samplers, tg.Generator, zero_grad(set_to_none=), Adadelta,
LBFGS, and tg.save/tg.load of anything a PyTorch program saves (no pickle)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    random_split,
)

# ---------------------------------------------------------------- tg.Generator


def test_generator_seeds_as_torch_generator() -> None:
    g = tg.Generator()
    assert g.initial_seed() == 67280421310721  # torch.Generator()'s default seed
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    assert tg.Generator().manual_seed(-1).initial_seed() == 2**64 - 1  # two's complement
    first = g.numpy.random(3)
    assert np.array_equal(g.manual_seed(5).numpy.random(3), first)
    fresh = g.seed()
    assert g.initial_seed() == fresh and 0 <= fresh < 2**64
    with pytest.raises(TypeError, match="manual_seed expected a long, but got float"):
        g.manual_seed(1.5)
    with pytest.raises(RuntimeError, match="Overflow when unpacking long"):
        g.manual_seed(2**64)
    assert g.initial_seed() == fresh  # a refused seed changes nothing


def test_generator_state_round_trips_and_bad_states_are_refused() -> None:
    g = tg.Generator().manual_seed(1)
    state = g.get_state()
    assert isinstance(state, tg.Tensor) and state.dtype == np.uint8
    a = g.numpy.random(4)
    assert np.array_equal(g.set_state(state).numpy.random(4), a)
    with pytest.raises(RuntimeError, match="not a state from get_state"):
        g.set_state(tg.Tensor(np.zeros(3, np.uint8)))
    with pytest.raises(TypeError, match="1-D uint8"):
        g.set_state(np.zeros(3))


def test_manual_seed_returns_the_default_generator() -> None:
    g = tg.manual_seed(11)
    assert isinstance(g, tg.Generator) and g.initial_seed() == tg.initial_seed() == 11
    a = tg.randn(3).numpy()
    tg.manual_seed(11)
    assert np.array_equal(tg.randn(3).numpy(), a)
    assert np.array_equal(np.random.default_rng(11).standard_normal(3), a)  # as before


# ---------------------------------------------------------------- samplers


def test_samplers_yield_pytorchs_indices() -> None:
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    g = tg.Generator().manual_seed(0)
    order = list(RandomSampler(range(6), generator=g))
    assert sorted(order) == list(range(6)) and len(RandomSampler(range(6))) == 6
    chained = list(RandomSampler(range(3), num_samples=7, generator=g))
    assert len(chained) == 7 and sorted(chained[:3]) == sorted(chained[3:6]) == [0, 1, 2]
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=50, generator=g))
    assert len(drawn) == 50 and set(drawn) == {0, 1, 2}
    assert sorted(SubsetRandomSampler([4, 8, 9], generator=g)) == [4, 8, 9]
    weighted = list(WeightedRandomSampler([0.0, 3.0, 1.0], 40, generator=g))
    assert len(weighted) == 40 and set(weighted) == {1, 2}
    once = list(WeightedRandomSampler([1.0, 1.0, 1.0, 0.0], 3, replacement=False))
    assert sorted(once) == [0, 1, 2]
    batches = BatchSampler(SequentialSampler(range(7)), 3, drop_last=False)
    assert list(batches) == [[0, 1, 2], [3, 4, 5], [6]] and len(batches) == 3
    assert len(BatchSampler(range(7), 3, drop_last=True)) == 2


def test_a_seeded_generator_repeats_the_order() -> None:
    def order(seed):
        return list(RandomSampler(range(20), generator=tg.Generator().manual_seed(seed)))

    assert order(3) == order(3) != order(4)
    sampler = RandomSampler(range(20), generator=tg.Generator().manual_seed(3))
    assert list(sampler) != list(sampler)  # a new order at each iteration


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: RandomSampler(range(3), replacement=1), TypeError, "replacement=1"),
        (lambda: RandomSampler(range(3), num_samples=0), ValueError, "num_samples=0"),
        (lambda: RandomSampler([]), ValueError, "num_samples=0"),
        (lambda: RandomSampler(range(3), generator=3), TypeError, "tinygrad_nn.Generator"),
        (lambda: WeightedRandomSampler([1.0], True), ValueError, "num_samples=True"),
        (lambda: WeightedRandomSampler([[1.0]], 1), ValueError, r"1d sequence .* \(1, 1\)"),
        (lambda: BatchSampler(range(3), 0, False), ValueError, "batch_size=0"),
        (lambda: BatchSampler(range(3), 2, 1), ValueError, "drop_last=1"),
    ],
)
def test_bad_sampler_arguments_get_pytorchs_errors(make, error, words) -> None:
    with pytest.raises(error, match=words):
        make()


def test_weighted_draws_that_cannot_be_made_are_refused_when_drawn() -> None:
    with pytest.raises(RuntimeError, match="probability entry < 0"):
        list(WeightedRandomSampler([1.0, -1.0], 2))
    with pytest.raises(RuntimeError, match=r"sum of probabilities <= 0"):
        list(WeightedRandomSampler([0.0, 0.0], 2))
    with pytest.raises(RuntimeError, match="not enough non-negative category"):
        list(WeightedRandomSampler([1.0, 0.0], 2, replacement=False))


# ---------------------------------------------------------------- datasets


def test_subset_concat_and_random_split() -> None:
    ds = TensorDataset(np.arange(10) * 10)
    assert isinstance(ds[2][0], tg.Tensor) and ds[2][0].item() == 20  # rows are Tensors
    part = Subset(ds, [7, 2])
    assert len(part) == 2 and part[0][0].item() == 70
    both = ds + TensorDataset(np.arange(3))
    assert isinstance(both, ConcatDataset) and len(both) == 13 and both[11][0].item() == 1
    assert both[-1][0].item() == 2
    with pytest.raises(ValueError, match="should not exceed dataset length"):
        both[-14]
    with pytest.raises(AssertionError, match="should not be an empty iterable"):
        ConcatDataset([])
    a, b, c = random_split(ds, [5, 3, 2], generator=tg.Generator().manual_seed(0))
    assert (len(a), len(b), len(c)) == (5, 3, 2)
    assert sorted(a.indices + b.indices + c.indices) == list(range(10))
    again = random_split(ds, [5, 3, 2], generator=tg.Generator().manual_seed(0))
    assert again[0].indices == a.indices
    assert [len(s) for s in random_split(range(10), [0.34, 0.33, 0.33])] == [4, 3, 3]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(ds, [5, 4])
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
        random_split(ds, [0.5, -0.5, 1.0])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(2), [0.9, 0.1])


# ---------------------------------------------------------------- DataLoader


def test_dataloader_takes_pytorchs_arguments_in_pytorchs_order() -> None:
    ds = TensorDataset(np.arange(10.0), np.arange(10))
    sampler = SubsetRandomSampler([1, 3, 5], generator=tg.Generator().manual_seed(0))
    loader = DataLoader(ds, 2, False, sampler, None, 4, None, True, False)
    assert loader.num_workers == 4 and loader.pin_memory and loader.prefetch_factor == 2
    batches = list(loader)
    assert len(loader) == len(batches) == 2
    assert sorted(np.concatenate([y.numpy() for _, y in batches]).tolist()) == [1, 3, 5]
    assert isinstance(batches[0], list)  # default_collate makes a tuple example a list
    by_batches = DataLoader(ds, batch_sampler=[[0, 1, 2], [9]])
    assert [y.tolist() for _, y in by_batches] == [[0, 1, 2], [9]] and len(by_batches) == 2
    kept = DataLoader(ds, batch_size=4, drop_last=True, persistent_workers=True, num_workers=1)
    assert len(kept) == 2 and [len(y.numpy()) for _, y in kept] == [4, 4]
    one_by_one = DataLoader(ds, batch_size=None)
    x0, y0 = next(iter(one_by_one))
    assert x0.shape == () and y0.item() == 0 and len(one_by_one) == 10


def test_dataloader_shuffles_with_its_generator() -> None:
    ds = TensorDataset(np.arange(12))

    def epoch(loader):
        return np.concatenate([b.numpy() for (b,) in loader]).tolist()

    a = DataLoader(ds, batch_size=5, shuffle=True, generator=tg.Generator().manual_seed(2))
    b = DataLoader(ds, batch_size=5, shuffle=True, generator=tg.Generator().manual_seed(2))
    first = epoch(a)
    assert first == epoch(b) and sorted(first) == list(range(12)) and epoch(a) != first
    c = DataLoader(ds, batch_size=5, shuffle=True, seed=2)  # tinygrad_nn's shorthand
    assert epoch(c) == first
    assert isinstance(a.sampler, RandomSampler) and a.sampler.generator is a.generator


def test_dataloader_collates_as_pytorch() -> None:
    class Records(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return {"x": np.full(2, float(i)), "label": i, "weight": 0.5 * i, "name": f"r{i}"}

    batch = next(iter(DataLoader(Records(), batch_size=3)))
    assert batch["x"].shape == (3, 2) and batch["label"].dtype == np.int64
    assert batch["weight"].dtype == np.float64 and batch["name"] == ["r0", "r1", "r2"]
    custom = DataLoader(Records(), batch_size=2, collate_fn=lambda b: [r["name"] for r in b])
    assert list(custom) == [["r0", "r1"], ["r2"]]
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="batch must contain tensors"):
        default_collate([object(), object()])


def test_an_iterable_dataset_is_batched_as_it_streams() -> None:
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(np.arange(7.0))

    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3)] == [
        [0.0, 1.0, 2.0],
        [3.0, 4.0, 5.0],
        [6.0],
    ]
    assert len(list(DataLoader(Stream(), batch_size=3, drop_last=True))) == 2
    with pytest.raises(TypeError):
        len(DataLoader(Stream(), batch_size=3))
    with pytest.raises(ValueError, match="expected unspecified shuffle option, but got shuffle="):
        DataLoader(Stream(), shuffle=True)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(num_workers=-1), "num_workers option should be non-negative; use num_workers=0"),
        (dict(timeout=-1), "timeout option should be non-negative"),
        (dict(prefetch_factor=2), "prefetch_factor option could only be specified in multi"),
        (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
        (dict(sampler=[0, 1], shuffle=True), "sampler option is mutually exclusive with shuffle"),
        (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
        (dict(batch_sampler=[[0]], drop_last=True), "batch_sampler option is mutually exclusive"),
        (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
        (dict(multiprocessing_context="spawn"), "multiprocessing_context can only be used"),
    ],
)
def test_bad_loader_arguments_get_pytorchs_errors(kwargs, words) -> None:
    with pytest.raises(ValueError, match=words):
        DataLoader(TensorDataset(np.zeros(4)), **kwargs)


def test_a_loaders_sampling_cannot_change_after_it_is_made() -> None:
    loader = DataLoader(TensorDataset(np.zeros(4)), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader"):
        loader.batch_size = 3
    assert loader.batch_size == 2 and len(loader) == 2
    loader.num_workers = 2  # others may change, as in PyTorch


def test_a_subset_of_a_tensor_dataset_batches_like_one_example_at_a_time() -> None:
    ds = TensorDataset(np.arange(20.0).reshape(10, 2), np.arange(10))
    train, _ = random_split(ds, [0.7, 0.3], generator=tg.Generator().manual_seed(1))
    fast = [[t.numpy() for t in b] for b in DataLoader(train, batch_size=3)]
    by_example = DataLoader(train, 3, collate_fn=lambda b: default_collate(b))  # no fast path
    slow = [[t.numpy() for t in b] for b in by_example]
    example_wise = [
        [t.numpy() for t in default_collate([train[i] for i in idx])]
        for idx in BatchSampler(range(len(train)), 3, False)
    ]
    for got in (fast, slow):
        for batch, expected in zip(got, example_wise, strict=True):
            for a, b in zip(batch, expected, strict=True):
                assert a.dtype == b.dtype and np.array_equal(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isclose(sum(len(y.numpy()) for _, y in DataLoader(train)), 7)
