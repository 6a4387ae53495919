"""PyTorch's spellings of a Tensor's comparisons and conversions: ``x.eq(y)``, ``x.ne``,
``x.lt``... (with PyTorch's aliases ``greater``, ``less_equal``...), ``x.bool()``,
``x.type(...)``, the ``*_as`` methods (``view_as``, ``reshape_as``, ``expand_as``) and
``unbind``.

examples/mnist counts its correct answers with ``pred.eq(target.view_as(pred)).sum()``.
The comparisons give constant bool tensors, as the operators do (``x == y``); the shaping
methods are the ones they name (``view``, ``expand``), so gradients flow through them.
:class:`TensorSpellings` is a mix-in of :class:`~tinygrad_nn.tensor_methods.TensorMethods`.

Examples:
    >>> import tinygrad_nn as tg
    >>> pred, target = tg.tensor([[1], [0]]), tg.tensor([1, 1])
    >>> pred.eq(target.view_as(pred)).sum().item()
    1
"""

from __future__ import annotations

import builtins
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn.devices import is_device
from tinygrad_nn.errors import wrap_dim
from tinygrad_nn.namespace.array_api import as_dtype, library_name

if TYPE_CHECKING:
    from tinygrad_nn.tensor import Tensor

# PyTorch's legacy tensor type names, by dtype (``x.type()`` answers with them)
TYPE_NAMES = {
    "float64": "DoubleTensor",
    "float32": "FloatTensor",
    "float16": "HalfTensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
    "complex64": "ComplexFloatTensor",
    "complex128": "ComplexDoubleTensor",
}


