"""Learning-rate schedules, as ``torch.optim.lr_scheduler``: ``StepLR``, ``ExponentialLR``,
``CosineAnnealingLR``, ``LambdaLR``. Call ``scheduler.step()`` after ``optimizer.step()``.

Examples:
    >>> from tinygrad_nn import nn, optim
    >>> opt = optim.SGD([nn.Parameter([1.0])], lr=1.0)
    >>> schedule = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    >>> for _ in range(4):
    ...     opt.step(); schedule.step()
    >>> schedule.get_last_lr()
    [0.010000000000000002]
"""

from __future__ import annotations

import math
from collections.abc import Callable

from tinygrad_nn.optim.optimizer import Optimizer


class LRScheduler:
    """Sets each group's ``lr`` to ``initial_lr * factor(epoch)``; ``step()`` counts epochs."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {optimizer!r}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def lr_at(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set every group's learning rate."""
        self.last_epoch += 1
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.lr_at(base, self.last_epoch)

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per group."""
        return [group["lr"] for group in self.optimizer.param_groups]


class StepLR(LRScheduler):
    """lr * gamma ** (epoch // step_size).

    Examples:
        >>> from tinygrad_nn import nn, optim
        >>> StepLR(optim.SGD([nn.Parameter([1.0])], lr=1.0), 3).get_last_lr()
        [1.0]
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """lr * gamma ** epoch.

    Examples:
        >>> from tinygrad_nn import nn, optim
        >>> ExponentialLR(optim.SGD([nn.Parameter([1.0])], lr=1.0), 0.5).get_last_lr()
        [1.0]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """eta_min + (lr - eta_min) (1 + cos(pi epoch / T_max)) / 2.

    Examples:
        >>> from tinygrad_nn import nn, optim
        >>> opt = optim.SGD([nn.Parameter([1.0])], lr=1.0)
        >>> schedule = CosineAnnealingLR(opt, T_max=2)
        >>> schedule.step(); schedule.get_last_lr()
        [0.5]
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (base_lr - self.eta_min) * cosine


class LambdaLR(LRScheduler):
    """lr * lr_lambda(epoch).

    Examples:
        >>> from tinygrad_nn import nn, optim
        >>> opt = optim.SGD([nn.Parameter([1.0])], lr=2.0)
        >>> LambdaLR(opt, lambda epoch: 1 / (epoch + 1)).get_last_lr()
        [2.0]
    """

    def __init__(
        self, optimizer: Optimizer, lr_lambda: Callable[[int], float], last_epoch: int = -1
    ) -> None:
        self.lr_lambda = lr_lambda
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.lr_lambda(epoch)
