"""Data in minibatches, as ``torch.utils.data``: datasets, samplers and ``DataLoader``.

A dataset answers ``len(dataset)`` and ``dataset[i]`` (one example). A loader cuts it
into batches of ``batch_size`` examples — in a new random order every epoch when
``shuffle`` is set, or in the order a sampler gives — and collates each batch: tensors
stacked along a new first axis, integer labels kept integers.

Examples:
    >>> import numpy as np
    >>> import tinygrad_nn as tg
    >>> X, y = np.arange(10.0).reshape(5, 2), np.array([0, 1, 0, 1, 1])
    >>> train, test = random_split(TensorDataset(X, y), [4, 1], generator=tg.Generator())
    >>> loader = DataLoader(train, batch_size=2, shuffle=True, num_workers=2)
    >>> [xb.shape for xb, yb in loader]
    [(2, 2), (2, 2)]
"""

from tinygrad_nn.data.datasets import (
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from tinygrad_nn.data.loader import DataLoader, default_collate, default_convert, get_worker_info
from tinygrad_nn.data.samplers import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
