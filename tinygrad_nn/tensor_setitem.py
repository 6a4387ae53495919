"""``x[index] = value`` (PyTorch's ``__setitem__``), recorded or not, copy-on-write.

With gradient recording on and ``x`` or ``value`` requiring grad, the write is recorded
as differentiable ops (a getitem that places the value's elements, then a ``where``), so
``x``'s old value gets the gradient with the written positions zeroed and ``value`` the
gradient at those positions, summed back to its shape. Otherwise only the values change:
in the array itself when nothing else holds it (no graph, view, alias or user: counted
with ``sys.getrefcount``), else in a copy the tensor is rebound to. See
:mod:`tinygrad_nn.tensor_inplace` for the rules every in-place method follows.

The class here is a mix-in that :class:`tinygrad_nn.Tensor` inherits.

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = x * 1.0
    >>> y[1:] = 0.0
    >>> y.sum().backward()
    >>> x.grad
    Tensor([1., 0., 0.])
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.hooks import mode
from tinygrad_nn.namespace.array_api import array_namespace, library_index, like
from tinygrad_nn.tensor_inplace import TensorInPlace
from tinygrad_nn.tensor_shaping import plain_index
from tinygrad_nn.tensor_views import write_back

if TYPE_CHECKING:
    from tinygrad_nn.tensor import Tensor


class TensorSetItem(TensorInPlace):
    """``__setitem__`` on top of the in-place machinery."""

    __slots__ = ()

    def __setitem__(self, index: Any, value: Any) -> None:
        """``x[index] = value``: basic slices, integer arrays, boolean masks; ``value`` a
        number, an array or a Tensor, broadcast to the selection, as in PyTorch.

        Recorded when ``x`` or ``value`` requires grad: ``x``'s old value then gets the
        gradient with the written positions zeroed, ``value`` the gradient at those
        positions (summed back to its shape).

        Examples:
            >>> import tinygrad_nn as tg
            >>> logits = tg.tensor([1.0, 3.0, 2.0])
            >>> logits[logits < 2] = -float("inf")
            >>> logits
            Tensor([-inf,   3.,   2.])
        """
        self._check_in_place()
        index = plain_index(index)
        records = mode.grad_enabled and (
            self.requires_grad or (isinstance(value, TensorInPlace) and value.requires_grad)
        )
        if not records:
            self._assign(index, value)
        elif isinstance(value, TensorInPlace) and value.requires_grad:
            self._record_setitem(index, value)
        else:  # a constant written into a recorded value
            constant = self._wrap(self.array)._assign(index, value, copy=True)
            self._take_over(self._apply(ops.Where(self._written(index)), constant, self), "[]=")

    def _assign(self, index: Any, value: Any, copy: bool = False) -> Tensor:
        """Write the values (no graph): in the array itself when nobody else can see it,
        else into a copy that this tensor is then rebound to."""
        me: Tensor = self  # type: ignore[assignment]
        array = self.array
        numpy = type(array) is np.ndarray
        target = array if not copy and self._exclusive(array) else None
        if target is None:
            target = (
                array.copy() if numpy else array_namespace([array]).astype(array, array.dtype)
            )  # a copy
        where = index if numpy else library_index(index, array)
        try:
            target[where] = self._values(value) if numpy else like(self._values(value), array)
        except (ValueError, IndexError, TypeError) as error:
            shape = getattr(value, "shape", ())
            kind = IndexError if isinstance(error, IndexError) else type(error)
            raise kind(
                f"setitem: cannot write a value of shape {tuple(shape)} into a tensor of shape "
                f"{self.array.shape} at index {index!r}: {error}"
            ) from None
        if target is not array:
            self._rebind(target)
        return me

    def _rebind(self, new: Any) -> None:
        """Hold ``new`` (see :meth:`TensorInPlace._rebind`); when this tensor, or a tensor
        it is a ``.data`` alias of, is a basic-index view (``x[i]``), write it back into its
        base (see :mod:`tinygrad_nn.tensor_views`): ``t[0].data[1] = 5`` reaches ``t``."""
        super()._rebind(new)
        write_back(self)
        owner = getattr(self, "_owner", None)
        while owner is not None and owner.array is new:  # changed through .data: no graph
            write_back(owner, raw=True)
            owner = getattr(owner, "_owner", None)

    def _written(self, index: Any) -> np.ndarray:
        """The positions ``index`` selects, as a boolean mask of this tensor's shape."""
        mask = np.zeros(self.array.shape, dtype=bool)
        mask[index] = True
        return mask

    def _record_setitem(self, index: Any, value: Any) -> None:
        """``x[index] = value`` as differentiable ops: for every written position, the
        element of the (broadcast) value that lands there — the last one, where an index
        repeats, as NumPy writes it — picked with a getitem, then a ``where``."""
        size = int(np.prod(self.array.shape))
        try:
            positions = np.arange(size).reshape(self.array.shape)[index]
            spread = value
            if value.shape != positions.shape:
                spread = self._apply(ops.BroadcastTo(positions.shape), value)
        except (ValueError, IndexError) as error:
            raise type(error)(
                f"setitem: cannot write a value of shape {value.shape} into a tensor of "
                f"shape {self.array.shape} at index {index!r}: {error}"
            ) from None
        source = np.full(size, -1, dtype=np.intp)
        source[positions.reshape(-1)] = np.arange(positions.size)  # the last write wins
        written = (source >= 0).reshape(self.array.shape)
        picks = np.where(written.reshape(-1), source, 0).reshape(self.array.shape)
        if spread.dtype != self.array.dtype:
            spread = spread.astype(self.array.dtype)
        placed = spread.reshape(-1)[picks]
        self._take_over(self._apply(ops.Where(written), placed, self), "[]=")

    def _exclusive(self, array: Any) -> bool:
        """True when ``array`` (this tensor's, held in one local name by the caller) is a
        NumPy array that owns its memory and that nothing but this tensor (and the tensors
        it aliases) refers to: no graph, view or user can then see it written in place."""
        if type(array) is not np.ndarray or array.base is not None or not array.flags.writeable:
            return False
        holders = 1  # this tensor's slot
        owner = getattr(self, "_owner", None)
        while owner is not None and owner.array is array:
            holders += 1
            owner = getattr(owner, "_owner", None)
        # + the caller's name, this parameter and getrefcount's own argument
        return sys.getrefcount(array) == holders + 3
