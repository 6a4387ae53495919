"""The training loop every example writes, once: zero the gradients, compute the loss,
backpropagate, step — with a progress bar showing the loss.

Examples:
    >>> import numpy as np
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn import nn, optim
    >>> _ = tg.manual_seed(0)
    >>> model = nn.Linear(1, 1)
    >>> x, y = np.array([[1.0], [2.0]]), np.array([[2.0], [4.0]])
    >>> losses = fit(model, nn.MSE(), optim.SGD(model.parameters(), lr=0.1), x, y, steps=200)
    >>> losses[-1] < 1e-3
    True
"""

from __future__ import annotations

from typing import Any

from tinygrad_nn.nn.module import Module
from tinygrad_nn.optim import Optimizer
from tinygrad_nn.progress import ProgressBar
from tinygrad_nn.tensor import Tensor


def fit(
    model: Module,
    loss_fn: Any,
    optimizer: Optimizer,
    inputs: Any,
    targets: Any,
    steps: int,
    description: str = "training",
) -> list[float]:
    """Train ``model`` on full batches for ``steps`` steps; returns the loss at each step.

    ``loss_fn(model(inputs), targets)`` must give a scalar loss; ``inputs`` may be a
    Tensor or anything ``Tensor()`` accepts.
    """
    inputs = inputs if isinstance(inputs, Tensor) else Tensor(inputs)
    losses: list[float] = []
    with ProgressBar(steps, description) as bar:
        for _ in range(steps):
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            bar.update(losses[-1])
    return losses
