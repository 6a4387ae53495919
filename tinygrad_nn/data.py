"""Data in minibatches: ``Dataset``, ``TensorDataset`` and ``DataLoader``, as in PyTorch.

A dataset answers ``len(dataset)`` and ``dataset[i]`` (one example: a tuple of arrays).
A loader cuts it into batches of ``batch_size`` examples — in a new random order every
epoch when ``shuffle`` is set — and yields each batch as a tuple of Tensors, stacked
along a new first axis. Integer labels stay integers.

Examples:
    >>> import numpy as np
    >>> X, y = np.arange(10.0).reshape(5, 2), np.array([0, 1, 0, 1, 1])
    >>> loader = DataLoader(TensorDataset(X, y), batch_size=2)
    >>> [(xb.shape, yb.tolist()) for xb, yb in loader]
    [((2, 2), [0, 1]), ((2, 2), [0, 1]), ((1, 2), [1])]
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from tinygrad_nn.dtypes import as_array
from tinygrad_nn.seeding import default_generator
from tinygrad_nn.tensor import Tensor


class Dataset:
    """A collection of examples: subclasses define ``__len__`` and ``__getitem__``.

    Examples:
        >>> class Squares(Dataset):
        ...     def __len__(self): return 3
        ...     def __getitem__(self, i): return (np.array([i]), np.array(i * i))
        >>> [yb.tolist() for _, yb in DataLoader(Squares(), batch_size=3)]
        [[0, 1, 4]]
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} does not define __len__")

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__")


class TensorDataset(Dataset):
    """Examples that are the rows of arrays of equal length: ``dataset[i]`` is the tuple of
    every array's row ``i``.

    Examples:
        >>> ds = TensorDataset(np.zeros((4, 3)), np.arange(4))
        >>> len(ds), ds[1][1]
        (4, np.int64(1))
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset: give at least one array")
        self.arrays = [as_array(a.numpy() if isinstance(a, Tensor) else a) for a in arrays]
        lengths = [len(a) if a.ndim else -1 for a in self.arrays]
        if len(set(lengths)) != 1 or lengths[0] < 0:
            shapes = [a.shape for a in self.arrays]
            raise ValueError(f"TensorDataset: arrays must have the same first length, got {shapes}")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        return tuple(a[index] for a in self.arrays)


class DataLoader:
    """Batches of ``dataset``, as tuples of Tensors.

    Args:
        dataset: a :class:`Dataset` (or anything with ``len`` and ``[i]``).
        batch_size: examples per batch (a positive int; ``True`` is refused, as by
            PyTorch); the last batch may be smaller.
        shuffle: a new random order every epoch (every ``iter``); an empty dataset
            cannot be shuffled (``ValueError``, PyTorch's ``RandomSampler``'s).
        drop_last: leave out a last batch smaller than ``batch_size``.
        seed: seeds this loader's own generator; ``None`` draws orders from the generator
            of ``tg.manual_seed``.

    Examples:
        >>> loader = DataLoader(TensorDataset(np.arange(5)), batch_size=2, drop_last=True)
        >>> len(loader), [b.tolist() for (b,) in loader]
        (2, [[0, 1], [2, 3]])
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
    ) -> None:
        # PyTorch's words (its BatchSampler and RandomSampler); bool is an int subclass
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if shuffle and len(dataset) == 0:
            raise ValueError(
                "num_samples should be a positive integer value, but got num_samples=0"
            )
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last
        self.generator = None if seed is None else np.random.default_rng(seed)

    def __len__(self) -> int:
        """The number of batches in an epoch."""
        count = len(self.dataset) / self.batch_size
        return math.floor(count) if self.drop_last else math.ceil(count)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        n = len(self.dataset)
        if self.shuffle:
            order = (self.generator or default_generator()).permutation(n)
        else:
            order = np.arange(n)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            yield self._batch(order[start : start + self.batch_size])

    def _batch(self, indices: np.ndarray) -> tuple[Tensor, ...]:
        if isinstance(self.dataset, TensorDataset):  # rows of arrays: one indexing each
            return tuple(Tensor(a[indices]) for a in self.dataset.arrays)
        examples = [self.dataset[int(i)] for i in indices]
        return tuple(Tensor(np.stack([np.asarray(f) for f in field])) for field in zip(*examples))
