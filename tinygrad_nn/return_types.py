"""PyTorch's ``torch.return_types``: the named pairs that ``max(dim)``, ``sort``, ``topk``...
give, with fields ``values`` and ``indices`` (indexable and unpackable, as tuples).

Examples:
    >>> import tinygrad_nn as tg
    >>> best = tg.tensor([[1.0, 5.0], [7.0, 2.0]]).max(1)
    >>> best.values.tolist(), best.indices.tolist()
    ([5.0, 7.0], [1, 0])
    >>> values, indices = best; best[1] is indices
    True
"""

from __future__ import annotations

from typing import Any, NamedTuple


class max(NamedTuple):
    """``x.max(dim)``: the largest values along ``dim`` and where they are."""

    values: Any
    indices: Any


class min(NamedTuple):
    """``x.min(dim)``: the smallest values along ``dim`` and where they are."""

    values: Any
    indices: Any


class sort(NamedTuple):
    """``x.sort(dim)``: the values in order along ``dim`` and where each came from."""

    values: Any
    indices: Any


class topk(NamedTuple):
    """``x.topk(k, dim)``: the ``k`` largest (or smallest) values and their places."""

    values: Any
    indices: Any


class median(NamedTuple):
    """``x.median(dim)``: the lower median along ``dim`` and where it is."""

    values: Any
    indices: Any


class kthvalue(NamedTuple):
    """``x.kthvalue(k, dim)``: the ``k``-th smallest value along ``dim`` and where it is."""

    values: Any
    indices: Any


class histogram(NamedTuple):
    """``torch.histogram``: the counts (or densities) and the bins' edges."""

    hist: Any
    bin_edges: Any
