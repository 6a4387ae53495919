"""The few ``torch.*`` functions that tinygrad_nn has under no other name.

Examples:
    >>> import tinygrad_nn as tg
    >>> allclose(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 2.0 + 1e-9]))
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_nn.grad_mode import no_grad
from tinygrad_nn.sizes import Shape as Size
from tinygrad_nn.tensor import Tensor

__all__ = [
    "Size",
    "allclose",
    "equal",
    "get_default_dtype",
    "inference_mode",
    "is_tensor",
    "set_default_dtype",
]


def allclose(
    input: Tensor,
    other: Tensor,
    rtol: float = 1e-05,
    atol: float = 1e-08,
    equal_nan: bool = False,
) -> bool:
    """``|input - other| <= atol + rtol * |other|`` everywhere, as ``torch.allclose``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> allclose(tg.tensor([1.0]), tg.tensor([1.1]))
        False
    """
    for position, value in (("input", input), ("other", other)):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"allclose(): argument '{position}' must be Tensor, not {type(value).__name__}"
            )
    try:
        return bool(
            np.allclose(input.detach().numpy(), other.detach().numpy(), rtol, atol, equal_nan)
        )
    except ValueError:
        raise RuntimeError(
            f"allclose(): the shapes {input.shape} and {other.shape} do not broadcast"
        ) from None


def equal(input: Tensor, other: Tensor) -> bool:
    """True when the two tensors have the same shape and the same values, as
    ``torch.equal`` (the dtypes may differ; NaN is never equal to NaN).

    Examples:
        >>> import tinygrad_nn as tg
        >>> equal(tg.tensor([1, 2]), tg.tensor([1.0, 2.0])), equal(tg.ones(2), tg.ones(1))
        (True, False)
    """
    for position, value in (("input", input), ("other", other)):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"equal(): argument '{position}' must be Tensor, not {type(value).__name__}"
            )
    return input.shape == other.shape and bool(
        np.array_equal(input.detach().numpy(), other.detach().numpy())
    )


def is_tensor(obj: Any) -> bool:
    """True for a tinygrad_nn Tensor, as ``torch.is_tensor``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> is_tensor(tg.tensor(1.0)), is_tensor(1.0)
        (True, False)
    """
    return isinstance(obj, Tensor)


def get_default_dtype() -> Any:
    """float64: tinygrad_nn's default floating dtype (PyTorch's is float32).

    Examples:
        >>> get_default_dtype()
        <class 'numpy.float64'>
    """
    return np.float64


def set_default_dtype(d: Any) -> None:
    """Accept float64, which is already the default; refuse any other (it is fixed here).

    Examples:
        >>> set_default_dtype(np.float64)
        >>> set_default_dtype(np.float32)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        TypeError: set_default_dtype(float32): tinygrad_nn's default dtype is float64 and ...
    """
    if np.dtype(d) != np.float64:
        raise TypeError(
            f"set_default_dtype({np.dtype(d)}): tinygrad_nn's default dtype is float64 and "
            f"cannot be changed; pass dtype= to the tensors and layers that should be "
            f"{np.dtype(d)}"
        )


class inference_mode(no_grad):
    """``torch.inference_mode``: ``no_grad`` here, as a ``with`` block, a decorator
    (``@torch.inference_mode()`` or bare ``@torch.inference_mode``). ``mode=False``
    records, even inside ``no_grad``, as PyTorch's does. PyTorch also marks the results
    as inference tensors that autograd later refuses; here they are ordinary constants.

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.tensor([1.0], requires_grad=True)
        >>> with inference_mode():
        ...     (x * 2).requires_grad
        False
        >>> @inference_mode
        ... def predict(t):
        ...     return t * 2
        >>> predict(x).requires_grad, inference_mode(False)(predict.__wrapped__)(x).requires_grad
        (False, True)
    """

    def __new__(cls, mode: bool | Callable[..., Any] = True) -> Any:
        if callable(mode):  # the bare decorator: @torch.inference_mode
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool | Callable[..., Any] = True) -> None:
        super().__init__()
        if not isinstance(mode, bool):
            raise TypeError(f"inference_mode(): mode must be a bool, got {type(mode).__name__}")
        self.inference, self.mode = mode, not mode

    def clone(self) -> inference_mode:
        return type(self)(self.inference)
