"""PyTorch's own Tensor protocol: ``to(device, dtype)``, ``cpu()``, ``contiguous()``, ``mT``,
``roll``, ``new_zeros``..., ``dim()``, ``__index__`` and ``__format__``.

Names NumPy has no spelling for, with PyTorch's meaning, so PyTorch programs run
unchanged. A mix-in that :class:`tinygrad_nn.Tensor` inherits (through
:class:`~tinygrad_nn.tensor_shaping.TensorShaping`); ``_apply`` and ``_wrap`` are
supplied by Tensor.

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.arange(6).reshape(2, 3)
    >>> x.mT.shape, x.dim(), x.to("cpu") is x, list(range(tg.tensor(3)))
    ((3, 2), 2, True, [0, 1, 2])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn.devices import is_device, library_for, to_arguments
from tinygrad_nn.dtypes import DTypeLike, as_array
from tinygrad_nn.errors import wrap_dim
from tinygrad_nn.namespace.array_api import (
    as_dtype,
    library_name,
    like,
    move,
    to_numpy,
)

if TYPE_CHECKING:
    from tinygrad_nn.tensor import Tensor


class TensorTorch:
    """PyTorch-only methods: devices, memory layout, new tensors like this one, protocols."""

    __slots__ = ()

    array: np.ndarray
    requires_grad: bool
    _ctx: Any
    _apply: Callable[..., Tensor]  # apply(op, *inputs): records the op (set by Tensor)
    _wrap: Callable[..., Tensor]  # a constant tensor around an array (set by Tensor)
    reshape: Callable[..., Tensor]
    astype: Callable[..., Tensor]
    clone: Callable[..., Tensor]
    item: Callable[[], Any]
    _swap: Callable[..., Tensor]
    __getitem__: Callable[..., Tensor]

    # ------------------------------------------------------------ facts

    def dim(self) -> int:
        """The number of axes (``ndim``), as ``torch.Tensor.dim``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(2, 3).dim()
            2
        """
        return int(self.array.ndim)

    ndimension = dim

    def numel(self) -> int:
        """The number of elements (``size`` in NumPy's spelling).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(2, 3).numel()
            6
        """
        return int(math.prod(self.array.shape))

    nelement = numel  # PyTorch's older spelling (makemore's `p.nelement()`)

    def element_size(self) -> int:
        """Bytes per element, as ``torch.Tensor.element_size``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(2).element_size(), tg.zeros(2, dtype=tg.float32).element_size()
            (8, 4)
        """
        return int(_host_dtype(self.array).itemsize)

    def __index__(self) -> int:
        """A one-element integer tensor as a Python int: ``range(n)``, ``x[:n]``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> [10, 20, 30][tg.tensor(1)], list(range(tg.tensor([2])))
            (20, [0, 1])
        """
        kind = getattr(self.array.dtype, "kind", None)
        if kind not in ("i", "u", "b") or math.prod(self.array.shape) != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __format__(self, format_spec: str) -> str:
        """A 0-d tensor formats as its number (``f"{loss:.4f}"``), as PyTorch; any other
        tensor takes only an empty spec (``f"{x}"``), PyTorch's ``TypeError`` otherwise.

        Examples:
            >>> import tinygrad_nn as tg
            >>> format(tg.tensor(2.5), "+.2f"), f"{tg.tensor([1])}"
            ('+2.50', 'Tensor([1])')
        """
        if self.array.ndim == 0:
            return format(self.item(), format_spec)
        return object.__format__(self, format_spec)

    # ------------------------------------------------------------ memory layout

    def is_contiguous(self, memory_format: Any = None) -> bool:
        """True when the values are laid out row by row (C order), as after ``contiguous()``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> x = tg.zeros(2, 3)
            >>> x.is_contiguous(), x.mT.is_contiguous(), x.mT.contiguous().is_contiguous()
            (True, False, True)
        """
        flags = getattr(self.array, "flags", None)
        if flags is not None:  # NumPy, CuPy
            return bool(flags.c_contiguous)
        check = getattr(self.array, "is_contiguous", None)  # PyTorch
        return bool(check()) if check is not None else True

    def contiguous(self, memory_format: Any = None) -> Tensor:
        """This tensor when it is contiguous, else its values copied in C order (gradients
        flow through the copy), as ``torch.Tensor.contiguous``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> x = tg.zeros(2, 3)
            >>> x.contiguous() is x, x.T.contiguous().numpy().flags.c_contiguous
            (True, True)
        """
        if self.is_contiguous():
            return self  # type: ignore[return-value]
        # Flattening a strided view copies it in C order; the second reshape is a view of it.
        return self.reshape(-1).reshape(self.array.shape)

    @property
    def mT(self) -> Tensor:
        """Each matrix transposed: the last two axes swapped (``torch.Tensor.mT``).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(5, 2, 3).mT.shape
            (5, 3, 2)
        """
        if self.array.ndim < 2:
            raise RuntimeError(
                "tensor.mT is only supported on matrices or batches of matrices. "
                f"Got {self.array.ndim}-D tensor."
            )
        return self._swap("mT", -2, -1)

    def t(self) -> Tensor:
        """A matrix transposed; a 0-d or 1-d tensor as it is (``torch.Tensor.t``).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(2, 3).t().shape, tg.zeros(3).t().shape
            ((3, 2), (3,))
        """
        if (ndim := self.array.ndim) > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {ndim}D")
        return self._swap("t", 0, -1)

    # ------------------------------------------------------------ reordering

    def roll(self, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> Tensor:
        """Shift the values along ``dims`` by ``shifts``, wrapping around, as ``torch.roll``
        (over the flattened tensor when ``dims`` is None); gradients roll back.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1, 2, 3, 4]).roll(1).tolist()
            [4, 1, 2, 3]
            >>> tg.tensor([[1, 2], [3, 4]]).roll(-1, 1).tolist()
            [[2, 1], [4, 3]]
        """
        steps = (shifts,) if isinstance(shifts, int) else tuple(shifts)
        if dims is None:
            if len(steps) != 1:
                raise RuntimeError(
                    f"roll: with dims=None, shifts must be one number, got {len(steps)}"
                )
            return self.reshape(-1).roll(steps, 0).reshape(self.array.shape)
        axes = (dims,) if isinstance(dims, int) else tuple(dims)
        if len(steps) != len(axes):
            raise RuntimeError(
                f"shifts and dimensions must align. shifts: {len(steps)}, dims:{len(axes)}"
            )
        result: Any = self
        ndim = self.array.ndim
        for step, dim in zip(steps, axes):
            axis = _wrap_axis("roll", dim, ndim)
            size = self.array.shape[axis] if ndim else 1
            if size == 0 or step % size == 0 or ndim == 0:
                continue
            picks = (np.arange(size) - step) % size  # the value that lands at each place
            result = result[(slice(None),) * axis + (picks,)]
        return result

    # ------------------------------------------------------------ new tensors like this one

    def _new(self, array: np.ndarray, dtype: DTypeLike, requires_grad: bool) -> Tensor:
        array = array.astype(_host_dtype(self.array) if dtype is None else as_dtype(dtype))
        if requires_grad and array.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point dtype can require gradients")
        return self._wrap(like(array, self.array), bool(requires_grad))

    def new_zeros(
        self, *size: Any, dtype: DTypeLike = None, device: Any = None, requires_grad: bool = False
    ) -> Tensor:
        """Zeros of ``size`` in this tensor's dtype and place (``torch.Tensor.new_zeros``).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(1, dtype=tg.float32).new_zeros(2, 3).dtype
            dtype('float32')
        """
        library_for(device, "new_zeros")
        return self._new(np.zeros(_sizes(size)), dtype, requires_grad)

    def new_ones(
        self, *size: Any, dtype: DTypeLike = None, device: Any = None, requires_grad: bool = False
    ) -> Tensor:
        """Ones of ``size`` in this tensor's dtype and place.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1]).new_ones(2).tolist()
            [1, 1]
        """
        library_for(device, "new_ones")
        return self._new(np.ones(_sizes(size)), dtype, requires_grad)

    def new_empty(
        self, *size: Any, dtype: DTypeLike = None, device: Any = None, requires_grad: bool = False
    ) -> Tensor:
        """A tensor of ``size`` in this tensor's dtype (zeros: never uninitialised memory).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(1).new_empty((2,)).shape
            (2,)
        """
        library_for(device, "new_empty")
        return self._new(np.zeros(_sizes(size)), dtype, requires_grad)

    def new_full(
        self,
        size: Any,
        fill_value: Any,
        dtype: DTypeLike = None,
        device: Any = None,
        requires_grad: bool = False,
    ) -> Tensor:
        """``fill_value`` everywhere, in this tensor's dtype and place.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(1).new_full((2,), 7).tolist()
            [7.0, 7.0]
        """
        library_for(device, "new_full")
        return self._new(np.full(_sizes((size,)), fill_value), dtype, requires_grad)

    def new_tensor(
        self, data: Any, dtype: DTypeLike = None, device: Any = None, requires_grad: bool = False
    ) -> Tensor:
        """A copy of ``data`` in this tensor's dtype and place (a leaf, not in any graph).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(1, dtype=tg.float32).new_tensor([1, 2]).dtype
            dtype('float32')
        """
        library_for(device, "new_tensor")
        return self._new(np.array(to_numpy(as_array(data))), dtype, requires_grad)

    def type_as(self, other: Any) -> Tensor:
        """These values in ``other``'s dtype (``torch.Tensor.type_as``).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1]).type_as(tg.zeros(1)).dtype
            dtype('float64')
        """
        return self.to(other)

    # ------------------------------------------------------------ devices and dtypes

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """These values in another dtype, on another device or in another array library,
        as ``torch.Tensor.to``: ``to(dtype)``, ``to("cpu")``, ``to(device, dtype)``,
        ``to(other_tensor)`` (its dtype and place), ``to(device=..., dtype=...)``.

        A device is ``"cpu"`` (NumPy), ``"cuda"``/``"cuda:1"`` (CuPy on a GPU) or a
        ``torch.device``; an array library is its module or name (``"torch"``,
        ``"array_api_strict"``...), with ``device=`` for that library's own devices
        (``x.to("torch", device="cuda")``). Nothing to change gives this tensor itself.
        A dtype change is recorded (gradients flow back); moved to another library, the
        result is a new leaf (``requires_grad`` kept): move the leaves, then compute.

        Examples:
            >>> import tinygrad_nn as tg
            >>> x = tg.tensor([1.5])
            >>> x.to("float32").dtype, x.to("cpu", tg.float32).dtype, x.to(x) is x
            (dtype('float32'), dtype('float32'), True)
        """
        library, device, dtype, copy = to_arguments(args, kwargs, TensorTorch)
        if library is None:
            library, device = library_for(device, "to")
        if library_name(self.array) == _library_name(library) and device is None:
            if dtype is not None and dtype != self.array.dtype:
                return self.astype(dtype)
            return self.clone() if copy else self  # type: ignore[return-value]
        if self._ctx is not None and self.requires_grad:
            raise RuntimeError(
                f"to({library!r}): this tensor was computed by the graph, and moving it to "
                "another array library would cut the graph; move the leaves (inputs and "
                "parameters) first, then compute"
            )
        data = self.array if dtype is None else to_numpy(self.array).astype(dtype)
        return self._wrap(move(data, library, device), self.requires_grad)

    def cpu(self) -> Tensor:
        """The values in NumPy (this tensor when they already are), as ``Tensor.cpu()``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> x = tg.zeros(2)
            >>> x.cpu() is x
            True
        """
        return self.to("cpu")

    def cuda(self, device: Any = None) -> Tensor:
        """The values on a GPU, through CuPy (``RuntimeError`` without it), as ``Tensor.cuda()``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(1).cuda().device  # doctest: +SKIP
            device(type='cuda', index=0)
        """
        if device is None or is_device(device):
            return self.to("cuda" if device is None else device)
        return self.to(f"cuda:{int(device)}")  # an index, as torch.Tensor.cuda(1)


def _host_dtype(data: Any) -> np.dtype:
    """The NumPy dtype of any library's array (read from an empty piece of it)."""
    if isinstance(data, np.ndarray):
        return data.dtype
    return to_numpy(data[:0] if data.ndim else data).dtype


