"""``DataLoader``: a dataset in minibatches, with PyTorch's arguments and meanings.

A loader asks its *batch sampler* for lists of indices (by default ``batch_size``
indices at a time from a ``SequentialSampler``, or a ``RandomSampler`` with
``shuffle=True``: a new order every epoch), fetches those examples and *collates* them
into one batch: :func:`default_collate` stacks tensors and arrays along a new first axis,
makes numbers tensors (ints stay ints) and keeps the structure of an example (a tuple
becomes a list, a dict stays a dict), as PyTorch's does.

Loading runs in this process: ``num_workers`` (0 or more), ``pin_memory``,
``persistent_workers``, ``prefetch_factor``, ``timeout`` and ``worker_init_fn`` are
accepted and checked as PyTorch checks them, then change nothing: there are no worker
processes (so ``worker_init_fn`` is never called) and no device memory to pin. The batches
are the same as PyTorch's with ``num_workers=0``.

Examples:
    >>> import numpy as np
    >>> X, y = np.arange(10.0).reshape(5, 2), np.array([0, 1, 0, 1, 1])
    >>> loader = DataLoader(TensorDataset(X, y), batch_size=2)
    >>> [(xb.shape, yb.tolist()) for xb, yb in loader]
    [((2, 2), [0, 1]), ((2, 2), [0, 1]), ((1, 2), [1])]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from tinygrad_nn.data.datasets import IterableDataset, Subset, TensorDataset
from tinygrad_nn.data.samplers import BatchSampler, RandomSampler, Sampler, SequentialSampler
from tinygrad_nn.seeding import Generator
from tinygrad_nn.tensor import Tensor

COLLATE_ERROR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)
FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


def default_convert(data: Any) -> Any:
    """One example as a batch of its own (``batch_size=None``): NumPy arrays and scalars
    become Tensors, inside dicts and sequences too; everything else stays as it is.

    Examples:
        >>> default_convert({"x": np.zeros(2), "name": "a"})["x"].shape
        (2,)
    """
    if isinstance(data, np.ndarray | np.generic) and data.dtype.kind not in "SUO":
        return Tensor(data)
    if isinstance(data, Mapping):
        return type(data)({key: default_convert(value) for key, value in data.items()})  # type: ignore[call-arg]
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, list | tuple):
        return type(data)(default_convert(d) for d in data)
    return data


def default_collate(batch: Sequence[Any]) -> Any:
    """A list of examples as one batch, as ``torch.utils.data.default_collate``: tensors,
    arrays and numbers stacked along a new first axis (floats as float64, ints as int64),
    strings kept as a list, dicts and sequences collated field by field (a tuple gives a
    list, as PyTorch).

    Examples:
        >>> xb, yb = default_collate([(np.zeros(3), 1), (np.ones(3), 0)])
        >>> xb.shape, yb.tolist(), yb.dtype
        ((2, 3), [1, 0], dtype('int64'))
    """
    first = batch[0]
    if isinstance(first, Tensor | np.ndarray):
        arrays = [b.numpy() if isinstance(b, Tensor) else np.asarray(b) for b in batch]
        if arrays[0].dtype.kind in "SUO":
            raise TypeError(COLLATE_ERROR.format(arrays[0].dtype))
        for i, array in enumerate(arrays):
            if array.shape != arrays[0].shape:
                raise RuntimeError(
                    f"stack expects each tensor to be equal size, but got "
                    f"{list(arrays[0].shape)} at entry 0 and {list(array.shape)} at entry {i}"
                )
        return Tensor(np.stack(arrays))
    if isinstance(first, np.generic) and first.dtype.kind not in "SUO":
        return Tensor(np.array(batch))
    if isinstance(first, bool | int | float):  # PyTorch: floats as float64, ints as int64
        kind = np.float64 if isinstance(first, float) else None
        return Tensor(np.array(batch, dtype=kind))
    if isinstance(first, str | bytes):
        return list(batch)
    if isinstance(first, Mapping):
        fields = {key: default_collate([example[key] for example in batch]) for key in first}
        try:
            return type(first)(fields)  # type: ignore[call-arg]
        except TypeError:  # a mapping type that cannot be built from a dict
            return fields
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # a namedtuple
        return type(first)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(first, Sequence):
        if any(len(example) != len(first) for example in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(COLLATE_ERROR.format(type(first)))


def get_worker_info() -> None:
    """Which worker process this is: always None, as in PyTorch's main process (loading
    runs in this process here).

    Examples:
        >>> get_worker_info() is None
        True
    """
    return None


class DataLoader:
    """Batches of ``dataset``, as ``torch.utils.data.DataLoader`` (see the module docs).

    Args:
        dataset: a map-style dataset (``len`` and ``[i]``) or an ``IterableDataset``.
        batch_size: examples per batch (a positive int; ``True`` is refused, as by
            PyTorch); None turns batching off (each example converted on its own).
        shuffle: a new random order every epoch (a ``RandomSampler``).
        sampler: the indices to visit, in order (instead of ``shuffle``).
        batch_sampler: lists of indices, one per batch (instead of ``batch_size``,
            ``shuffle``, ``sampler`` and ``drop_last``).
        num_workers, pin_memory, timeout, worker_init_fn, multiprocessing_context,
            prefetch_factor, persistent_workers, pin_memory_device, in_order: accepted
            and checked as PyTorch; loading runs in this process.
        collate_fn: makes a batch from a list of examples (default :func:`default_collate`).
        drop_last: leave out a last batch smaller than ``batch_size``.
        generator: the :class:`~tinygrad_nn.Generator` that ``shuffle`` draws from.
        seed: (tinygrad_nn's shorthand) ``generator=Generator().manual_seed(seed)``.

    Examples:
        >>> loader = DataLoader(TensorDataset(np.arange(5)), batch_size=2, drop_last=True)
        >>> len(loader), [b.tolist() for (b,) in loader]
        (2, [[0, 1], [2, 3]])
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable[Any] | None = None,
        batch_sampler: Sampler | Iterable[list[Any]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[Any], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
        seed: int | None = None,
    ) -> None:
        _check_workers(num_workers, timeout, prefetch_factor, persistent_workers)
        if multiprocessing_context is not None and num_workers == 0:
            raise ValueError(
                "multiprocessing_context can only be used with multi-process loading "
                f"(num_workers > 0), but got num_workers={num_workers}"
            )
        if seed is not None:
            if generator is not None:
                raise ValueError("DataLoader: give generator= or seed=, not both")
            generator = Generator().manual_seed(seed)
        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            for name, value in (("shuffle", shuffle), ("sampler", sampler)):
                if value not in (None, False):
                    raise ValueError(
                        f"DataLoader with IterableDataset: expected unspecified {name} "
                        f"option, but got {name}={value}"
                    )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler "
                    f"option, but got batch_sampler={batch_sampler}"
                )
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive "
                "with drop_last"
            )
        if sampler is None and not iterable:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        if batch_size is not None and batch_sampler is None and not iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)  # type: ignore[arg-type]
        elif iterable and batch_size is not None:
            BatchSampler([], batch_size, drop_last)  # the same checks of batch_size, drop_last
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.worker_init_fn, self.multiprocessing_context = worker_init_fn, multiprocessing_context
        self.prefetch_factor = 2 if num_workers > 0 and prefetch_factor is None else prefetch_factor
        self.persistent_workers, self.pin_memory_device = persistent_workers, pin_memory_device
        self.in_order = in_order
        batched = batch_size is not None or batch_sampler is not None
        default = default_collate if batched else default_convert
        self.collate_fn = collate_fn if collate_fn is not None else default
        self._initialized = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_initialized", False) and name in FROZEN:
            raise ValueError(
                f"{name} attribute should not be set after {type(self).__name__} is initialized"
            )
        super().__setattr__(name, value)

    def __len__(self) -> int:
        """The number of batches in an epoch (PyTorch's: the batch sampler's length; for an
        iterable dataset, from the dataset's own ``len``)."""
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        if isinstance(self.dataset, IterableDataset):
            yield from self._stream()
        elif self.batch_sampler is None:  # batch_size=None: one example at a time
            for index in self.sampler:  # type: ignore[union-attr]
                yield self.collate_fn(self.dataset[index])
        else:
            for indices in self.batch_sampler:
                yield self._fetch(list(indices))

    def _stream(self) -> Iterator[Any]:
        """An iterable dataset's examples, batched as they come."""
        if self.batch_size is None:
            for example in self.dataset:
                yield self.collate_fn(example)
            return
        batch: list[Any] = []
        for example in self.dataset:
            batch.append(example)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def _fetch(self, indices: list[Any]) -> Any:
        """One batch: rows of a TensorDataset (or a Subset of one) by one indexing each,
        the same batch default_collate would make of its examples; else example by example."""
        rows = _tensor_rows(self.dataset, indices) if self.collate_fn is default_collate else None
        if rows is not None:
            return rows
        getitems = getattr(self.dataset, "__getitems__", None)
        examples = getitems(indices) if callable(getitems) else [self.dataset[i] for i in indices]
        return self.collate_fn(examples)


def _tensor_rows(dataset: Any, indices: list[Any]) -> list[Tensor] | None:
    """The batch at ``indices`` of a TensorDataset (through Subsets), or None for others."""
    while isinstance(dataset, Subset):
        indices = [dataset.indices[i] for i in indices]
        dataset = dataset.dataset
    if not isinstance(dataset, TensorDataset) or not indices:
        return None
    where = np.asarray(indices)
    return [Tensor(a[where]) for a in dataset.arrays]


def _check_workers(
    num_workers: int, timeout: float, prefetch_factor: int | None, persistent: bool
) -> None:
    """The worker settings, checked as PyTorch checks them (with its words)."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, int):
        raise TypeError(f"num_workers should be an int, but got {type(num_workers).__name__}")
    if num_workers < 0:
        raise ValueError(
            "num_workers option should be non-negative; use num_workers=0 to disable "
            "multiprocessing."
        )
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            "prefetch_factor option could only be specified in multiprocessing.let "
            "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
        )
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
