"""Other array libraries: the declared ``xp`` on any array that follows the array API standard.

NumPy arrays take the fast path (:data:`~tinygrad_nn.namespace.numpy_xp`). Any other
array — a PyTorch tensor (CPU or CUDA), a CuPy array on the GPU, an ``array_api_strict``
array — gets an :class:`ArrayApiNamespace` around its library's standard namespace, as
``array-api-compat`` gives it. The rules do not change: they already call ``xp.*``, so
the same rule runs on a GPU. array-api-compat is loaded only when such an array is met
(``pip install tinygrad-nn[backends]``).

The declared names are the standard's, so most are taken as they are. The six extras
are written once on top of the standard (``sigmoid`` from ``logaddexp``, ``unbroadcast``
from ``sum``, ``class_mask`` from ``arange`` and ``==``...), with a library's own faster
function where it has one (PyTorch's ``torch.sigmoid``); ``erf``, ``einsum`` and an
``index add`` with repeated positions have no standard form, so without a native one
they are computed by NumPy on the host.

Examples:
    >>> import numpy as np
    >>> array_namespace([np.ones(2)]) is numpy_xp
    True
    >>> library_name(np.ones(2))
    'numpy'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, cast

import numpy as np

from tinygrad_nn.namespace.declared import EXTRAS, NAMES, ArrayNamespace, Index, Shape
from tinygrad_nn.namespace.numpy_xp import numpy_xp
from tinygrad_nn.namespace.shapes import has_integer_array, reduced_axes

# The declared names that every array API namespace has under the same name and meaning
# (astype too, but it is written out below: NumPy's dtypes are converted first).
STANDARD = tuple(name for name in NAMES if name not in EXTRAS and name != "astype")

# Faster functions a library has for the extras: (library, extra) -> where to find it.
NATIVE = {
    ("torch", "sigmoid"): "torch.sigmoid",
    ("torch", "erf"): "torch.special.erf",
    ("torch", "einsum"): "torch.einsum",
    ("cupy", "sigmoid"): "cupyx.scipy.special.expit",
    ("cupy", "erf"): "cupyx.scipy.special.erf",
    ("cupy", "einsum"): "cupy.einsum",
}


def as_dtype(dtype: Any) -> Any:
    """A NumPy dtype for anything NumPy reads as one; another library's dtype as it is.

    Examples:
        >>> as_dtype("float32")
        dtype('float32')
    """
    try:
        return np.dtype(dtype)
    except TypeError:
        return dtype


def library_name(array: Any) -> str:
    """The library an array comes from: ``"numpy"``, ``"torch"``, ``"cupy"``...

    Examples:
        >>> library_name(np.float64(1.0))
        'numpy'
    """
    if isinstance(array, (np.ndarray, np.generic)):
        return "numpy"
    return type(array).__module__.partition(".")[0]


def is_number(value: Any) -> bool:
    """True for a Python number (an op's constant)."""
    return isinstance(value, (int, float, bool))


def is_numpy(array: Any) -> bool:
    """True for NumPy's arrays and scalars."""
    return isinstance(array, (np.ndarray, np.generic))


def is_array(data: Any) -> bool:
    """True for an array of a library other than NumPy (a Tensor wraps it as it is).

    Examples:
        >>> is_array(np.ones(2)), is_array([1.0])
        (False, False)
    """
    if isinstance(data, (np.ndarray, np.generic, list, tuple, int, float, bool, complex)):
        return False
    return hasattr(data, "__array_namespace__") or library_name(data) in ("torch", "cupy", "jax")


def compat() -> ModuleType:
    """array-api-compat, loaded on first use (an optional dependency)."""
    try:
        return importlib.import_module("array_api_compat")
    except ImportError:
        raise ImportError(
            "arrays of libraries other than NumPy need array-api-compat: "
            "pip install 'tinygrad-nn[backends]'"
        ) from None


_NAMESPACES: dict[type, ArrayNamespace] = {}


def array_namespace(arrays: Sequence[Any], what: str = "op") -> ArrayNamespace:
    """The ``xp`` that evaluates rules on ``arrays`` (Python numbers among them are ignored).

    Raises ``TypeError`` naming both libraries when the arrays come from two.

    Examples:
        >>> array_namespace([np.ones(2), 2.0]) is numpy_xp
        True
    """
    found = [a for a in arrays if not is_number(a)]
    libraries = sorted({library_name(a) for a in found})
    if len(libraries) > 1:
        other = next(name for name in libraries if name != "numpy")
        raise TypeError(
            f"{what}: inputs come from different array libraries: {' and '.join(libraries)}. "
            f"Move them to one first, e.g. x.to({other!r}) or x.to('numpy')"
        )
    if not found or libraries == ["numpy"]:
        return numpy_xp
    kind = type(found[0])
    if kind not in _NAMESPACES:
        _NAMESPACES[kind] = cast(ArrayNamespace, ArrayApiNamespace(found[0]))
    return _NAMESPACES[kind]


def to_numpy(array: Any) -> np.ndarray:
    """The values as a NumPy array, copied to the host from a GPU if need be.

    Examples:
        >>> to_numpy(np.ones(1))
        array([1.])
    """
    if isinstance(array, np.ndarray) or not hasattr(array, "shape"):  # (or a number)
        return np.asarray(array)
    library = library_name(array)
    if library == "torch":
        return cast(np.ndarray, array.detach().cpu().numpy())
    if library == "cupy":
        return cast(np.ndarray, array.get())
    xp = compat().array_namespace(array)
    return np.asarray(xp.asarray(array, device=xp.__array_namespace_info__().default_device()))


LIBRARIES = ("numpy", "torch", "cupy", "array_api_strict", "jax.numpy", "dask.array")


def is_library(target: Any) -> bool:
    """True when ``target`` names an array library (a module, or a name such as "torch").

    Examples:
        >>> is_library(np), is_library("torch"), is_library("float32")
        (True, True, False)
    """
    return isinstance(target, ModuleType) or (isinstance(target, str) and target in LIBRARIES)


def library_module(library: Any) -> ModuleType:
    """The array library named by a module or its name (``numpy``, ``"torch"``...)."""
    if isinstance(library, ModuleType):
        return library
    try:
        return importlib.import_module(str(library))
    except ImportError:
        raise ValueError(f"to({library!r}): {library} is not installed here") from None


def standard_namespace(module: ModuleType) -> Any:
    """A library's array API namespace: array-api-compat's wrapper where it has one
    (``array_api_compat.torch``), else the module itself (array-api-strict, CuPy 14...)."""
    wrapper = f"{compat().__name__}.{module.__name__}"
    try:
        return importlib.import_module(wrapper)
    except ImportError:
        return module


def move(array: Any, library: Any, device: Any = None) -> Any:
    """``array`` in another library (and on ``device``, where that library has devices).

    The values pass through NumPy on the host; float64 stays float64, and a library or
    device without float64 says to use float32.

    Examples:
        >>> move(np.ones(2), "numpy")
        array([1., 1.])
    """
    module = library_module(library)
    host = to_numpy(array)
    if module.__name__ == "numpy":
        if device not in (None, "cpu"):
            raise ValueError(f"to(numpy): NumPy arrays live on the CPU; got device={device!r}")
        return host
    xp = standard_namespace(module)
    try:
        return xp.asarray(host, device=device) if device is not None else xp.asarray(host)
    except (TypeError, RuntimeError, ValueError) as error:
        if host.dtype == np.float64:
            raise TypeError(
                f"to({module.__name__}, device={device!r}): float64 is not supported there "
                f"({error}); convert first with x.float() (float32)"
            ) from None
        raise


def library_index(index: Index, example: Any) -> Any:
    """``index`` for ``example``'s library: NumPy integer arrays moved there, and a trailing
    ``...`` where the standard wants every axis named (NumPy fills the rest in by itself).

    Examples:
        >>> library_index(0, np.ones((2, 2)))
        (0, Ellipsis)
    """
    parts = index if isinstance(index, tuple) else (index,)
    parts = tuple(like(p, example) if isinstance(p, np.ndarray) else p for p in parts)
    if any(hasattr(p, "shape") for p in parts):  # array indices: as given (a mask alone)
        return parts if isinstance(index, tuple) else parts[0]
    if not any(p is Ellipsis or p is None for p in parts):
        parts += (Ellipsis,)
    return parts


def host_index(index: Index) -> Any:
    """``index`` with any library's arrays in it as NumPy arrays."""
    if isinstance(index, tuple):
        return tuple(host_index(part) for part in index)
    return to_numpy(index) if hasattr(index, "shape") else index


def like(host: Any, array: Any) -> Any:
    """A NumPy value moved into ``array``'s library and device (anything else, or with no
    ``array`` or a NumPy one: as it is)."""
    if array is None or isinstance(array, np.ndarray) or not isinstance(host, np.ndarray):
        return host
    if not host.flags.c_contiguous or min(host.strides, default=0) < 0:
        host = host.copy()  # (a reversed view: PyTorch takes no negative strides)
    xp = compat().array_namespace(array)
    return xp.asarray(host, device=compat().device(array))


class ArrayApiNamespace:
    """``xp`` for the arrays of one array-API library (built from one of its arrays).

    Examples:
        >>> import array_api_strict as strict
        >>> xp = ArrayApiNamespace(strict.asarray([0.0]))
        >>> xp.sigmoid(strict.asarray([0.0, 1000.0]))
        Array([0.5, 1. ], dtype=array_api_strict.float64)
    """

    def __init__(self, example: Any) -> None:
        self.library = library_name(example)
        self.xp = xp = compat().array_namespace(example)
        for name in STANDARD:
            if name not in vars(ArrayApiNamespace):  # not one adapted below
                setattr(self, name, getattr(xp, name))
        self.native = {
            extra: _find(path)
            for (library, extra), path in NATIVE.items()
            if library == self.library
        }

    def astype(self, x: Any, dtype: Any) -> Any:
        """``x`` in ``dtype``: the library's own dtype, or a NumPy one by name."""
        if isinstance(dtype, (np.dtype, str, type)):  # NumPy's spelling: by its name here
            dtype = getattr(self.xp, np.dtype(dtype).name)
        return self.xp.astype(x, dtype)

    def where(self, condition: Any, x1: Any, x2: Any) -> Any:
        """The standard's ``where``, with a NumPy mask (an op's constant) moved here first."""
        if isinstance(condition, np.ndarray):
            condition = like(condition, x1 if hasattr(x1, "shape") else x2)
        return self.xp.where(condition, x1, x2)

    def sigmoid(self, x: Any) -> Any:
        """1 / (1 + exp(-x)) as exp(-log(1 + exp(-x))): no overflow at x = -1000."""
        if "sigmoid" in self.native:
            return self.native["sigmoid"](x)
        return self.xp.exp(-self.xp.logaddexp(self.xp.zeros_like(x), -x))

    def erf(self, x: Any) -> Any:
        if "erf" in self.native:
            return self.native["erf"](x)
        return like(numpy_xp.erf(to_numpy(x)), x)

    def einsum(self, subscripts: str, *operands: Any) -> Any:
        """Einstein summation; a rule's NumPy constants (identity matrices) are moved here."""
        reference = next(a for a in operands if hasattr(a, "shape") and not is_numpy(a))
        if "einsum" in self.native:
            moved = [like(np.asarray(a) if is_number(a) else a, reference) for a in operands]
            return self.native["einsum"](subscripts, *moved)
        host = numpy_xp.einsum(subscripts, *(to_numpy(a) for a in operands))
        return like(np.asarray(host), reference)

    def unbroadcast(self, g: Any, shape: Shape) -> Any:
        if tuple(g.shape) == tuple(shape):
            return g
        return self.xp.reshape(self.xp.sum(g, axis=reduced_axes(tuple(g.shape), shape)), shape)

    def scatter_add(self, shape: Shape, index: Index, g: Any) -> Any:
        if has_integer_array(index):  # positions may repeat: no standard form
            host = numpy_xp.scatter_add(shape, host_index(index), to_numpy(g))
            return like(host, g)
        out = self.xp.zeros(shape, dtype=g.dtype, device=compat().device(g))
        out[index] = g
        return out

    def class_mask(self, t: Any, classes: int, ignore_index: int) -> Any:
        xp = self.xp
        column = xp.reshape(t, (*t.shape, 1))
        return (column == xp.arange(classes, device=compat().device(t))) & (column != ignore_index)


def _find(path: str) -> Callable[..., Any]:
    """The function at a dotted path such as ``"torch.special.erf"``."""
    module, _, name = path.rpartition(".")
    return cast(Callable[..., Any], getattr(importlib.import_module(module), name))
