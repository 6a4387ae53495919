"""The shape methods of a Tensor: NumPy's (``reshape``, ``transpose``, indexing) and PyTorch's
(``view``, ``permute``, ``unsqueeze``, ``expand``, ``repeat``, ``split``, ``gather``...).

A mix-in that :class:`tinygrad_nn.Tensor` inherits; each method applies ops from
:mod:`tinygrad_nn.ops.shape` (``_apply`` is supplied by Tensor).

Examples:
    >>> import tinygrad_nn as tg
    >>> tg.zeros(2, 3).unsqueeze(0).shape, tg.zeros(2, 1).squeeze().shape
    ((1, 2, 3), (2,))
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.errors import wrap_dim
from tinygrad_nn.namespace.array_api import library_index
from tinygrad_nn.tensor_torch import TensorTorch
from tinygrad_nn.tensor_views import note_view

if TYPE_CHECKING:
    from tinygrad_nn.tensor import Tensor


class TensorShaping(TensorTorch):
    """Reshaping, reordering, repeating, splitting and indexing; each applies ops."""

    __slots__ = ()

    array: np.ndarray
    _apply: Callable[..., Tensor]  # apply(op, *inputs): records the op (set by Tensor)

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """The same values in a new shape: ``reshape(2, 3)`` or ``reshape((2, 3))``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([1.0, 2.0, 3.0, 4.0]).reshape(2, 2)
            Tensor([[1., 2.],
                    [3., 4.]])
        """
        return self._apply(ops.Reshape(shape_argument("reshape", shape)), self)

    def transpose(self, *dims: Any) -> Tensor:
        """Swap two axes, as ``torch.Tensor.transpose(dim0, dim1)`` (``x.transpose(0, 1)``
        of a matrix is its transpose).

        A permutation of every axis is :meth:`permute` (or ``x.T`` to reverse them all);
        ``np.transpose(x)`` and ``np.transpose(x, axes)``, which call ``x.transpose(axes)``,
        still permute as NumPy does.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(2, 3, 4).transpose(0, 2).shape
            (4, 3, 2)
        """
        if len(dims) == 2:
            return self._swap("transpose", *dims)
        if len(dims) == 1 and (dims[0] is None or isinstance(dims[0], (tuple, list))):
            return self._apply(ops.Transpose(dims[0]), self)  # NumPy's np.transpose(x, axes)
        raise TypeError(
            f"transpose() takes two dims to swap (dim0, dim1), as torch.Tensor.transpose; "
            f"got {len(dims)} argument(s) {dims}. For an order of all axes use "
            f"x.permute(...), to reverse them x.T"
        )

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        """Swap two axes (``torch.transpose(x, axis0, axis1)``, NumPy's ``swapaxes``).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(2, 3, 4).swapaxes(0, -1).shape
            (4, 3, 2)
        """
        return self._swap("swapaxes", axis0, axis1)

    def _swap(self, what: str, axis0: Any, axis1: Any) -> Tensor:
        ndim = self.array.ndim
        a, b = (_axis(what, d, max(ndim, 1)) for d in shape_argument(what, (axis0, axis1)))
        if ndim == 0:  # as PyTorch: a 0-d tensor swaps dim 0 (or -1) with itself
            return self._apply(ops.Transpose(()), self)
        order = list(range(ndim))
        order[a], order[b] = order[b], order[a]
        return self._apply(ops.Transpose(tuple(order)), self)

    swapdims = swapaxes  # PyTorch's other name

    @property
    def T(self) -> Tensor:
        """The transpose: axes reversed, as ``numpy.ndarray.T``."""
        return self._apply(ops.Transpose(None), self)

    def __getitem__(self, index: Any) -> Tensor:
        """Basic slicing and integer-array indexing, as in NumPy.

        In the gradient, positions picked more than once receive the sum of their
        gradients.

        Examples:
            >>> import tinygrad_nn as tg
            >>> x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
            >>> x[[0, 0, 2]].sum().backward()
            >>> x.grad
            Tensor([2., 0., 1.])
        """
        index = plain_index(index)
        if type(self.array) is not np.ndarray:  # another array library's: its own index arrays
            index = library_index(index, self.array)
        return note_view(self._apply(ops.GetItem(index), self), self, index)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):  # type: ignore[arg-type]
            yield self[i]

    def view(self, *shape: int | Sequence[int]) -> Tensor:
        """PyTorch's name for :meth:`reshape` (``-1`` infers one size).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(6).view(2, -1).shape
            (2, 3)
        """
        return self.reshape(*shape)

    def permute(self, *dims: int | Sequence[int]) -> Tensor:
        """PyTorch's name for :meth:`transpose` with every axis given.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(2, 3, 4).permute(2, 0, 1).shape
            (4, 2, 3)
        """
        order = shape_argument("permute", dims)
        wrapped = [_axis("permute", d, self.array.ndim) for d in order]
        if sorted(wrapped) != list(range(self.array.ndim)):
            raise ValueError(f"permute: {order} is not an order of all {self.array.ndim} axes")
        return self._apply(ops.Transpose(order), self)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge axes ``start_dim`` to ``end_dim`` (both included) into one.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(2, 3, 4).flatten(1).shape
            (2, 12)
        """
        shape = self.array.shape
        if not shape:
            return self.reshape(1)
        start, end = (_axis("flatten", d, len(shape)) for d in (start_dim, end_dim))
        merged = math.prod(shape[start : end + 1])
        return self.reshape(*shape[:start], merged, *shape[end + 1 :])

    def unsqueeze(self, dim: int) -> Tensor:
        """A new axis of size 1 at ``dim``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(3).unsqueeze(-1).shape
            (3, 1)
        """
        shape = list(self.array.shape)
        shape.insert(_axis("unsqueeze", dim, len(shape) + 1), 1)
        return self.reshape(*shape)

    def squeeze(self, dim: int | Sequence[int] | None = None) -> Tensor:
        """Drop axes of size 1: all of them, or those among ``dim`` (others stay, as PyTorch).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(1, 2, 1).squeeze(0).shape
            (2, 1)
        """
        shape = self.array.shape
        if dim is None:
            chosen = set(range(len(shape)))
        else:
            dims = (dim,) if isinstance(dim, int) else tuple(dim)
            chosen = {_axis("squeeze", d, max(len(shape), 1)) for d in dims}
        return self.reshape(*(n for i, n in enumerate(shape) if not (i in chosen and n == 1)))

    def expand(self, *sizes: int | Sequence[int]) -> Tensor:
        """Broadcast to ``sizes`` (``-1`` keeps an axis), as ``torch.Tensor.expand``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(3, 1).expand(-1, 4).shape
            (3, 4)
        """
        target = shape_argument("expand", sizes)
        lead = len(target) - self.array.ndim
        if lead < 0:
            raise ValueError(f"expand: {target} has fewer axes than the shape {self.array.shape}")
        shape = tuple(
            self.array.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(target)
        )
        return self._apply(ops.BroadcastTo(shape), self)

    def repeat(self, *sizes: int | Sequence[int]) -> Tensor:
        """PyTorch's ``repeat``: copies along each axis, as ``numpy.tile`` (not ``np.repeat``).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.0, 2.0]).repeat(2).tolist()
            [1.0, 2.0, 1.0, 2.0]
        """
        reps = shape_argument("repeat", sizes)
        if len(reps) < self.array.ndim:
            raise ValueError(
                f"repeat: give at least one count per axis ({self.array.ndim}), got {reps}"
            )
        return self._apply(ops.Tile(reps), self)

    def tile(self, *reps: int | Sequence[int]) -> Tensor:
        """Copies along each axis, as ``numpy.tile`` and ``torch.tile``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(2, 3).tile(2).shape
            (2, 6)
        """
        return self._apply(ops.Tile(shape_argument("tile", reps)), self)

    def flip(self, *dims: int | Sequence[int]) -> Tensor:
        """Reverse the order along ``dims`` (all axes when none are given).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.0, 2.0, 3.0]).flip(0).tolist()
            [3.0, 2.0, 1.0]
        """
        ndim = self.array.ndim
        axes = shape_argument("flip", dims) if dims else tuple(range(ndim))
        axes = tuple(_axis("flip", a, ndim) for a in axes)
        axes = axes if ndim else ()  # a 0-d tensor is its own flip (NumPy has no axis 0)
        return self._apply(ops.Flip(axes), self)

    def split(self, split_size_or_sections: int | Sequence[int], dim: int = 0) -> list[Tensor]:
        """Pieces along ``dim``: of ``split_size`` each (the last may be smaller), or of the
        given sizes, as ``torch.split``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> [t.shape for t in tg.zeros(5, 2).split(2)]
            [(2, 2), (2, 2), (1, 2)]
        """
        axis = _axis("split", dim, self.array.ndim)
        total = self.array.shape[axis]
        if isinstance(split_size_or_sections, int):
            if split_size_or_sections <= 0:
                raise ValueError(f"split: the size must be positive, got {split_size_or_sections}")
            step = split_size_or_sections
            sizes = [min(step, total - start) for start in range(0, total, step)] or [0]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != total:
                raise ValueError(f"split: sizes {sizes} do not add up to {total} along dim {dim}")
        pieces, start = [], 0
        lead = (slice(None),) * axis
        for size in sizes:
            piece = (*lead, slice(start, start + size))
            pieces.append(self[piece])
            start += size
        return pieces

    def chunk(self, chunks: int, dim: int = 0) -> list[Tensor]:
        """At most ``chunks`` pieces of equal size along ``dim`` (the last may be smaller).

        Examples:
            >>> import tinygrad_nn as tg
            >>> [t.shape for t in tg.zeros(5).chunk(2)]
            [(3,), (2,)]
        """
        if chunks <= 0:
            raise ValueError(f"chunk: chunks must be positive, got {chunks}")
        total = self.array.shape[_axis("chunk", dim, self.array.ndim)]
        return self.split(max(math.ceil(total / chunks), 1), dim)

    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two axes (the rest is 0).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.ones(2, 2).tril().tolist()
            [[1.0, 0.0], [1.0, 1.0]]
        """
        return self._triangle(np.tril, diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two axes (the rest is 0).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.ones(2, 2).triu(1).tolist()
            [[0.0, 1.0], [0.0, 0.0]]
        """
        return self._triangle(np.triu, diagonal)

    def _triangle(self, keep: Callable[..., np.ndarray], diagonal: int) -> Tensor:
        if self.array.ndim < 2:
            raise ValueError(f"tril/triu need at least 2 axes, got shape {self.array.shape}")
        mask = keep(np.ones(self.array.shape[-2:], dtype=bool), diagonal)
        zero = False if self.array.dtype == bool else 0  # a bool tensor stays bool
        return self._apply(ops.Where(mask), self, zero)

    def masked_fill(self, mask: Any, value: float) -> Tensor:
        """``value`` where ``mask`` is true, else this tensor (``mask`` broadcasts).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(3).masked_fill(tg.tensor([True, False, True]), 5.0).tolist()
            [5.0, 0.0, 5.0]
        """
        condition = np.asarray(getattr(mask, "array", mask), dtype=bool)
        return self._apply(ops.Where(condition), value, self)

    def gather(self, dim: int, index: Any) -> Tensor:
        """``out[i][j] = self[index[i][j]][j]`` for ``dim=0`` (and so on), as ``torch.gather``.

        Repeated indices add up in the gradient.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([[1.0, 2.0], [3.0, 4.0]]).gather(1, [[1, 1], [0, 1]]).tolist()
            [[2.0, 2.0], [3.0, 4.0]]
        """
        picks = np.asarray(getattr(index, "array", index))
        if picks.dtype.kind not in "iu" or picks.ndim != self.array.ndim:
            raise ValueError(
                f"gather: index must be integers with {self.array.ndim} axes, got dtype "
                f"{picks.dtype} and shape {picks.shape}"
            )
        axis = _axis("gather", dim, self.array.ndim)
        grid = np.indices(picks.shape, sparse=True)
        return self[tuple(picks if a == axis else grid[a] for a in range(picks.ndim))]


def shape_argument(what: str, args: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept both ``f(2, 3)`` and ``f((2, 3))``; only integers, as NumPy and PyTorch.

    Examples:
        >>> shape_argument("reshape", ((2, 3),))
        (2, 3)
    """
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    try:
        return tuple(operator.index(a) for a in args)
    except TypeError:
        kinds = ", ".join(type(a).__name__ for a in args)
        raise TypeError(f"{what}: sizes and axes must be integers, got {args} ({kinds})") from None


def plain_index(index: Any) -> Any:
    """An index as NumPy reads it, with Tensors and lists replaced by arrays.

    A tuple or list *inside* a tuple index is an integer array (``x[:, (0, 0, 2)]``), as in
    NumPy and PyTorch; its repeats then accumulate in the gradient.

    Examples:
        >>> plain_index((slice(None), (0, 0, 2)))
        (slice(None, None, None), array([0, 0, 2]))
    """
    if isinstance(index, tuple):
        return tuple(_index_part(part) for part in index)
    return _index_part(index)


def _index_part(part: Any) -> Any:
    if isinstance(part, (list, tuple)):  # an empty one picks nothing: integers, not floats
        return np.asarray(part) if len(part) else np.asarray(part, dtype=np.intp)
    return part.array if isinstance(part, TensorShaping) else part


def _axis(what: str, axis: int, ndim: int) -> int:
    """``axis`` as a non-negative axis of ``ndim`` axes, or the one DimensionError (an
    ``IndexError``) naming ``what``."""
    return wrap_dim(what, axis, ndim)
