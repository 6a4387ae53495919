"""Samplers, as ``torch.utils.data``'s: which indices a loader visits, in which order.

``SequentialSampler`` (0, 1, 2, ...), ``RandomSampler`` (a permutation, or draws with
replacement), ``SubsetRandomSampler`` (a permutation of given indices),
``WeightedRandomSampler`` (draws by weight) and ``BatchSampler`` (any of those cut into
lists of ``batch_size`` indices). A random one takes ``generator=``
(a :class:`~tinygrad_nn.Generator`); with None it draws from the default generator, which
``tg.manual_seed`` seeds.

Examples:
    >>> import tinygrad_nn as tg
    >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    >>> sorted(RandomSampler(range(4), generator=tg.Generator().manual_seed(0)))
    [0, 1, 2, 3]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from tinygrad_nn.seeding import Generator, numpy_generator
from tinygrad_nn.tensor import Tensor


class Sampler:
    """The indices of a dataset, in some order: subclasses define ``__iter__`` (and
    ``__len__`` when they know it).

    Examples:
        >>> class Evens(Sampler):
        ...     def __iter__(self): return iter([0, 2, 4])
        >>> list(Evens())
        [0, 2, 4]
    """

    def __init__(self, data_source: Any = None) -> None:
        pass  # PyTorch ignores it too (kept for old subclasses that pass it)

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} does not define __iter__")


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``.

    Examples:
        >>> list(SequentialSampler("abc"))
        [0, 1, 2]
    """

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _positive_int(name: str, value: Any) -> None:
    """PyTorch's check and words for ``num_samples``/``batch_size`` (bool is refused)."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")


class RandomSampler(Sampler):
    """A random order of ``data_source``'s indices, new at each iteration, as PyTorch's.

    Without ``replacement``: each index once per permutation; ``num_samples`` (default
    ``len(data_source)``) larger than the dataset chains several permutations. With
    ``replacement``: ``num_samples`` independent uniform draws.

    Examples:
        >>> import tinygrad_nn as tg
        >>> s = RandomSampler(range(3), replacement=True, num_samples=5)
        >>> len(s), len(list(s))
        (5, 5)
    """

    def __init__(
        self,
        data_source: Any,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.data_source, self.replacement = data_source, replacement
        self._num_samples, self.generator = num_samples, generator
        if not isinstance(replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        _positive_int("num_samples", self.num_samples)
        numpy_generator(generator)  # a wrong kind of generator is refused now, not later

    @property
    def num_samples(self) -> int:
        """How many indices an iteration yields."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        rng, n, count = numpy_generator(self.generator), len(self.data_source), self.num_samples
        if self.replacement:
            yield from rng.integers(0, n, size=count).tolist()
            return
        for _ in range(count // n):
            yield from rng.permutation(n).tolist()
        if count % n:
            yield from rng.permutation(n)[: count % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order (a new one at each iteration).

    Examples:
        >>> import tinygrad_nn as tg
        >>> sorted(SubsetRandomSampler([5, 7, 9], generator=tg.Generator()))
        [5, 7, 9]
    """

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices, self.generator = indices, generator
        numpy_generator(generator)

    def __iter__(self) -> Iterator[Any]:
        for i in numpy_generator(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices ``0..len(weights)-1`` drawn with probabilities proportional
    to ``weights`` (with ``replacement``, the default, or each at most once), as
    ``torch.multinomial`` draws them.

    Examples:
        >>> list(WeightedRandomSampler([0.0, 1.0, 0.0], 3))
        [1, 1, 1]
    """

    def __init__(
        self,
        weights: Sequence[float] | Any,
        num_samples: int,
        replacement: bool = True,
        generator: Generator | None = None,
    ) -> None:
        _positive_int("num_samples", num_samples)
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        array = np.asarray(weights.numpy() if isinstance(weights, Tensor) else weights, float)
        if array.ndim != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {array.shape}"
            )
        self.weights = Tensor(array)
        self.num_samples, self.replacement, self.generator = num_samples, replacement, generator
        numpy_generator(generator)

    def __iter__(self) -> Iterator[int]:
        # torch.multinomial's checks and words, when the draw is made (as PyTorch)
        weights = self.weights.numpy()
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise RuntimeError(
                "invalid multinomial distribution (encountering probability entry < 0)"
            )
        if weights.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not self.replacement and self.num_samples > np.count_nonzero(weights):
            raise RuntimeError(
                "invalid multinomial distribution (with replacement=False, not enough "
                "non-negative category to sample)"
            )
        rng = numpy_generator(self.generator)
        p = weights / weights.sum()
        drawn = rng.choice(len(weights), size=self.num_samples, replace=self.replacement, p=p)
        yield from drawn.tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices from ``sampler``; with ``drop_last`` a last shorter
    list is left out.

    Examples:
        >>> len(BatchSampler(range(10), 3, drop_last=True)), len(BatchSampler(range(10), 3, False))
        (3, 4)
    """

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int, drop_last: bool) -> None:
        _positive_int("batch_size", batch_size)
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        count = len(self.sampler) / self.batch_size  # type: ignore[arg-type]
        return math.floor(count) if self.drop_last else math.ceil(count)
