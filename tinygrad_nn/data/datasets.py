"""Datasets, as ``torch.utils.data``'s: ``Dataset``, ``IterableDataset``, ``TensorDataset``,
``Subset``, ``ConcatDataset`` and ``random_split``.

A map-style dataset answers ``len(dataset)`` and ``dataset[i]`` (one example); an iterable
dataset is iterated (``for example in dataset``) and has no indices.

Examples:
    >>> import numpy as np
    >>> train, test = random_split(TensorDataset(np.arange(10)), [0.8, 0.2])
    >>> len(train), len(test)
    (8, 2)
"""

from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from tinygrad_nn.dtypes import as_array
from tinygrad_nn.seeding import Generator, numpy_generator
from tinygrad_nn.tensor import Tensor


class Dataset:
    """A collection of examples: subclasses define ``__len__`` and ``__getitem__``;
    ``a + b`` is their :class:`ConcatDataset`.

    Examples:
        >>> import numpy as np
        >>> class Squares(Dataset):
        ...     def __len__(self): return 3
        ...     def __getitem__(self, i): return (np.array([i]), np.array(i * i))
        >>> len(Squares() + Squares())
        6
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} does not define __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of examples: subclasses define ``__iter__`` (and ``__len__`` if they know
    it). A :class:`~tinygrad_nn.data.DataLoader` batches the stream as it comes.

    Examples:
        >>> class Count(IterableDataset):
        ...     def __iter__(self): return iter(range(3))
        >>> list(Count())
        [0, 1, 2]
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} does not define __iter__")

    def __len__(self) -> int:
        # TypeError, as len() of an object without __len__ (PyTorch's): list(stream) and
        # other callers that only ask for a length hint then go on without one
        raise TypeError(f"{type(self).__name__} does not define __len__ (it is a stream)")


class TensorDataset(Dataset):
    """Examples that are the rows of tensors of equal length: ``dataset[i]`` is the tuple of
    every tensor's row ``i`` (as Tensors, as PyTorch's).

    Examples:
        >>> import numpy as np
        >>> ds = TensorDataset(np.zeros((4, 3)), np.arange(4))
        >>> len(ds), ds[1][1].item(), [t.shape for t in ds.tensors]
        (4, 1, [(4, 3), (4,)])
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: give at least one array")
        self.arrays = [
            as_array(a.detach().numpy() if isinstance(a, Tensor) else a) for a in tensors
        ]
        lengths = [len(a) if a.ndim else -1 for a in self.arrays]
        if len(set(lengths)) != 1 or lengths[0] < 0:
            shapes = [a.shape for a in self.arrays]
            raise ValueError(f"TensorDataset: arrays must have the same first length, got {shapes}")

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        """The whole tensors, as given (sharing their arrays)."""
        return tuple(Tensor(a) for a in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(Tensor(a[index]) for a in self.arrays)


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices``, in that order.

    Examples:
        >>> import numpy as np
        >>> part = Subset(TensorDataset(np.arange(10) * 10), [3, 1])
        >>> len(part), part[0][0].item()
        (2, 30)
    """

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: list[int]) -> list[Any]:
        """Many examples at once (the loader's way), through the dataset's own if it has one."""
        inner = [self.indices[i] for i in indices]
        if callable(getattr(self.dataset, "__getitems__", None)):
            return list(self.dataset.__getitems__(inner))
        return [self.dataset[i] for i in inner]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Datasets one after another: index ``i`` runs through the first, then the second...

    Examples:
        >>> import numpy as np
        >>> both = ConcatDataset([TensorDataset(np.arange(3)), TensorDataset(np.arange(2))])
        >>> len(both), both[3][0].item(), both.cumulative_sizes
        (5, 0, [3, 5])
    """

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        # PyTorch asserts these: the same error class and words
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        if which == len(self.datasets):
            raise IndexError(f"ConcatDataset: index {index} is out of range for length {len(self)}")
        before = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - before]


def random_split(
    dataset: Any,
    lengths: Sequence[int | float],
    generator: Generator | None = None,
) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping subsets of the given lengths, as
    ``torch.utils.data.random_split``: ``lengths`` are counts that sum to ``len(dataset)``,
    or fractions that sum to 1 (each floor(n * fraction), the remainder handed out one by
    one from the first). ``generator`` (a :class:`~tinygrad_nn.Generator`) makes it
    repeatable; None draws from the default generator.

    Examples:
        >>> import numpy as np, tinygrad_nn as tg
        >>> parts = random_split(range(5), [3, 2], generator=tg.Generator().manual_seed(0))
        >>> sorted(parts[0].indices + parts[1].indices)
        [0, 1, 2, 3, 4]
    """
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, fraction in enumerate(lengths):
            if fraction < 0 or fraction > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            counts.append(math.floor(n * fraction))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(
                    f"Length of split at index {i} is 0. This might result in an empty dataset.",
                    UserWarning,
                    stacklevel=2,
                )
        lengths = counts
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    order = numpy_generator(generator).permutation(n).tolist()
    ends = itertools.accumulate(int(length) for length in lengths)
    return [Subset(dataset, order[end - int(length) : end]) for end, length in zip(ends, lengths)]
