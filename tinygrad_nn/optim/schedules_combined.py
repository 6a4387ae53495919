"""Schedules made of other schedules, and the cyclical one, as ``torch.optim.lr_scheduler``'s:
``SequentialLR`` (one schedule after another, switching at milestones), ``ChainedScheduler``
(several stepped together: their factors multiply) and ``CyclicLR`` (the rate goes up and
down between two bounds every batch, the momentum the other way).

:mod:`tinygrad_nn.optim.lr_scheduler` gives them with the others.

Examples:
    >>> from tinygrad_nn import nn, optim
    >>> from tinygrad_nn.optim.schedules import ExponentialLR, LinearLR
    >>> opt = optim.SGD([nn.Parameter([1.0])], lr=1.0)
    >>> warm_up = LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> decay = ExponentialLR(opt, gamma=0.5)
    >>> schedule = SequentialLR(opt, [warm_up, decay], milestones=[2])
    >>> lrs = [schedule.get_last_lr()[0]]
    >>> for _ in range(4):
    ...     opt.step(); schedule.step(); lrs.append(schedule.get_last_lr()[0])
    >>> lrs
    [0.5, 0.75, 1.0, 0.5, 0.25]
"""

from __future__ import annotations

import bisect
import math
import types
from collections.abc import Callable, Sequence
from typing import Any

from tinygrad_nn.optim.optimizer import Optimizer
from tinygrad_nn.optim.schedules import LRScheduler
from tinygrad_nn.optim.schedules_stateful import ReduceLROnPlateau

__all__ = ["ChainedScheduler", "CyclicLR", "SequentialLR"]


def _per_group(name: str, optimizer: Optimizer, value: float | Sequence[float]) -> list[float]:
    """One value per parameter group: ``value`` for each, or the list, which must fit."""
    count = len(optimizer.param_groups)
    if not isinstance(value, (list, tuple)):
        return [value] * count  # type: ignore[list-item]
    if len(value) != count:
        raise ValueError(
            f"{name} must have the same length as optimizer.param_groups. "
            f"{name} has {len(value)} values, param_groups has {count}."
        )
    return list(value)


def _check_schedulers(owner: str, optimizer: Optimizer, schedulers: Sequence[Any]) -> None:
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{owner} at index {i} should have `optimizer` as its attribute.")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(
                f"{owner} does not support `ReduceLROnPlateau` scheduler as it requires "
                "additional kwargs to be specified when calling `step`, but got one at index "
                f"{i} in the given schedulers sequence."
            )
        if scheduler.optimizer is not optimizer:
            raise ValueError(
                f"{owner} expects all schedulers to belong to the same optimizer, but got "
                f"scheduler {type(scheduler).__name__} at index {i} has {scheduler.optimizer}, "
                f"which is different from {type(optimizer).__name__}."
            )


class _Combined(LRScheduler):
    """What SequentialLR and ChainedScheduler share: the inner schedules' states are saved
    within this one's (``"_schedulers"``: one state dict each), as PyTorch's."""

    _schedulers: Sequence[LRScheduler]

    def state_dict(self) -> dict[str, Any]:
        """This schedule's counters, with each inner schedule's state dict."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Take back this schedule's counters and each inner schedule's state."""
        self.__dict__.update({k: v for k, v in state_dict.items() if k != "_schedulers"})
        for scheduler, state in zip(self._schedulers, state_dict["_schedulers"]):
            scheduler.load_state_dict(state)


