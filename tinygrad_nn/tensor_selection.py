"""Picking values out of a Tensor: ``max``/``min`` (a value, or PyTorch's ``(values,
indices)`` along a dim), ``amax``/``amin``, ``sort``, ``topk``, ``median``, ``kthvalue``.

As PyTorch: ``x.max()`` is the largest value, ``x.max(dim)`` is a
:class:`~tinygrad_nn.return_types.max` pair ``(values, indices)``, and ``x.max(other)``
is the elementwise maximum. NumPy's spelling ``x.max(axis=..., keepdims=...)`` gives the
value as ``amax`` does (tied maxima share the gradient). Picked values are
differentiable: the gradient goes to the picked positions (the indices are constants).
A mix-in that :class:`tinygrad_nn.Tensor` inherits (through ``TensorReductions``).

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.tensor([[1.0, 5.0], [7.0, 2.0]])
    >>> x.max().item(), x.max(dim=1).indices.tolist(), x.max(axis=0).tolist()
    (7.0, [1, 0], [7.0, 5.0])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn import ops, return_types
from tinygrad_nn.errors import wrap_dim
from tinygrad_nn.namespace.array_api import like, to_numpy
from tinygrad_nn.namespace.declared import Axis
from tinygrad_nn.ops.base import normalize_axes

if TYPE_CHECKING:
    from tinygrad_nn.tensor import Tensor


def resolve(
    what: str, axis: Axis, keepdims: bool | None, dim: Axis, keepdim: bool | None
) -> tuple[Axis, bool]:
    """NumPy's ``axis``/``keepdims`` or PyTorch's ``dim``/``keepdim``, not both.

    Examples:
        >>> resolve("sum", None, None, 1, True)
        (1, True)
    """
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{what}(): got both axis={axis!r} and dim={dim!r}; pass one")
        axis = dim
    if keepdim is not None:
        if keepdims is not None:
            raise TypeError(f"{what}(): got both keepdims and keepdim; pass one")
        keepdims = keepdim
    if isinstance(axis, list):
        axis = tuple(axis)
    return axis, bool(keepdims)


class TensorSelection:
    """Values picked by order: each gives differentiable values and constant indices."""

    __slots__ = ()

    array: np.ndarray
    _apply: Callable[..., Tensor]  # apply(op, *inputs): records the op (set by Tensor)
    _wrap: Callable[..., Tensor]  # a constant tensor around an array (set by Tensor)
    __getitem__: Callable[..., Tensor]
    reshape: Callable[..., Tensor]
    squeeze: Callable[..., Tensor]

    def amax(
        self,
        axis: Axis = None,
        keepdims: bool | None = None,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Largest value over ``axis`` (all axes when None; several allowed); tied maxima
        share the gradient equally, as ``torch.amax``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([[1.0, 5.0], [7.0, 2.0]]).amax(dim=0).tolist()
            [7.0, 5.0]
        """
        return self._apply(ops.Max(*resolve("amax", axis, keepdims, dim, keepdim)), self)

    def amin(
        self,
        axis: Axis = None,
        keepdims: bool | None = None,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Smallest value over ``axis``; tied minima share the gradient equally.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.0, 5.0, 2.0]).amin().item()
            1.0
        """
        return self._apply(ops.Min(*resolve("amin", axis, keepdims, dim, keepdim)), self)

    def max(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        axis: Axis = None,
        keepdims: Any = None,
        out: None = None,
    ) -> Any:
        """The largest value (``x.max()``); along ``dim``, PyTorch's ``(values, indices)``
        pair (:class:`~tinygrad_nn.return_types.max`); with a tensor, the elementwise
        maximum (``torch.max(a, b)``). ``axis=``/``keepdims=`` give the values, as NumPy.

        Examples:
            >>> import tinygrad_nn as tg
            >>> values, indices = tg.tensor([[1.0, 5.0], [7.0, 2.0]]).max(1)
            >>> values.tolist(), indices.tolist()
            ([5.0, 7.0], [1, 0])
        """
        return self._extreme("max", dim, keepdim, axis, keepdims, out)

    def min(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        axis: Axis = None,
        keepdims: Any = None,
        out: None = None,
    ) -> Any:
        """The smallest value; along ``dim``, ``(values, indices)``
        (:class:`~tinygrad_nn.return_types.min`); with a tensor, the elementwise minimum.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([[1.0, 5.0], [7.0, 2.0]]).min(dim=0).indices.tolist()
            [0, 1]
        """
        return self._extreme("min", dim, keepdim, axis, keepdims, out)

    def _extreme(
        self, what: str, dim: Any, keepdim: bool, axis: Axis, keepdims: Any, out: None = None
    ) -> Any:
        if out is not None:  # np.max(x) passes out=None
            raise TypeError(f"{what}(): out= is not supported (tinygrad_nn makes a new tensor)")
        if isinstance(dim, TensorSelection):  # torch.max(a, b): elementwise
            op = ops.Maximum() if what == "max" else ops.Minimum()
            return self._apply(op, self, dim)
        whole = ops.Max if what == "max" else ops.Min
        if dim is None:  # the value over all axes, or over NumPy's axis=
            return self._apply(
                whole(axis, bool(keepdims if keepdims is not None else keepdim)), self
            )
        if axis is not None:
            raise TypeError(f"{what}(): got both axis={axis!r} and dim={dim!r}; pass one")
        if not isinstance(dim, (int, np.integer)):
            raise TypeError(
                f"{what}(): argument 'dim' must be int, not {type(dim).__name__} (for the "
                f"{what} over several axes use a{what}(dim=...))"
            )
        pick = np.argmax if what == "max" else np.argmin
        kind = getattr(return_types, what)
        return kind(*self._picked(what, pick, int(dim), keepdim))

    def _picked(
        self, what: str, pick: Callable[..., np.ndarray], dim: int, keepdim: bool
    ) -> tuple[Tensor, Tensor]:
        """The values at ``pick``'s positions along ``dim`` (kept as size 1 or dropped)."""
        axis = wrap_dim(what, dim, self.array.ndim)
        if self.array.ndim and self.array.shape[axis] == 0:
            raise IndexError(
                f"{what}(): Expected reduction dim {dim} to have non-zero size (shape "
                f"{self.array.shape})"
            )
        host = to_numpy(self.array)
        where = pick(host, axis=axis, keepdims=True) if host.ndim else np.zeros((), np.int64)
        return self._at(where.astype(np.int64), axis, keepdim)

    def _at(self, where: np.ndarray, axis: int, keepdim: bool) -> tuple[Tensor, Tensor]:
        """``(values, indices)`` at positions ``where`` (size 1 along ``axis``)."""
        values = self._take(where, axis)
        if not keepdim and self.array.ndim:
            values, where = values.squeeze(axis), where.squeeze(axis)
        return values, self._wrap(like(where, self.array))

    def sort(
        self, dim: int = -1, descending: bool = False, stable: bool = False
    ) -> return_types.sort:
        """``(values, indices)`` sorted along ``dim`` (a stable sort); the values are
        differentiable. A :class:`~tinygrad_nn.return_types.sort` pair.

        Examples:
            >>> import tinygrad_nn as tg
            >>> values, indices = tg.tensor([3.0, 1.0, 2.0]).sort()
            >>> values.tolist(), indices.tolist()
            ([1.0, 2.0, 3.0], [1, 2, 0])
        """
        order = self._order("sort", dim, descending)
        return return_types.sort(self._take(order, dim), self._wrap(like(order, self.array)))

    def topk(
        self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
    ) -> return_types.topk:
        """The ``k`` largest (or smallest) values along ``dim`` and their indices, a
        :class:`~tinygrad_nn.return_types.topk` pair.

        Examples:
            >>> import tinygrad_nn as tg
            >>> values, indices = tg.tensor([1.0, 4.0, 2.0, 3.0]).topk(2)
            >>> values.tolist(), indices.tolist()
            ([4.0, 3.0], [1, 3])
        """
        size = self._size("topk", dim)
        if not 0 <= k <= size:
            raise ValueError(f"topk: k={k} is out of range for {size} values along dim {dim}")
        top = np.take(self._order("topk", dim, largest), np.arange(k), axis=dim)
        return return_types.topk(self._take(top, dim), self._wrap(like(top, self.array)))

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False) -> return_types.kthvalue:
        """The ``k``-th smallest value along ``dim`` (``k`` counts from 1) and its index.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([3.0, 1.0, 2.0]).kthvalue(2).values.item()
            2.0
        """
        size = self._size("kthvalue", dim)
        if not 1 <= k <= size:
            raise IndexError(f"kthvalue(): selected number k={k} out of range for dimension {dim}")
        return return_types.kthvalue(*self._nth("kthvalue", k - 1, dim, keepdim))

    def median(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """The lower median (of two middle values, the smaller), as ``torch.median``: of
        all values when ``dim`` is None, else ``(values, indices)`` along ``dim``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> x = tg.tensor([[4.0, 1.0, 3.0, 2.0]])
            >>> x.median().item(), x.median(1).indices.tolist()
            (2.0, [3])
        """
        if dim is None:
            flat = self.reshape(-1)
            if flat.array.shape[0] == 0:
                return flat._wrap(like(np.asarray(np.nan), self.array))
            return flat._nth("median", (flat.array.shape[0] - 1) // 2, 0, False)[0]
        size = self._size("median", dim)
        return return_types.median(*self._nth("median", (size - 1) // 2, dim, keepdim))

    def _nth(self, what: str, n: int, dim: int, keepdim: bool) -> tuple[Tensor, Tensor]:
        """The ``n``-th value (from 0) in ascending order along ``dim``, and its index."""
        order = self._order(what, dim, False)
        axis = wrap_dim(what, dim, self.array.ndim)
        where = np.take(order, [n], axis=axis) if self.array.ndim else order
        return self._at(where, axis, keepdim)

    def _size(self, what: str, dim: int) -> int:
        axis = wrap_dim(what, dim, self.array.ndim)
        return int(self.array.shape[axis]) if self.array.ndim else 1

    def _order(self, what: str, dim: int, descending: bool) -> np.ndarray:
        """The stable order of the values along ``dim`` (NaN last, as PyTorch's)."""
        self._checked(what, dim)
        values = to_numpy(self.array)
        if not values.ndim:
            return np.zeros((), np.int64)
        if descending:  # a stable descending order keeps equal values in their order
            flipped = np.flip(values, axis=dim)
            order = np.flip(np.argsort(flipped, axis=dim, kind="stable"), axis=dim)
            return (values.shape[dim] - 1 - order).astype(np.int64)
        return np.argsort(values, axis=dim, kind="stable").astype(np.int64)

    def _checked(self, what: str, axis: Axis) -> None:
        """Each of ``axis``'s axes is in range, or a DimensionError names ``what``."""
        normalize_axes(axis, self.array.ndim, what)

    def _take(self, indices: np.ndarray, dim: int) -> Tensor:
        """The values at ``indices`` along ``dim`` (as ``take_along_axis``), differentiable."""
        axis = dim % max(self.array.ndim, 1)
        grid = np.indices(indices.shape, sparse=True)
        index = tuple(indices if a == axis else grid[a] for a in range(indices.ndim))
        return self[index] if self.array.ndim else self[()]