class TensorSpellings:
    """Comparisons by name, ``bool()``, ``type()``, the ``*_as`` methods and ``unbind``."""

    __slots__ = ()

    array: Any
    _wrap: Callable[..., Tensor]  # a constant tensor around an array (set by Tensor)

    if TYPE_CHECKING:  # the Tensor methods these are spelt with (view, expand, to...)

        def __getattr__(self, name: str) -> Any: ...

    # ------------------------------------------------------------ comparisons by name

    def eq(self, other: Any) -> Tensor:
        """``self == other`` elementwise, a bool tensor (``other`` a tensor that broadcasts,
        or a number), as ``torch.Tensor.eq``; not differentiable.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1, 2, 3]).eq(tg.tensor([1, 0, 3])).tolist()
            [True, False, True]
        """
        return self._compare("eq", operator.eq, other)

    def ne(self, other: Any) -> Tensor:
        """``self != other`` elementwise, as ``torch.Tensor.ne`` (alias ``not_equal``).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.0, 2.0]).ne(2.0).tolist()
            [True, False]
        """
        return self._compare("ne", operator.ne, other)

    def lt(self, other: Any) -> Tensor:
        """``self < other`` elementwise, as ``torch.Tensor.lt`` (alias ``less``).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.0, 2.0]).lt(2.0).tolist()
            [True, False]
        """
        return self._compare("lt", operator.lt, other)

    def le(self, other: Any) -> Tensor:
        """``self <= other`` elementwise, as ``torch.Tensor.le`` (alias ``less_equal``).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.0, 3.0]).le(2.0).tolist()
            [True, False]
        """
        return self._compare("le", operator.le, other)

    def gt(self, other: Any) -> Tensor:
        """``self > other`` elementwise, as ``torch.Tensor.gt`` (alias ``greater``).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.0, 3.0]).gt(2.0).tolist()
            [False, True]
        """
        return self._compare("gt", operator.gt, other)

    def ge(self, other: Any) -> Tensor:
        """``self >= other`` elementwise, as ``torch.Tensor.ge`` (alias ``greater_equal``).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.0, 2.0]).ge(2.0).tolist()
            [False, True]
        """
        return self._compare("ge", operator.ge, other)

    not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge

    def _compare(self, name: str, function: Callable[[Any, Any], Any], other: Any) -> Tensor:
        """The comparison operator's result, for a tensor or a number ``other`` (PyTorch's
        TypeError for anything else: a list, a string, None)."""
        if not isinstance(other, (TensorSpellings, int, float, complex, np.generic)):
            raise TypeError(
                f"{name}() received an invalid combination of arguments - got "
                f"({type(other).__name__}), but expected (Tensor other) or (Number other)"
            )
        return function(self, other)

    def bool(self) -> Tensor:
        """The values as bools (nonzero is True), as ``torch.Tensor.bool()``; a constant.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([0.0, 2.5]).bool().tolist()
            [False, True]
        """
        return self._wrap(self.array.astype(np.bool_))

    def type(self, dtype: Any = None, non_blocking: builtins.bool = False) -> Any:
        """With no ``dtype``: PyTorch's name of this tensor's type (``'torch.DoubleTensor'``,
        ``'torch.cuda.FloatTensor'`` on a GPU); with one (a dtype, or such a name): the
        values in that dtype, as ``torch.Tensor.type``. A float result is recorded
        (gradients flow back); an integer or bool one is a constant.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.5]).type(), tg.tensor([1.5]).type(tg.float32).dtype
            ('torch.DoubleTensor', dtype('float32'))
            >>> tg.tensor([1.5]).type("torch.LongTensor").tolist()
            [1]
        """
        dtype = getattr(dtype, "legacy_dtype", dtype)  # torch.LongTensor, the class
        if dtype is None:
            name = TYPE_NAMES.get(str(self.array.dtype), f"{self.array.dtype}Tensor")
            return f"torch.cuda.{name}" if library_name(self.array) == "cupy" else f"torch.{name}"
        if isinstance(dtype, str) and dtype.startswith("torch."):
            names = {f"torch.{n}": d for d, n in TYPE_NAMES.items()}
            names |= {f"torch.cuda.{n}": d for d, n in TYPE_NAMES.items()}
            if dtype not in names:
                raise ValueError(f"invalid type: {dtype!r}")
            dtype = names[dtype]
        elif isinstance(dtype, str) or is_device(dtype):
            raise ValueError(f"invalid type: {dtype!r}")
        target = as_dtype(dtype)
        if target == self.array.dtype:
            return self
        if np.dtype(target).kind in "fc":
            return self.to(target)
        return self._wrap(self.array.astype(target))

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        """The slices along ``dim``, that axis removed, as ``torch.unbind``: ``q, k, v =
        qkv.unbind(0)``. Each is an index of this tensor, so gradients flow back.

        Examples:
            >>> import tinygrad_nn as tg
            >>> [t.tolist() for t in tg.tensor([[1, 2], [3, 4]]).unbind(1)]
            [[1, 3], [2, 4]]
        """
        if self.array.ndim == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        axis = wrap_dim("unbind", dim, self.array.ndim)
        lead = (slice(None),) * axis
        whole: Any = self
        places = [(*lead, i) for i in range(self.array.shape[axis])]
        return tuple(whole[place] for place in places)

    # ------------------------------------------------------------ shaped like another

    def view_as(self, other: Any) -> Tensor:
        """``self.view(other.shape)``, as ``torch.Tensor.view_as``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.arange(6).view_as(tg.zeros(2, 3)).shape
            (2, 3)
        """
        return self.view(*_shape_of("view_as", other))

    def reshape_as(self, other: Any) -> Tensor:
        """``self.reshape(other.shape)``, as ``torch.Tensor.reshape_as``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.arange(6).reshape_as(tg.zeros(3, 2)).shape
            (3, 2)
        """
        shape = _shape_of("reshape_as", other)
        return self.reshape(*shape)

    def expand_as(self, other: Any) -> Tensor:
        """``self.expand(other.shape)``, as ``torch.Tensor.expand_as``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.ones(3, 1).expand_as(tg.zeros(3, 4)).shape
            (3, 4)
        """
        return self.expand(*_shape_of("expand_as", other))


def _shape_of(name: str, other: Any) -> tuple[int, ...]:
    """``other``'s shape, for the ``*_as`` methods, which take a tensor (as PyTorch's do)."""
    shape = getattr(other, "shape", None)
    if shape is None or isinstance(other, np.ndarray):
        raise TypeError(
            f"{name}(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}"
        )
    return tuple(shape)
