"""Devices as PyTorch names them: ``"cpu"`` is NumPy, ``"cuda"`` (``"cuda:1"``) is CuPy.

A PyTorch program says where values live with a device: a string, or a
:class:`device` (``torch.device``, whose ``str`` is the same string; ``Tensor.device``
gives one, :func:`device_of`). Here a device is an array library and its device number:
``"cpu"`` means NumPy (nothing to move), ``"cuda"`` means CuPy on a GPU, the array
library the backends use there (docs/backends.md); without CuPy and a GPU it is a
``RuntimeError`` saying so.
Factory functions (``tg.zeros(..., device=)``) and ``Tensor.to`` read devices here.

Examples:
    >>> import numpy as np
    >>> library_for("cpu"), library_for(None), is_device("cuda:1"), is_device("float32")
    (('numpy', None), ('numpy', None), True, False)
    >>> place(np.ones(2), "cpu")
    array([1., 1.])
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from tinygrad_nn.namespace.array_api import (
    LIBRARIES,
    as_dtype,
    compat,
    is_library,
    library_name,
    move,
)

TYPES = ("cpu", "cuda")


def _parts(device: Any) -> tuple[str, str]:
    """A device's type and index text: ``"cuda:1"`` -> ``("cuda", "1")``."""
    kind, _, number = str(device).partition(":")
    return kind, number


def is_device(value: Any) -> bool:
    """True for a device: ``"cpu"``, ``"cuda"``, ``"cuda:0"`` or a ``torch.device``.

    Examples:
        >>> is_device("cpu"), is_device("cupy"), is_device(3)
        (True, False, False)
    """
    if isinstance(value, (str, device)) or type(value).__name__ == "device":
        kind, number = _parts(value)
        return kind in TYPES and (not number or number.isdigit())
    return False


def cuda_device_count() -> int:
    """How many GPUs CuPy sees: 0 without CuPy or without a working driver.

    Examples:
        >>> cuda_device_count() >= 0
        True
    """
    if importlib.util.find_spec("cupy") is None:
        return 0
    try:
        cupy = importlib.import_module("cupy")
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # CuPy installed without a working driver: no GPU to use
        return 0


def cuda_available() -> bool:
    """True when CuPy is installed and sees a GPU (what ``"cuda"`` needs here)."""
    return cuda_device_count() > 0


class device:
    """A device: ``device("cpu")``, ``device("cuda")``, ``device("cuda:1")``, ``device("cuda", 1)``,
    as ``torch.device``; ``Tensor.device`` gives one (``device(type='cpu')`` for NumPy).

    ``type`` is ``"cpu"`` or ``"cuda"``, ``index`` the GPU's number or None, and ``str``
    gives PyTorch's spelling (``"cuda:1"``). It compares equal to another device of the same
    type and index, and (unlike PyTorch's, a convenience kept from when ``Tensor.device``
    was a string) to that spelling: ``t.device == "cpu"``; it hashes as the spelling too.

    Examples:
        >>> device("cuda:0") == device("cuda", 0), device("cpu") == "cpu", device("cpu").type
        (True, True, 'cpu')
        >>> device("mps")
        Traceback (most recent call last):
        ...
        RuntimeError: torch.device('mps'): tinygrad_nn runs on 'cpu' (NumPy) and 'cuda' (CuPy) only
    """

    __slots__ = ("index", "type")

    def __init__(self, type: Any, index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        text = str(type)
        kind, _, number = text.partition(":")
        if kind not in TYPES or (number and not number.isdigit()):
            raise RuntimeError(
                f"torch.device({text!r}): tinygrad_nn runs on 'cpu' (NumPy) and 'cuda' (CuPy) only"
            )
        if number and index is not None:
            raise RuntimeError(
                f"torch.device({text!r}, {index}): type (string) must not include an index "
                "because index was passed explicitly"
            )
        self.type: str = kind
        self.index: int | None = int(number) if number else index

    def library(self) -> tuple[str, int | None]:
        """The array library and its device number: what ``Tensor.to(library, device)`` takes.

        Raises ``RuntimeError`` for ``"cuda"`` when CuPy or a GPU is missing.

        Examples:
            >>> device("cpu").library()
            ('numpy', None)
        """
        if self.type == "cpu":
            return "numpy", None
        if not cuda_available():
            raise RuntimeError(
                f"torch.device({str(self)!r}): tinygrad_nn runs CUDA through CuPy, and CuPy "
                "is not installed or sees no GPU (pip install cupy-cuda12x, and "
                "'tinygrad-nn[backends]'); use 'cpu' (NumPy) instead"
            )
        return "cupy", self.index

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type={self.type!r})"
        return f"device(type={self.type!r}, index={self.index})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return str(self) == other
        if isinstance(other, device):
            return (self.type, self.index) == (other.type, other.index)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))  # equal to its spelling, so hashed as it


