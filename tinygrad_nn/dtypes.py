"""What counts as tensor data: the dtypes a tensor may hold, and turning data into arrays.

Examples:
    >>> as_array([1, 2], requires_grad=True).dtype
    dtype('float64')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nn.namespace.array_api import array_namespace, is_array

DTypeLike = Any  # anything numpy.dtype() accepts: np.float32, "float64", ...
NUMERIC_KINDS = "biuf"  # bool, signed int, unsigned int, float


def as_array(data: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> np.ndarray:
    """Turn ``data`` into a numeric ndarray (a copy), or raise ``TypeError`` naming what it is.

    Float data keeps its precision; integer and bool data become float64 when they must
    require grad, as only floating point values can be differentiated.

    Examples:
        >>> as_array([[1.0, 2.0]], dtype="float32").dtype
        dtype('float32')
    """
    if is_array(data):  # another array library's (PyTorch, CuPy...): it stays there
        return foreign_array(data, dtype, requires_grad)
    try:
        array = np.array(data, dtype=dtype)
    except (ValueError, TypeError) as error:
        raise TypeError(
            f"Tensor data must be numeric and rectangular; got {type(data).__name__} "
            f"{preview(data)} ({error})"
        ) from None
    if array.dtype.kind not in NUMERIC_KINDS:
        raise TypeError(
            f"Tensor data must be numeric (bool, int or float); got {type(data).__name__} "
            f"{preview(data)} with dtype {array.dtype}"
        )
    if requires_grad and array.dtype.kind != "f":
        if dtype is not None:
            raise TypeError(
                f"only floating point tensors can require grad; dtype {array.dtype} was asked for"
            )
        array = array.astype(np.float64)
    return array


def foreign_array(data: Any, dtype: DTypeLike, requires_grad: bool) -> Any:
    """A copy of another library's array, in ``dtype`` (float64 if it must require grad)."""
    xp = array_namespace([data], "Tensor")
    if dtype is None and requires_grad and not is_floating(data):
        dtype = np.float64
    return xp.astype(data, data.dtype if dtype is None else dtype)  # astype copies


def dtype_name(array: Any) -> str:
    """The dtype's name without its library: ``"float32"``, ``"int64"``, ``"bool"``.

    Examples:
        >>> dtype_name(np.ones(1, dtype=np.float32))
        'float32'
    """
    return str(array.dtype).rpartition(".")[2]


def is_floating(array: Any) -> bool:
    """True when the array holds floating point values, whatever its library.

    Examples:
        >>> is_floating(np.ones(2)), is_floating(np.ones(2, dtype=int))
        (True, False)
    """
    if isinstance(array, np.ndarray):
        return array.dtype.kind == "f"
    return dtype_name(array).startswith("float")


def preview(data: Any) -> str:
    """A short ``repr`` of ``data`` for error messages.

    Examples:
        >>> preview("x" * 100)[-3:]
        '...'
    """
    text = repr(data)
    return text if len(text) <= 40 else text[:37] + "..."
