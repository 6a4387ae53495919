"""PyTorch's legacy tensor types: ``torch.LongTensor(array)``, ``torch.FloatTensor(2, 3)``,
``isinstance(x, torch.LongTensor)``, ``x.type(torch.LongTensor)``.

Each is a class whose call makes an ordinary :class:`~tinygrad_nn.Tensor` of its dtype:
from data (lists and NumPy arrays are converted, floats truncated toward zero for the
integer types, as PyTorch's), from sizes (``LongTensor(2, 3)``: PyTorch leaves the
values uninitialised, here they are zeros), or nothing (an empty tensor). A Tensor
argument must already have the type's dtype, as in PyTorch. ``isinstance`` asks the
tensor's dtype, as PyTorch's ``tensortype`` does.

Examples:
    >>> import numpy as np
    >>> LongTensor(np.array([[1, 2]], dtype=np.int32))
    Tensor([[1, 2]])
    >>> FloatTensor(2, 3).shape, LongTensor().shape, isinstance(LongTensor([1]), LongTensor)
    ((2, 3), (0,), True)
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from tinygrad_nn.creation import zeros
from tinygrad_nn.sizes import Shape as Size
from tinygrad_nn.tensor import Tensor
from tinygrad_nn.torch_names.device import device as torch_device

__all__ = [
    "BoolTensor",
    "ByteTensor",
    "CharTensor",
    "DoubleTensor",
    "FloatTensor",
    "HalfTensor",
    "IntTensor",
    "LongTensor",
    "ShortTensor",
]


def _sizes(args: tuple[Any, ...]) -> tuple[int, ...] | None:
    """``args`` as a shape when they are ints (or one tuple/Size of ints), else None."""
    if len(args) == 1 and isinstance(args[0], tuple):  # torch.Size([2, 3]) (a tuple: data)
        return tuple(args[0]) if isinstance(args[0], Size) else None
    try:
        if any(isinstance(a, (bool, np.bool_)) for a in args):
            return None
        return tuple(operator.index(a) for a in args)
    except TypeError:
        return None


class TensorType(type):
    """The metaclass of the legacy types: calling one makes a Tensor of its dtype;
    ``isinstance`` checks the dtype."""

    legacy_dtype: np.dtype

    def __call__(cls, *args: Any, device: Any = None) -> Tensor:
        name = f"torch.{cls.__name__}"
        if device is not None and torch_device(device).type != "cpu":
            raise RuntimeError(f"{name}(): tinygrad_nn's legacy tensor types are on the cpu")
        shape = _sizes(args)
        if args and shape is not None:
            return zeros(*shape, dtype=cls.legacy_dtype)  # (uninitialised in PyTorch)
        if not args:
            return zeros(0, dtype=cls.legacy_dtype)
        if len(args) != 1:
            raise TypeError(
                f"{name}(): takes sizes (ints) or one sequence of data, got "
                f"({', '.join(type(a).__name__ for a in args)})"
            )
        (data,) = args
        if isinstance(data, Tensor):
            if data.dtype != cls.legacy_dtype:
                raise TypeError(
                    f"{name}(): expected a tensor of dtype {cls.legacy_dtype} (got "
                    f"{data.dtype}); convert it with .to() or .type({name})"
                )
            return data.detach()
        if isinstance(data, (str, bytes)) or np.ndim(data) == 0:
            raise TypeError(f"{name}(): new(): data must be a sequence (got {type(data).__name__})")
        return Tensor(np.asarray(data).astype(cls.legacy_dtype), dtype=cls.legacy_dtype)

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.legacy_dtype

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


def _legacy(name: str, dtype: Any) -> TensorType:
    doc = f"``torch.{name}``: makes a {np.dtype(dtype)} Tensor (see the module docs)."
    made = TensorType(name, (), {"__doc__": doc, "__module__": __name__})
    made.legacy_dtype = np.dtype(dtype)
    return made


DoubleTensor = _legacy("DoubleTensor", np.float64)
FloatTensor = _legacy("FloatTensor", np.float32)
HalfTensor = _legacy("HalfTensor", np.float16)
LongTensor = _legacy("LongTensor", np.int64)
IntTensor = _legacy("IntTensor", np.int32)
ShortTensor = _legacy("ShortTensor", np.int16)
CharTensor = _legacy("CharTensor", np.int8)
ByteTensor = _legacy("ByteTensor", np.uint8)
BoolTensor = _legacy("BoolTensor", np.bool_)
