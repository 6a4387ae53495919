"""PyTorch's functions of tensors that NumPy spells otherwise: ``meshgrid``, ``unique``,
``histc``, ``histogram``.

``meshgrid`` is differentiable (each grid is its input broadcast, so the gradient sums
back); the counting functions give constants.

Examples:
    >>> import tinygrad_nn as tg
    >>> rows, cols = tg.meshgrid(tg.tensor([1, 2]), tg.tensor([3, 4, 5]), indexing="ij")
    >>> rows.shape, cols.tolist()[0]
    ((2, 3), [3, 4, 5])
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tinygrad_nn import return_types
from tinygrad_nn.namespace.array_api import to_numpy
from tinygrad_nn.tensor import Tensor

MESHGRID_WARNING = (
    "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument."
)


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Grids of coordinates from 1-D tensors, as ``torch.meshgrid``: with
    ``indexing="ij"`` grid ``i`` varies along axis ``i``; ``"xy"`` swaps the first two axes
    (NumPy's default). Without ``indexing`` it is ``"ij"`` with PyTorch's ``UserWarning``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> xs, ys = meshgrid(tg.tensor([1, 2]), tg.tensor([3, 4, 5]), indexing="xy")
        >>> xs.shape, xs.tolist()[0]
        ((3, 2), [1, 2])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn(MESHGRID_WARNING, UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    if not tensors:
        raise RuntimeError("torch.meshgrid expects a non-empty TensorList")
    for t in tensors:
        if not isinstance(t, Tensor) or t.ndim > 1:
            shape = getattr(t, "shape", type(t).__name__)
            raise RuntimeError(
                f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {shape}"
            )
    lines = [t.reshape(-1) for t in tensors]
    if indexing == "xy" and len(lines) > 1:  # x (the first input) varies along the columns
        lines[0], lines[1] = lines[1], lines[0]
    full = tuple(line.shape[0] for line in lines)
    grids = []
    for axis, line in enumerate(lines):
        along = [1] * len(lines)
        along[axis] = full[axis]
        grids.append(line.reshape(*along).expand(*full))
    if indexing == "xy" and len(lines) > 1:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def unique(
    input: Tensor,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct values (sorted), as ``torch.unique``; with ``return_inverse`` also
    where each input value is among them (shaped like the input), with ``return_counts``
    how often each occurs; with ``dim``, the distinct slices along ``dim``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> values, inverse, counts = unique(tg.tensor([3, 1, 3]), return_inverse=True,
        ...                                  return_counts=True)
        >>> values.tolist(), inverse.tolist(), counts.tolist()
        ([1, 3], [1, 0, 1], [1, 2])
    """
    host = to_numpy(input.array)
    if dim is not None:
        dim = int(dim) % max(host.ndim, 1)
    found = np.unique(host, return_inverse=True, return_counts=True, axis=dim)
    values, inverse, counts = found
    inverse = inverse.reshape(host.shape if dim is None else (host.shape[dim],))
    result = [Tensor(values)]
    if return_inverse:
        result.append(Tensor(inverse.astype(np.int64)))
    if return_counts:
        result.append(Tensor(counts.astype(np.int64)))
    return result[0] if len(result) == 1 else tuple(result)


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """Counts of the values in ``bins`` equal bins from ``min`` to ``max`` (both 0: the
    values' own range), as ``torch.histc``; values outside are left out.

    Examples:
        >>> import tinygrad_nn as tg
        >>> histc(tg.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3).tolist()
        [0.0, 2.0, 1.0, 0.0]
    """
    host = to_numpy(input.array)
    if host.dtype.kind != "f":
        raise RuntimeError(
            f"histc(): not implemented for {host.dtype} tensors (as in PyTorch); convert "
            "first, e.g. x.double()"
        )
    if bins <= 0:
        raise RuntimeError(f"histc(): bins must be > 0, got {bins}")
    lo, hi = float(min), float(max)
    if lo == hi and host.size:
        lo, hi = float(host.min()), float(host.max())
    if lo == hi:  # one value (or none): PyTorch widens the range by 1 each way
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"histc(): max must be larger than min, got min={min} and max={max}")
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"histc(): range of [{lo}, {hi}] is not finite")
    counts, _ = np.histogram(host, bins=bins, range=(lo, hi))
    return Tensor(counts.astype(host.dtype))


def histogram(
    input: Tensor,
    bins: Any = 100,
    *,
    range: tuple[float, float] | None = None,
    weight: Tensor | None = None,
    density: bool = False,
) -> return_types.histogram:
    """``(hist, bin_edges)``: counts (or weights, or a density) in ``bins`` equal bins or
    between the given edges, as ``torch.histogram``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> hist, edges = histogram(tg.tensor([1.0, 2.0, 1.0, 4.0]), bins=3)
        >>> hist.tolist(), edges.tolist()
        ([2.0, 1.0, 1.0], [1.0, 2.0, 3.0, 4.0])
    """
    host = to_numpy(input.array)
    if host.dtype.kind != "f":
        raise RuntimeError(
            f"histogram(): not implemented for {host.dtype} tensors (as in PyTorch); "
            "convert first, e.g. x.double()"
        )
    edges = to_numpy(bins.array) if isinstance(bins, Tensor) else int(bins)
    weights = None if weight is None else to_numpy(weight.array).reshape(-1)
    try:
        hist, bin_edges = np.histogram(
            host.reshape(-1), bins=edges, range=range, weights=weights, density=density
        )
    except ValueError as error:
        raise RuntimeError(f"histogram(): {error}") from None
    return return_types.histogram(
        Tensor(hist.astype(host.dtype)), Tensor(bin_edges.astype(host.dtype))
    )