CPU = device("cpu")


def device_of(array: Any) -> Any:
    """Where ``array`` lives, as ``Tensor.device`` says it: ``device(type='cpu')`` for
    NumPy, ``device(type='cuda', index=n)`` for CuPy on GPU ``n``; for another array
    library (PyTorch's tensors, array-api-strict), that library's own device object.

    Examples:
        >>> device_of(np.zeros(2)), str(device_of(np.float64(1.0)))
        (device(type='cpu'), 'cpu')
    """
    if isinstance(array, (np.ndarray, np.generic)):
        return CPU
    if library_name(array) == "cupy":
        return device("cuda", int(array.device.id))
    return compat().device(array)


def library_for(device: Any, what: str = "device") -> tuple[str, int | None]:
    """The array library and device number for ``device`` (None is ``"cpu"``).

    Examples:
        >>> library_for("cpu", "zeros")
        ('numpy', None)
        >>> library_for("tpu", "zeros")
        Traceback (most recent call last):
        ...
        RuntimeError: zeros(device='tpu'): tinygrad_nn runs on 'cpu' (NumPy) and 'cuda' (CuPy) only
    """
    if device is None:
        return "numpy", None
    if not is_device(device):
        raise RuntimeError(
            f"{what}(device={str(device)!r}): tinygrad_nn runs on 'cpu' (NumPy) and 'cuda' "
            "(CuPy) only"
        )
    kind, number = _parts(device)
    if kind == "cpu":
        return "numpy", None
    if not cuda_available():
        raise RuntimeError(
            f"{what}(device={str(device)!r}): tinygrad_nn runs CUDA through CuPy, and CuPy "
            "is not installed or sees no GPU (pip install cupy-cuda12x, and "
            "'tinygrad-nn[backends]'); use 'cpu' (NumPy) instead"
        )
    return "cupy", int(number) if number else None


def place(array: np.ndarray, device: Any, what: str = "device") -> Any:
    """``array`` (made by NumPy) on ``device``: as it is for ``"cpu"`` or None.

    Examples:
        >>> place(np.zeros(1), None)
        array([0.])
    """
    library, index = library_for(device, what)
    if library == "numpy":
        return array
    gpu = None if index is None else importlib.import_module("cupy").cuda.Device(index)
    return move(array, library, gpu)


def to_arguments(
    args: tuple[Any, ...], kwargs: dict[str, Any], tensor: Any
) -> tuple[Any, Any, Any, bool]:
    """``Tensor.to``'s arguments as (array library or None, device, dtype or None, copy):
    each positional one is a ``tensor`` (its dtype and library), a library, a device or a
    dtype, as PyTorch reads them.

    Examples:
        >>> to_arguments(("cpu", "float32"), {}, type(None))
        (None, 'cpu', dtype('float32'), False)
    """
    dtype, device = kwargs.pop("dtype", None), kwargs.pop("device", None)
    copy = bool(kwargs.pop("copy", False))
    kwargs.pop("non_blocking", None), kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument {next(iter(kwargs))!r}")
    library = None
    for arg in args:
        if arg is None:  # (Module.to passes device=None on)
            continue
        if isinstance(arg, tensor):  # another tensor: its dtype, and its library
            array = arg.array
            dtype = array.dtype if dtype is None else dtype
            if library_name(array) != "numpy":
                library = library_name(array)
        elif is_library(arg):
            library = arg
        elif is_device(arg):
            device = arg
        else:
            dtype = arg
    if dtype is not None:
        checked = as_dtype(dtype)
        if isinstance(dtype, str) and checked is dtype:  # NumPy read no dtype in it
            raise ValueError(
                f"to({dtype!r}): neither a dtype, a device ('cpu', 'cuda') nor an array "
                f"library (one of {', '.join(LIBRARIES)}, or the module itself)"
            )
        dtype = checked
    if library is None and device is not None and not is_device(device):
        library_for(device, "to")  # the error naming the unknown device
    return library, device, dtype, copy