class SequentialLR(_Combined):
    """``schedulers[0]`` until epoch ``milestones[0]``, then ``schedulers[1]`` started
    afresh (at its epoch 0), and so on: a warm-up and then a decay.

    Examples:
        >>> from tinygrad_nn import nn, optim
        >>> from tinygrad_nn.optim.schedules import ConstantLR, StepLR
        >>> opt = optim.SGD([nn.Parameter([1.0])], lr=1.0)
        >>> parts = [ConstantLR(opt, factor=0.1, total_iters=2), StepLR(opt, 1, gamma=0.5)]
        >>> schedule = SequentialLR(opt, parts, milestones=[2])
        >>> [schedule.step() or schedule.get_last_lr()[0] for _ in range(4)]
        [0.1, 1.0, 0.5, 0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: Sequence[LRScheduler],
        milestones: Sequence[int],
        last_epoch: int = -1,
    ) -> None:
        if len(schedulers) < 1:
            raise ValueError("SequentialLR expects at least one scheduler, but got no scheduler.")
        _check_schedulers("SequentialLR", optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                "than the number of milestone points, but got number of schedulers "
                f"{len(schedulers)} and the number of milestones to be equal to "
                f"{len(milestones)}"
            )
        self._schedulers, self._milestones = schedulers, milestones
        self.optimizer, self.last_epoch = optimizer, last_epoch + 1
        for group in optimizer.param_groups:  # back to the start, as if none had stepped
            group["lr"] = group["initial_lr"]
        self._undo(self)
        self._schedulers[bisect.bisect_right(milestones, 0)]._initial_step()

    def _undo(self, scheduler: Any) -> None:
        """Take back the step each inner schedule took when it was made."""
        if hasattr(scheduler, "_schedulers"):
            for inner in scheduler._schedulers:
                self._undo(inner)
        elif hasattr(scheduler, "last_epoch"):
            scheduler.last_epoch -= 1

    def step(self) -> None:  # type: ignore[override]
        """One epoch on: the schedule for this epoch steps, or restarts at its milestone."""
        self.last_epoch += 1
        index = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()


class ChainedScheduler(_Combined):
    """Step every one of ``schedulers`` at each ``step()``, in order: each scales the rate
    the one before left, so their factors multiply.

    Examples:
        >>> from tinygrad_nn import nn, optim
        >>> from tinygrad_nn.optim.schedules import ConstantLR, ExponentialLR
        >>> opt = optim.SGD([nn.Parameter([1.0])], lr=1.0)
        >>> parts = [ConstantLR(opt, factor=0.5, total_iters=2), ExponentialLR(opt, 0.5)]
        >>> schedule = ChainedScheduler(parts)
        >>> [schedule.step() or schedule.get_last_lr()[0] for _ in range(3)]
        [0.25, 0.25, 0.125]
    """

    def __init__(
        self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None
    ) -> None:
        if len(schedulers) < 1:
            raise ValueError(
                "ChainedScheduler expects at least one scheduler to be chained, but got no "
                "scheduler."
            )
        optimizer = schedulers[0].optimizer if optimizer is None else optimizer
        _check_schedulers("ChainedScheduler", optimizer, schedulers)
        self._schedulers, self.optimizer = schedulers, optimizer

    def step(self) -> None:  # type: ignore[override]
        """Step each schedule, in order."""
        for scheduler in self._schedulers:
            scheduler.step()


class CyclicLR(LRScheduler):
    """The cyclical learning rate, stepped once per batch: up from ``base_lr`` to
    ``max_lr`` over ``step_size_up`` batches and down over ``step_size_down``; the height
    is scaled by ``mode`` ("triangular": 1, "triangular2": halved each cycle, "exp_range":
    ``gamma ** batch``) or ``scale_fn`` of the cycle or the batch (``scale_mode``). With
    ``cycle_momentum`` the momentum (Adam's beta1) goes from ``max_momentum`` down to
    ``base_momentum`` and back.

    Examples:
        >>> from tinygrad_nn import nn, optim
        >>> opt = optim.SGD([nn.Parameter([1.0])], lr=0.1, momentum=0.9)
        >>> schedule = CyclicLR(opt, base_lr=0.0, max_lr=1.0, step_size_up=2)
        >>> [schedule.step() or schedule.get_last_lr()[0] for _ in range(5)]
        [0.5, 1.0, 0.5, 0.0, 0.5]
        >>> round(opt.param_groups[0]["momentum"], 12)
        0.85
    """

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.8,
        max_momentum: float | list[float] = 0.9,
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"CyclicLR: expected an Optimizer, got {optimizer!r}")
        base_lrs = _per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        self.mode, self.gamma, self._scale_fn_custom = mode, gamma, scale_fn
        # a mode's own scale decides what it scales by, as PyTorch's
        self.scale_mode = scale_mode if scale_fn is not None else self._mode_scale_mode()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
                )
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums = _per_group("base_momentum", optimizer, base_momentum)
            self.max_momentums = _per_group("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for high, low, group in zip(
                    self.max_momentums, self.base_momentums, optimizer.param_groups
                ):
                    self._set_momentum(group, high)
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _mode_scale_mode(self) -> str:
        return "iterations" if self.mode == "exp_range" else "cycle"

    def scale_fn(self, x: float) -> float:
        """The height's scale at cycle (or batch) ``x``: ``scale_fn``'s, or the mode's."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def _set_momentum(self, group: dict[str, Any], value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def get_lr(self) -> list[float]:
        """Each group's lr for batch ``last_epoch`` (and, as PyTorch's, its momentum set)."""
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle  # how far into the cycle
        if x <= self.step_ratio:
            fraction = x / self.step_ratio
        else:
            fraction = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [
            low + (high - low) * fraction * scale for low, high in zip(self.base_lrs, self.max_lrs)
        ]
        if self.cycle_momentum:
            for group, low, high in zip(
                self.optimizer.param_groups, self.base_momentums, self.max_momentums
            ):
                self._set_momentum(group, high - (high - low) * fraction * scale)
        return lrs

    _closed_form_lr = get_lr

    def state_dict(self) -> dict[str, Any]:
        """As PyTorch's: a ``scale_fn`` that is a plain function or lambda is saved as None,
        a callable object as its ``__dict__``."""
        state = super().state_dict()
        function = self._scale_fn_custom
        keep = not isinstance(function, types.FunctionType) and hasattr(function, "__dict__")
        state["_scale_fn_custom"] = vars(function).copy() if keep else None
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Take the counters back, and a callable ``scale_fn``'s attributes."""
        saved = state_dict.get("_scale_fn_custom")
        self.__dict__.update({k: v for k, v in state_dict.items() if k != "_scale_fn_custom"})
        if saved is not None and self._scale_fn_custom is not None:
            self._scale_fn_custom.__dict__.update(saved)
