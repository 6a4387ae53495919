"""``nn.utils``: clipping gradients before an optimizer step, as PyTorch.

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn import nn
    >>> w = nn.Parameter([3.0, 4.0])
    >>> w.grad = tg.tensor([3.0, 4.0])
    >>> round(nn.utils.clip_grad_norm_([w], 1.0).item(), 6), w.grad.numpy().round(6).tolist()
    (5.0, [0.6, 0.8])
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from tinygrad_nn.errors import TracingError
from tinygrad_nn.recording import state as recording
from tinygrad_nn.tensor import Tensor


def _with_grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if recording.events is not None:
        raise TracingError(
            "compile: clipping gradients inside a compiled training step is not supported "
            "(the compiled code computes the gradients after the trace); clip in eager mode"
        )
    found = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in found if p.grad is not None]


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale all gradients together so that their total norm is at most ``max_norm``;
    returns the total norm before clipping, as ``torch.nn.utils.clip_grad_norm_``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> w = tg.tensor([1.0], requires_grad=True); w.grad = tg.tensor([0.5])
        >>> clip_grad_norm_(w, 1.0).item(), w.grad.tolist()   # already small: unchanged
        (0.5, [0.5])
    """
    params = _with_grads(parameters)
    if not params:
        return Tensor(0.0)
    grads: list[Tensor] = [p.grad.detach() for p in params]  # type: ignore[union-attr]
    if norm_type == float("inf"):
        total = max(g.abs().max().item() if g.numel() else 0.0 for g in grads)
    else:
        total = sum((g.abs() ** norm_type).sum().item() for g in grads) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of the gradients is {total}, not finite"
        )
    coefficient = min(max_norm / (total + 1e-6), 1.0)
    if coefficient < 1.0:
        for p, g in zip(params, grads):
            p.grad = g * coefficient
    return Tensor(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Limit every gradient element to [-clip_value, clip_value].

    Examples:
        >>> import tinygrad_nn as tg
        >>> w = tg.tensor([1.0], requires_grad=True); w.grad = tg.tensor([5.0])
        >>> clip_grad_value_(w, 2.0); w.grad.tolist()
        [2.0]
    """
    for p in _with_grads(parameters):
        p.grad = p.grad.detach().clip(-clip_value, clip_value)  # type: ignore[union-attr]
