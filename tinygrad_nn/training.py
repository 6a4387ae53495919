"""The training loop every example writes, once: zero the gradients, compute the loss,
backpropagate, step — with a progress bar showing the epoch, the loss and a metric.

Full batch (the seed's way): ``fit(model, loss_fn, optimizer, X, y, steps=1500)``.
Minibatches: ``fit(model, loss_fn, optimizer, DataLoader(...), epochs=10)``, each batch
an ``(inputs, targets)`` pair; with ``validation=(X_val, y_val)`` and a ``metric``, the
metric is computed on the validation set after every epoch.

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

from collections.abc import Callable
from typing import Any

from tinygrad_nn.compile import compile
from tinygrad_nn.data import DataLoader
from tinygrad_nn.grad_mode import no_grad
from tinygrad_nn.nn.module import Module
from tinygrad_nn.optim import Optimizer
from tinygrad_nn.progress import ProgressBar
from tinygrad_nn.tensor import Tensor

Metric = Callable[[Tensor, Any], Any]  # metric(model outputs, targets) -> a number


class History(list[float]):
    """The loss at each step (it is a list of them), and ``validation``: the metric on the
    validation set after each epoch."""

    validation: list[float]


def fit(
    model: Module,
    loss_fn: Any,
    optimizer: Optimizer,
    inputs: Any,
    targets: Any = None,
    steps: int | None = None,
    description: str = "training",
    epochs: int | None = None,
    validation: tuple[Any, Any] | None = None,
    metric: Metric | None = None,
    compiled: bool = False,
) -> History:
    """Train ``model``; returns the loss at each step (a :class:`History`).

    ``inputs`` and ``targets`` with ``steps``: full-batch training, as in the seed.
    ``inputs`` a :class:`~tinygrad_nn.data.DataLoader` with ``epochs``: minibatches.
    ``loss_fn(model(inputs), targets)`` must give a scalar loss. With ``validation`` and
    ``metric``, ``metric(model(X_val), y_val)`` is computed after each epoch in eval mode
    without recording a graph. With ``compiled``, each training step runs through
    :func:`tinygrad_nn.compile` (forward, backward and the optimizer's update as one
    generated function; integer targets are its arguments, so new batches do not trace
    again): the same results, with less Python per step.
    """
    epoch_batches = _epochs(inputs, targets, steps, epochs)

    def train_step(x: Tensor, y: Any) -> Tensor:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    step = compile(train_step, dynamic=["y"]) if compiled else train_step
    if (validation is None) != (metric is None):
        raise ValueError("fit: give validation=(inputs, targets) and metric= together")
    history = History()
    history.validation = []
    total = sum(len(batches) for batches in epoch_batches)
    with ProgressBar(total, description) as bar:
        for epoch, batches in enumerate(epoch_batches, start=1):
            for x, y in batches:
                history.append(step(x, y).item())
                bar.update(history[-1], epoch=epoch, metric=_last(history.validation))
            if validation is not None and metric is not None:
                history.validation.append(evaluate(model, metric, *validation))
    return history


def _epochs(inputs: Any, targets: Any, steps: int | None, epochs: int | None) -> list[Any]:
    """The batches of each epoch: a loader's, or the full batch ``steps`` times."""
    if isinstance(inputs, DataLoader):
        if targets is not None or steps is not None or epochs is None:
            raise ValueError("fit: with a DataLoader, give epochs= (and no targets or steps)")
        return [inputs] * epochs
    if targets is None or steps is None or epochs is not None:
        raise ValueError(
            "fit: give inputs, targets and steps= for full-batch training, or a DataLoader "
            "and epochs= for minibatches"
        )
    batch = (inputs if isinstance(inputs, Tensor) else Tensor(inputs), targets)
    return [[batch] * steps]  # one epoch: the full batch, steps times


def _last(values: list[float]) -> float | None:
    return values[-1] if values else None


def evaluate(model: Module, metric: Metric, inputs: Any, targets: Any) -> float:
    """``metric(model(inputs), targets)`` in eval mode, without recording a graph.

    Examples:
        >>> import numpy as np
        >>> from tinygrad_nn import nn
        >>> evaluate(nn.Identity(), accuracy, np.array([[0.1, 0.9]]), np.array([1]))
        1.0
    """
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            x = inputs if isinstance(inputs, Tensor) else Tensor(inputs)
            return float(metric(model(x), targets))
    finally:
        model.train(was_training)


def accuracy(outputs: Tensor, targets: Any) -> float:
    """The fraction of rows whose largest output is at the target class.

    Examples:
        >>> import tinygrad_nn as tg
        >>> accuracy(tg.tensor([[0.2, 0.8], [0.9, 0.1]]), [1, 1])
        0.5
    """
    labels = targets.numpy() if isinstance(targets, Tensor) else targets
    return float((outputs.argmax(-1).numpy() == labels).mean())