def _library_name(library: Any) -> str:
    return library if isinstance(library, str) else str(library.__name__)


def _sizes(size: tuple[Any, ...]) -> tuple[int, ...]:
    """``f(2, 3)`` or ``f((2, 3))`` as a shape."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(n) for n in size)


def _wrap_axis(what: str, axis: int, ndim: int) -> int:
    return wrap_dim(what, axis, max(ndim, 1))  # (a 0-d tensor has dims 0 and -1)


def round_decimals(x: Tensor, decimals: int, out: Any = None) -> Tensor:
    """``x`` rounded to ``decimals`` places as ``torch.round(x, decimals=d)``: halves to even,
    scaled as PyTorch scales, so the same floats come out; gradient 0. (``out``: None only.)

    Examples:
        >>> import tinygrad_nn as tg
        >>> round_decimals(tg.tensor([0.125, 2.5]), 2), round_decimals(tg.tensor(1250.0), -2)
        (Tensor([0.12, 2.5 ]), Tensor(1200.))
    """
    if out is not None:
        raise TypeError("round(): out= is not supported: write y = x.round(decimals=...)")
    if not (decimals := int(decimals)):
        return x.round()
    if getattr(x.array.dtype, "kind", "f") in "iub":  # PyTorch's refusal
        raise NotImplementedError(f"round(decimals={decimals}): not implemented for integers")
    scale = 10.0 ** abs(decimals)  # x * 10**d, or x / 10**-d for d < 0: PyTorch's floats
    return (x * scale).round() / scale if decimals > 0 else (x / scale).round() * scale
