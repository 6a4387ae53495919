"""Basic-index views: ``x[i]`` shares ``x``'s values, so a write into it reaches ``x``.

In PyTorch ``x[i]`` with integers and slices is a *view*: ``t[li][0][k] = 1`` (the
tutorials' one-hot letters) and ``confusion[i][j] += 1`` change ``t`` and ``confusion``.
tinygrad_nn's in-place methods are copy-on-write (:mod:`tinygrad_nn.tensor_inplace`), so
here a tensor made by a basic index is noted with its base and index; when an in-place
method or ``[]=`` changes it, the new values are written back, ``base[index] = view``
(recorded, when either requires grad, as any ``[]=``), and so on up a chain of views.
A change made through a ``.data`` or ``detach()`` alias (``w[0].data[1:] = 0``) writes
the values only, recording nothing, as PyTorch's shared storage does.

A write-back happens only while the base still holds the array the view was taken
from: once the base itself is changed in place, the view keeps the values it had
(copy-on-write), where in PyTorch it would see the change.

Examples:
    >>> import tinygrad_nn as tg
    >>> t = tg.zeros(2, 1, 3)
    >>> t[1][0][2] = 1
    >>> t[1]
    Tensor([[0., 0., 1.]])
    >>> row = t[0]
    >>> row[0, 1] += 5
    >>> t[0, 0]
    Tensor([0., 5., 0.])
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tinygrad_nn.tensor import Tensor

__all__ = ["is_basic", "note_view", "write_back"]


class _Ref(weakref.ref):
    """A weak reference to a view that knows its key in ``_BASES`` (a Tensor's ``==`` is
    elementwise, so a WeakKeyDictionary cannot hold tensors)."""

    __slots__ = ("key",)
    key: int


def _forget(ref: _Ref) -> None:
    entry = _BASES.get(ref.key)
    if entry is not None and entry[0] is ref:
        del _BASES[ref.key]


# id(view) -> (a weak reference to the view, its base, the index, the base's array then)
_BASES: dict[int, tuple[_Ref, Any, Any, Any]] = {}


def is_basic(index: Any) -> bool:
    """True for an index that NumPy (and PyTorch) answer with a view: integers, slices,
    ``None`` and ``...`` only.

    Examples:
        >>> is_basic((0, slice(1, None))), is_basic(np.array([0, 1])), is_basic(True)
        (True, False, False)
    """
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if part is None or part is Ellipsis or isinstance(part, slice):
            continue
        if isinstance(part, (bool, np.bool_)) or not isinstance(part, (int, np.integer)):
            return False
    return True


def note_view(view: Tensor, base: Tensor, index: Any) -> Tensor:
    """Remember that ``view`` is ``base[index]`` sharing ``base``'s memory (NumPy arrays
    and basic indices only); returns ``view``."""
    array = view.array
    if type(array) is np.ndarray and array.base is not None and is_basic(index):
        ref = _Ref(view, _forget)
        ref.key = id(view)
        _BASES[ref.key] = (ref, base, index, base.array)
    return view


def _same(a: Any, b: Any) -> bool:
    return a is b


_RAW = [False]  # inside a raw write-back: the bases above are written raw too


def write_back(view: Any, raw: bool = False) -> None:
    """After ``view`` was changed in place: write its values into its base, if it is a
    view whose base still holds the array it was taken from. ``raw`` (a change made
    through ``.data``) writes the values only, as PyTorch's shared storage: nothing is
    recorded and a leaf that requires grad accepts them."""
    entry = _BASES.get(id(view))
    if entry is None or not _same(entry[0](), view):
        return
    ref, base, index, parent = entry
    if base.array is not parent:  # the base moved on (changed in place): nothing shared
        del _BASES[ref.key]
        return
    if raw or _RAW[0]:
        _RAW[0], before = True, _RAW[0]
        try:
            base._assign(index, view.array)
        finally:
            _RAW[0] = before
    else:
        base[index] = view  # recorded when either requires grad; a view base writes back too
    shared = base.array[index]
    if type(shared) is np.ndarray and shared.shape == view.array.shape:
        view.array = shared  # shares the base's new array again, for the next write
    _BASES[ref.key] = (ref, base, index, base.array)
