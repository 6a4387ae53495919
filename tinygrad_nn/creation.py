"""Making tensors, with PyTorch's names: ``tg.tensor``, ``tg.zeros``, ``tg.randn``, ``tg.arange``...

Sizes are given as ``zeros(2, 3)`` or ``zeros((2, 3))``. Floats are float64 unless a
``dtype`` is asked for (the project's default, see docs/pytorch.md); random tensors
follow :func:`tinygrad_nn.manual_seed`.

Examples:
    >>> import tinygrad_nn as tg
    >>> tg.zeros(2, 3).shape, tg.ones((2,)).tolist(), tg.arange(3).tolist()
    ((2, 3), [1.0, 1.0], [0, 1, 2])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nn.devices import library_for, place
from tinygrad_nn.dtypes import DTypeLike
from tinygrad_nn.namespace.array_api import library_name, to_numpy
from tinygrad_nn.tensor import Tensor
from tinygrad_nn.tensor_shaping import shape_argument

FLOAT = np.float64


def made(
    array: np.ndarray, dtype: DTypeLike, requires_grad: bool, device: Any = None, what: str = ""
) -> Tensor:
    """A new leaf of ``array`` (made by NumPy) in ``dtype``, on ``device`` (``"cpu"`` or
    None: NumPy; see :mod:`tinygrad_nn.devices`); ``what`` names the caller in errors."""
    if dtype is not None:
        array = array.astype(dtype)
    return Tensor(place(array, device, what), requires_grad=requires_grad)


def tensor(
    data: Any, dtype: DTypeLike = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A tensor holding a copy of ``data``, as ``torch.tensor``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.tensor([1.0, 2.0], requires_grad=True)
        Tensor([1., 2.], requires_grad=True)
    """
    if library_for(device, "tensor")[0] == "numpy":
        return Tensor(data, requires_grad=requires_grad, dtype=dtype)
    host = to_numpy(Tensor(data, dtype=dtype).array)
    return made(host, None, requires_grad, device, "tensor")


SHARED_DTYPES = (  # the NumPy dtypes torch.from_numpy takes, in PyTorch's order
    *("float64", "float32", "float16", "complex64", "complex128"),
    *("int64", "int32", "int16", "int8", "uint64", "uint32", "uint16", "uint8", "bool"),
)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor around ``ndarray`` itself, not a copy, in its dtype, as
    ``torch.from_numpy``: later writes into the array show in the tensor. The tensor's own
    in-place methods write a new array (copy-on-write, see docs/pytorch.md), so they do
    not reach the NumPy array, as PyTorch's would.

    Examples:
        >>> a = np.arange(3.0)
        >>> t = from_numpy(a); a[0] = 9.0
        >>> t.tolist(), t.dtype
        ([9.0, 1.0, 2.0], dtype('float64'))
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype.name not in SHARED_DTYPES:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{ndarray.dtype.type.__name__}. The only "
            f"supported types are: {', '.join(SHARED_DTYPES[:-1])}, and bool."
        )
    return Tensor._wrap(ndarray)


