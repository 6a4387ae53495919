"""Gradient flow: how large each parameter's gradient is, and how much a step would change it.

After a backward pass, a deep network's gradients can shrink layer by layer towards the
input (vanishing gradients: ten sigmoid layers multiply ten derivatives of at most 1/4)
or grow (exploding). Two numbers per parameter show it:

- the gradient's mean absolute value, ``mean |g|``;
- the update-to-weight ratio, ``mean |update| / mean |w|``: how much of the weight the
  optimizer's next step would change (about 1e-3 is the usual healthy order). The update
  is the optimizer's own rule run on copies, so nothing changes; without an optimizer it
  is a plain SGD step, ``lr * g``.

:func:`gradient_stats` computes them; :func:`gradient_flow` plots them on a log axis,
parameters in the order the model holds them (input side first).

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn import nn
    >>> _ = tg.manual_seed(0)
    >>> model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1))
    >>> model(tg.Tensor([[1.0, 2.0]])).sum().backward()
    >>> [s.name for s in gradient_stats(model)]
    ['0.weight', '0.bias', '2.weight', '2.bias']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_nn.namespace import numpy_xp
from tinygrad_nn.namespace.array_api import to_numpy


@dataclass
class GradientStat:
    """One parameter's gradient size and the relative size of its next update."""

    name: str
    shape: tuple[int, ...]
    mean_abs_grad: float
    update_ratio: float  # mean |update| / mean |weight| (nan for an all-zero weight)


def gradient_stats(model: Any, optimizer: Any = None, lr: float = 1e-3) -> list[GradientStat]:
    """Per parameter with a gradient: ``mean |g|`` and the update-to-weight ratio.

    Args:
        model: an ``nn.Module`` after ``backward()``.
        optimizer: whose next step is measured (its rule, run on copies of its state);
            None: a plain SGD step with learning rate ``lr``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> from tinygrad_nn import nn, optim
        >>> w = nn.Parameter([2.0, -2.0])
        >>> (w * w).sum().backward()             # g = 2w = [4, -4]
        >>> [s.update_ratio for s in gradient_stats([("w", w)], lr=0.1)]
        [0.2]
    """
    named = model.named_parameters() if hasattr(model, "named_parameters") else model
    groups = (
        {} if optimizer is None else {id(p): g for g in optimizer.param_groups for p in g["params"]}
    )
    stats = []
    for name, p in named:
        if p.grad is None:
            continue
        weight, grad = to_numpy(p.array), to_numpy(p.grad.array)
        group = groups.get(id(p))
        if group is None:
            update = lr * grad
        else:
            state = {
                k: np.array(to_numpy(v)) if hasattr(v, "shape") else v
                for k, v in optimizer.state[p].items()
            }
            update = weight - optimizer.update(numpy_xp, weight, grad, state, group)
        size = float(np.mean(np.abs(weight))) if weight.size else 0.0
        change = float(np.mean(np.abs(update))) if update.size else 0.0
        ratio = change / size if size else float("nan")
        mean_grad = float(np.mean(np.abs(grad))) if grad.size else 0.0
        stats.append(GradientStat(name, tuple(weight.shape), mean_grad, ratio))
    return stats


def gradient_flow(
    model: Any, optimizer: Any = None, lr: float = 1e-3, ax: Any = None, title: str | None = None
) -> Any:
    """Plot :func:`gradient_stats` (matplotlib): per parameter, ``mean |g|`` and the
    update-to-weight ratio on a log axis. Returns the matplotlib ``Axes``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> from tinygrad_nn import nn
        >>> model = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
        >>> model(tg.Tensor([[1.0, 2.0]])).sum().backward()
        >>> ax = gradient_flow(model)  # doctest: +SKIP
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "gradient_flow needs matplotlib: pip install 'tinygrad-nn[plot]'"
        ) from error
    stats = gradient_stats(model, optimizer, lr)
    if not stats:
        raise ValueError("gradient_flow: no parameter has a gradient; call backward() first")
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 0.45 * len(stats)), 4), dpi=150)
    positions = np.arange(len(stats))
    ax.plot(positions, [s.mean_abs_grad for s in stats], "o-", label="mean |gradient|")
    ax.plot(positions, [s.update_ratio for s in stats], "s--", label="update / weight")
    ax.set_yscale("log")
    ax.set_xticks(positions, [s.name for s in stats], rotation=60, ha="right", fontsize=8)
    ax.set_xlabel("parameter (input side first)")
    ax.set_ylabel("size (log scale)")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    ax.figure.tight_layout()
    return ax
