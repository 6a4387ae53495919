"""Learning-rate schedules that are a formula of the epoch count: ``LRScheduler`` and
``StepLR``, ``MultiStepLR``, ``ExponentialLR``, ``CosineAnnealingLR``, ``LambdaLR``,
``ConstantLR``, ``LinearLR`` (warm-up), ``PolynomialLR``.
:mod:`tinygrad_nn.optim.lr_scheduler` gives them with the stateful ones, under PyTorch's
module name.

As PyTorch's, each ``step()`` moves the rate the optimizer has *now* (``get_lr``, the
chainable form: a factor on the current rate), so that schedules stacked on one optimizer
(:class:`~tinygrad_nn.optim.schedules_combined.ChainedScheduler`) multiply; ``lr_at`` is
the closed form from ``initial_lr``, which ``step(epoch)`` (deprecated in PyTorch) uses.

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
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from tinygrad_nn.optim.optimizer import Optimizer

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated "
    "where possible. Please use `scheduler.step()` to step the scheduler. During the "
    "deprecation, if epoch is different from None, the closed form is used instead of the "
    "new chainable form, where available."
)


class LRScheduler:
    """Sets each group's ``lr`` once per ``step()``; ``last_epoch`` counts the steps.

    A subclass gives ``lr_at(base_lr, epoch)`` (the closed form from ``initial_lr``), and
    ``get_lr()`` where PyTorch's steps from the current rates instead.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {optimizer!r}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """The step the constructor takes (to epoch 0, or on from a resumed ``last_epoch``)."""
        self._step_count, self._is_initial = 0, True
        try:
            self.step()
        finally:
            self._is_initial = False

    def lr_at(self, base_lr: float, epoch: int) -> float:
        """The rate at ``epoch`` for a group that started at ``base_lr``."""
        raise NotImplementedError(f"{type(self).__name__} has no closed form")

    def get_lr(self) -> list[float]:
        """The rates for ``last_epoch`` (just advanced), one per group: the closed form
        unless a subclass steps from the current rates, as PyTorch's."""
        return self._closed_form_lr()

    def _closed_form_lr(self) -> list[float]:
        return [self.lr_at(base, self.last_epoch) for base in self.base_lrs]

    def _current(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch and set every group's learning rate (``epoch``, deprecated
        as in PyTorch, jumps to that epoch with the closed form)."""
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._closed_form_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr

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

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


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

    def get_lr(self) -> list[float]:
        return [lr if self._is_initial else lr * self.gamma for lr in self._current()]


class CosineAnnealingLR(LRScheduler):
    """eta_min + (lr - eta_min) (1 + cos(pi epoch / T_max)) / 2, stepped as PyTorch's
    recursive form (past ``T_max`` it rises again: a cosine without restarts).

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

    def get_lr(self) -> list[float]:
        epoch, t_max, low = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current()
        if self._step_count == 1 and epoch > 0:  # resumed: the closed form once
            return self._closed_form_lr()
        pairs = zip(self.base_lrs, self._current())
        if (epoch - 1 - t_max) % (2 * t_max) == 0:  # at the bottom: the ratio would be 0/0
            return [lr + (base - low) * (1 - math.cos(math.pi / t_max)) / 2 for base, lr in pairs]
        ratio = (1 + math.cos(math.pi * epoch / t_max)) / (
            1 + math.cos(math.pi * (epoch - 1) / t_max)
        )
        return [ratio * (lr - low) + low for _, lr in pairs]


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

    def get_lr(self) -> list[float]:
        hits = self.milestones.count(self.last_epoch)  # a milestone given twice: gamma ** 2
        return [lr * self.gamma**hits if hits else lr for lr in self._current()]


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
        return base_lr * (self.factor + (epoch >= self.total_iters) * (1 - self.factor))

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current()]
        if self.last_epoch != self.total_iters:
            return self._current()
        return [lr * (1.0 / self.factor) for lr in self._current()]


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
        rise = (self.end_factor - self.start_factor) * min(self.total_iters, epoch)
        return base_lr * (self.start_factor + rise / self.total_iters)

    def get_lr(self) -> list[float]:
        epoch, start, rise = self.last_epoch, self.start_factor, self.end_factor - self.start_factor
        if epoch == 0:
            return [lr * start for lr in self._current()]
        if self._is_initial or epoch > self.total_iters:
            return self._current()
        factor = 1.0 + rise / (self.total_iters * start + (epoch - 1) * rise)
        return [lr * factor for lr in self._current()]


class PolynomialLR(LRScheduler):
    """lr * (1 - min(epoch, total_iters) / total_iters) ** power: a decay to 0 over
    ``total_iters`` epochs (``power=1``: linear).

    Examples:
        >>> from tinygrad_nn import nn, optim
        >>> opt = optim.SGD([nn.Parameter([1.0])], lr=1.0)
        >>> schedule = PolynomialLR(opt, total_iters=4, power=2.0)
        >>> [schedule.step() or schedule.get_last_lr()[0] for _ in range(5)]
        [0.5625, 0.25, 0.0625, 0.0, 0.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        total_iters: int = 5,
        power: float = 1.0,
        last_epoch: int = -1,
    ) -> None:
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * (1.0 - min(self.total_iters, epoch) / self.total_iters) ** self.power

    def get_lr(self) -> list[float]:
        epoch, total = self.last_epoch, self.total_iters
        if self._is_initial or epoch > total:
            return self._current()
        factor = ((1.0 - epoch / total) / (1.0 - (epoch - 1) / total)) ** self.power
        return [lr * factor for lr in self._current()]
