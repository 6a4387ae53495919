"""A Tensor's array facts: ``shape``, ``ndim``, ``size``, ``dtype``, ``device``, and how
Jupyter shows it. A mix-in of :class:`tinygrad_nn.Tensor`, kept apart from the engine.

Examples:
    >>> import tinygrad_nn as tg
    >>> t = tg.Tensor([[1.0, 2.0, 3.0]])
    >>> t.shape, t.ndim, t.dtype, str(t.device)
    ((1, 3), 2, dtype('float64'), 'cpu')
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_nn.devices import device_of
from tinygrad_nn.display import tensor_html
from tinygrad_nn.sizes import Size


class TensorArray:
    """The facts of the array a tensor holds."""

    __slots__ = ()

    array: Any

    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape, as in NumPy."""
        return self.array.shape

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self.array.ndim

    @property
    def size(self) -> Size:
        """The number of elements, as NumPy's ``size``; called, the shape, as PyTorch's.

        ``x.size`` is an int (it compares and computes as one); ``x.size()`` gives the
        shape as a ``torch.Size`` and ``x.size(0)`` one axis' length, so both habits work.

        Examples:
            >>> import tinygrad_nn as tg
            >>> t = tg.Tensor([[1.0, 2.0, 3.0]])
            >>> t.size, t.size(), t.size(1)
            (3, torch.Size([1, 3]), 3)
        """
        return Size(math.prod(self.array.shape), tuple(self.array.shape))

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of the data."""
        return self.array.dtype

    @property
    def device(self) -> Any:
        """Where the data lives, as PyTorch's ``device``: ``device(type='cpu')`` for NumPy
        (it equals ``"cpu"``), a GPU's for CuPy, else the array library's own device.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([1.0]).device, tg.Tensor([1.0]).device.type
            (device(type='cpu'), 'cpu')
        """
        return device_of(self.array)

    def _repr_html_(self) -> str:
        """Jupyter's view: a table (name, shape, dtype, the op that made it, its grad) and
        the values, escaped (see :mod:`tinygrad_nn.display`)."""
        return tensor_html(self)
