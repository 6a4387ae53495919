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
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from tinygrad_nn.errors import TracingError
from tinygrad_nn.namespace.array_api import to_numpy
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


def transpose_linear_weights(state: Mapping[str, Any], model: Any) -> dict[str, Any]:
    """A copy of ``state`` with every ``nn.Linear`` weight of ``model`` transposed: converts
    a state dict saved by tinygrad_nn before checkpoint format 3, which stored Linear's
    weight as (in_features, out_features), to today's (out_features, in_features).

    A weight that already has the model's (non-square) shape is refused: converting twice
    would load it transposed.

    Examples:
        >>> import numpy as np
        >>> from tinygrad_nn import nn
        >>> model = nn.Linear(3, 2)
        >>> old = {"weight": np.zeros((3, 2)), "bias": np.zeros(2)}   # the old layout
        >>> model.load_state_dict(transpose_linear_weights(old, model))
        <All keys matched successfully>
    """
    converted = dict(state)
    for module_name, module in model.named_modules():
        for name in getattr(module, "transposed_before_format_3", ()):
            key = f"{module_name}.{name}" if module_name else name
            if key not in converted:
                continue
            array = np.asarray(to_numpy(converted[key]))
            expected = tuple(getattr(module, name).shape)
            if array.shape != expected[::-1]:
                raise ValueError(
                    f"transpose_linear_weights: {key!r} has shape {array.shape}, not the old "
                    f"layout {expected[::-1]} of the model's {expected}"
                    + (" (it is already converted)" if array.shape == expected else "")
                )
            converted[key] = np.ascontiguousarray(array.T)
    return converted


def layout_note(model: Any, key: str, shape: tuple[int, ...]) -> str:
    """Why ``load_state_dict`` may get a parameter transposed: the layer stored it the other
    way round in tinygrad_nn's checkpoints before format 3 ("" when that is not the case).

    Examples:
        >>> from tinygrad_nn import nn
        >>> layout_note(nn.Linear(3, 2), "weight", (3, 2))[:32]
        ': it is the transpose. nn.Linear'
    """
    module_name, _, name = key.rpartition(".")
    owner = dict(model.named_modules()).get(module_name)
    if owner is None or name not in getattr(owner, "transposed_before_format_3", ()):
        return ""
    if len(shape) != 2 or shape[::-1] != owner._parameters[name].shape:
        return ""
    layer = type(owner).__name__
    return (
        f": it is the transpose. nn.{layer}'s {name} is (out_features, in_features), as "
        f"PyTorch's; tinygrad_nn before checkpoint format 3 stored it (in_features, "
        f"out_features). It is not loaded transposed: if the state dict has the old "
        f"layout, convert it with nn.utils.transpose_linear_weights(state, model)"
    )
