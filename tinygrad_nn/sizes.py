"""Sizes: NumPy's ``x.size`` (an element count) that, called, is PyTorch's ``x.size()``
(a ``torch.Size``, the shape), and ``torch.Size`` itself.

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.zeros(2, 3)
    >>> x.size, x.size(), x.size(1)
    (6, torch.Size([2, 3]), 3)
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable
from typing import Any, SupportsIndex


class Size(int):
    """An element count that, called, answers PyTorch's ``size()``: the shape, or one axis."""

    shape: tuple[int, ...]

    def __new__(cls, count: int, shape: tuple[int, ...]) -> Size:
        size = super().__new__(cls, count)
        size.shape = shape
        return size

    def __call__(self, dim: int | None = None) -> Any:
        return Shape(self.shape) if dim is None else self.shape[dim]


class Shape(tuple[int, ...]):
    """``torch.Size``: a tuple of ints, as PyTorch's, and what ``x.size()`` returns. It
    equals the plain tuple (and ``x.shape``, NumPy's, which is one); slicing and ``+``
    keep it a Size, ``numel()`` is the product.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.zeros(5, 1, 57).size(), tg.zeros(5, 1, 57).size() == (5, 1, 57)
        (torch.Size([5, 1, 57]), True)
        >>> Shape((2, 3))[1:], Shape([2, 3]).numel()
        (torch.Size([3]), 6)
        >>> Shape([2.0])
        Traceback (most recent call last):
        ...
        TypeError: torch.Size() takes an iterable of 'int' (item 0 is 'float')
    """

    def __new__(cls, sizes: Iterable[SupportsIndex] = ()) -> Shape:
        values = []
        for i, n in enumerate(sizes):
            try:
                values.append(operator.index(n))
            except TypeError:
                raise TypeError(
                    f"torch.Size() takes an iterable of 'int' (item {i} is '{type(n).__name__}')"
                ) from None
        return super().__new__(cls, values)

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    def __getitem__(self, index: Any) -> Any:
        item = super().__getitem__(index)
        return Shape(item) if isinstance(index, slice) else item

    def __add__(self, other: Any) -> Shape:
        return Shape(tuple(self) + tuple(other))

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        return math.prod(self)
