"""Learning-rate schedules that are a formula of the epoch count: ``LRScheduler`` and
``StepLR``, ``MultiStepLR``, ``ExponentialLR``, ``CosineAnnealingLR``, ``LambdaLR``,
``ConstantLR``, ``LinearLR`` (warm-up). :mod:`tinygrad_nn.optim.lr_scheduler` gives them
with the stateful ones, under PyTorch's module name.

Examples:
    >>> from tinygrad_nn import nn, optim
    >>> opt = optim.SGD([nn.Parameter([1.0])], lr=1.0)
    >>> warm_up = LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> lrs = [warm_up.get_last_lr()[0]]
    >>> for _ in range(3):
    ...     opt.step(); warm_up.step(); lrs.append(warm_up.get_last_lr()[0])
    >>> lrs
    [0.5, 0.75, 1.0, 1.0]
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable
from typing import Any

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

    def state_dict(self) -> dict[str, Any]:
        """The schedule's counters and settings (not the optimizer, nor a lambda), as
        PyTorch's: ``torch.save`` it with the optimizer's to resume a run."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer" and not callable(v)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Take the counters and settings of :meth:`state_dict` back."""
        self.__dict__.update(state_dict)


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


class MultiStepLR(LRScheduler):
    """lr * gamma ** (how many of ``milestones`` the epoch has reached).

    Examples:
        >>> from tinygrad_nn import nn, optim
        >>> opt = optim.SGD([nn.Parameter([1.0])], lr=1.0)
        >>> schedule = MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
        >>> [schedule.step() or schedule.get_last_lr()[0] for _ in range(4)]
        [0.5, 0.5, 0.25, 0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** bisect.bisect_right(self.milestones, epoch)


class ConstantLR(LRScheduler):
    """lr * factor for the first ``total_iters`` epochs, then lr.

    Examples:
        >>> from tinygrad_nn import nn, optim
        >>> ConstantLR(optim.SGD([nn.Parameter([1.0])], lr=1.0), factor=0.5).get_last_lr()
        [0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if not 0 <= factor <= 1:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * (self.factor if epoch < self.total_iters else 1.0)


class LinearLR(LRScheduler):
    """lr times a factor going linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` epochs (a warm-up), then ``end_factor``.

    Examples:
        >>> from tinygrad_nn import nn, optim
        >>> opt = optim.SGD([nn.Parameter([1.0])], lr=1.0)
        >>> schedule = LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> [schedule.get_last_lr()[0]] + [schedule.step() or schedule.get_last_lr()[0]]
        [0.5, 0.75]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(
                "Starting multiplicative factor expected to be greater than 0 and less or "
                "equal to 1."
            )
        if not 0 <= end_factor <= 1:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        done = min(epoch, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * done)