def as_tensor(data: Any, dtype: DTypeLike = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing it when it can, as ``torch.as_tensor``: a Tensor
    already in ``dtype`` and on ``device`` is returned itself (otherwise converted, as
    ``.to`` does, gradients flowing back); a NumPy array in ``dtype`` on the CPU is
    shared, as :func:`from_numpy`; anything else is copied, as :func:`tensor`.

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.ones(2)
        >>> as_tensor(x) is x, as_tensor([1, 2]).dtype, as_tensor(x, dtype=tg.float32).dtype
        (True, dtype('int64'), dtype('float32'))
    """
    if isinstance(data, Tensor):
        options = {k: v for k, v in (("dtype", dtype), ("device", device)) if v is not None}
        return data.to(**options) if options else data
    shared = isinstance(data, np.ndarray) and data.dtype.name in SHARED_DTYPES
    same = shared and (dtype is None or np.dtype(dtype) == data.dtype)
    if same and library_for(device, "as_tensor")[0] == "numpy":
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def zeros(
    *size: Any, dtype: DTypeLike = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Zeros of the given size.

    Examples:
        >>> zeros(2).tolist()
        [0.0, 0.0]
    """
    return made(
        np.zeros(shape_argument("zeros", size), FLOAT), dtype, requires_grad, device, "zeros"
    )


def ones(
    *size: Any, dtype: DTypeLike = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Ones of the given size.

    Examples:
        >>> ones(1, 2).tolist()
        [[1.0, 1.0]]
    """
    return made(np.ones(shape_argument("ones", size), FLOAT), dtype, requires_grad, device, "ones")


def empty(
    *size: Any, dtype: DTypeLike = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of the given size (filled with zeros: never uninitialised memory).

    Examples:
        >>> empty(2, 2).shape
        (2, 2)
    """
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(
    size: Any,
    fill_value: float,
    dtype: DTypeLike = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``fill_value`` everywhere; the dtype follows the value (a float gives float64).

    Examples:
        >>> full((2,), 7).tolist(), full((1,), 0.5).dtype
        ([7, 7], dtype('float64'))
    """
    shape = shape_argument("full", (size,))
    return made(np.full(shape, fill_value), dtype, requires_grad, device, "full")


def eye(
    n: int,
    m: int | None = None,
    dtype: DTypeLike = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The identity matrix, ``n`` x ``m`` (square when ``m`` is None).

    Examples:
        >>> eye(2).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    return made(np.eye(n, m, dtype=FLOAT), dtype, requires_grad, device, "eye")


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    dtype: DTypeLike = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``start, start + step, ...`` below ``end`` (``arange(n)`` counts from 0); integers
    stay integers, as in PyTorch.

    Examples:
        >>> arange(1, 2, 0.25).tolist()
        [1.0, 1.25, 1.5, 1.75]
    """
    if end is None:
        start, end = 0, start
    return made(np.arange(start, end, step), dtype, requires_grad, device, "arange")


def linspace(
    start: float,
    end: float,
    steps: int,
    dtype: DTypeLike = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included.

    Integer dtypes truncate toward zero; bool is refused, as in PyTorch (which has no
    linspace for bool: ``linspace(0, 1, 3) > 0.25`` says which values you mean).

    Examples:
        >>> linspace(0, 1, 3).tolist()
        [0.0, 0.5, 1.0]
    """
    if dtype is not None and np.dtype(dtype) == np.bool_:
        raise RuntimeError(
            "linspace(): not implemented for dtype bool (as in PyTorch); make the floats "
            "and compare them, e.g. linspace(0, 1, 3) > 0.25"
        )
    return made(
        np.linspace(start, end, steps, dtype=FLOAT), dtype, requires_grad, device, "linspace"
    )


def zeros_like(
    t: Tensor, dtype: DTypeLike = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Zeros shaped like ``t``, in its dtype unless another is given.

    Examples:
        >>> zeros_like(ones(2, dtype="float32")).dtype
        dtype('float32')
    """
    return made(
        np.zeros(t.shape, t.dtype), dtype, requires_grad, like_device(t, device), "zeros_like"
    )


def ones_like(
    t: Tensor, dtype: DTypeLike = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Ones shaped like ``t``, in its dtype unless another is given.

    Examples:
        >>> ones_like(zeros(2)).tolist()
        [1.0, 1.0]
    """
    return made(
        np.ones(t.shape, t.dtype), dtype, requires_grad, like_device(t, device), "ones_like"
    )


def full_like(
    t: Tensor,
    fill_value: float,
    dtype: DTypeLike = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``fill_value`` shaped like ``t``, in its dtype unless another is given.

    Examples:
        >>> full_like(zeros(2), 3).tolist()
        [3.0, 3.0]
    """
    return made(
        np.full(t.shape, fill_value, t.dtype),
        dtype,
        requires_grad,
        like_device(t, device),
        "full_like",
    )


def like_device(t: Tensor, device: Any) -> Any:
    """``device``, or where ``t`` lives when none is given (for the ``*_like`` functions).

    Examples:
        >>> like_device(zeros(1), None) is None, like_device(zeros(1), "cpu")
        (True, 'cpu')
    """
    if device is not None or library_name(t.array) != "cupy":
        return device
    return f"cuda:{t.array.device.id}"  # CuPy's arrays are the "cuda" device's
