"""``torch.amp``: mixed precision, which tinygrad_nn does not do, accepted where a
program only switches it on or off.

A training script such as nanoGPT's ``train.py`` wraps its forward pass in
``torch.autocast(...)`` (or a ``nullcontext()`` on the CPU) and its steps in a
``GradScaler`` (``scaler.scale(loss).backward(); scaler.step(optimizer);
scaler.update()``). tinygrad_nn computes every op in the dtype of its inputs, so here
``autocast`` changes nothing (with a warning when it is asked to cast) and the
``GradScaler`` is the disabled one PyTorch gives on a machine without CUDA: ``scale``
returns the loss itself, ``step`` calls ``optimizer.step()``.

Examples:
    >>> import tinygrad_nn as tg
    >>> scaler = GradScaler(enabled=False)
    >>> x = tg.tensor([2.0], requires_grad=True)
    >>> optimizer = tg.optim.SGD([x], lr=0.5)
    >>> scaler.scale((x * x).sum()).backward(); scaler.step(optimizer); scaler.update()
    >>> x.tolist(), scaler.get_scale()
    ([0.0], 1.0)
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

from tinygrad_nn.devices import device

__all__ = ["GradScaler", "autocast", "cuda_GradScaler", "cuda_autocast"]

NO_CASTS = (
    "autocast: tinygrad_nn computes each op in its inputs' dtype (no float16/bfloat16 "
    "autocasting); this block runs in full precision"
)


class GradScaler:
    """``torch.amp.GradScaler``, disabled: without float16 autocasting there is nothing
    to scale. ``enabled=True`` warns and disables, as PyTorch's does without CUDA.

    Examples:
        >>> GradScaler("cuda", enabled=False).is_enabled()
        False
    """

    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 65536.0,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        self.device = device
        if enabled:
            warnings.warn(
                f"torch.amp.GradScaler is enabled, but tinygrad_nn has no float16 "
                f"autocasting ({device!r}): Disabling.",
                UserWarning,
                stacklevel=2,
            )
        self._enabled = False

    def is_enabled(self) -> bool:
        """False: this scaler never scales."""
        return self._enabled

    def scale(self, outputs: Any) -> Any:
        """The outputs themselves (a disabled scaler's ``scale``)."""
        return outputs

    def unscale_(self, optimizer: Any) -> None:
        """Nothing to undo: the gradients were never scaled."""

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """``optimizer.step(*args, **kwargs)``, and what it returns."""
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale: Any = None) -> None:
        """Nothing to update."""

    def get_scale(self) -> float:
        """1.0, the disabled scaler's scale."""
        return 1.0

    def state_dict(self) -> dict[str, Any]:
        """``{}``, as a disabled PyTorch scaler's."""
        return {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Accept a saved state (a disabled scaler keeps none)."""


class autocast:
    """``torch.autocast`` / ``torch.amp.autocast``: a ``with`` block and a decorator that
    change nothing here; ``enabled=True`` (where PyTorch would cast to bfloat16 or
    float16) warns that the block runs in full precision.

    Examples:
        >>> with autocast(device_type="cpu", enabled=False):
        ...     pass
    """

    def __init__(
        self,
        device_type: str,
        dtype: Any = None,
        enabled: bool = True,
        cache_enabled: bool | None = None,
    ) -> None:
        self.device_type = device(device_type).type  # PyTorch's error for a bad name
        self.dtype, self.enabled = dtype, enabled
        if enabled:  # PyTorch would cast (to bfloat16 on the CPU, float16 on CUDA)
            warnings.warn(NO_CASTS, UserWarning, stacklevel=2)

    def __enter__(self) -> autocast:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return function(*args, **kwargs)

        return wrapper


def cuda_GradScaler(*args: Any, **kwargs: Any) -> GradScaler:
    """``torch.cuda.amp.GradScaler``: PyTorch's deprecated spelling, with its warning."""
    warnings.warn(
        "`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
        "`torch.amp.GradScaler('cuda', args...)` instead.",
        FutureWarning,
        stacklevel=2,
    )
    return GradScaler("cuda", *args, **kwargs)


def cuda_autocast(enabled: bool = True, dtype: Any = None, cache_enabled: bool = True) -> autocast:
    """``torch.cuda.amp.autocast``: PyTorch's deprecated spelling, with its warning."""
    warnings.warn(
        "`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
        "`torch.amp.autocast('cuda', args...)` instead.",
        FutureWarning,
        stacklevel=2,
    )
    return autocast("cuda", dtype, enabled, cache_enabled)
