"""The schedules that keep state beyond the epoch count, as ``torch.optim.lr_scheduler``'s:
``MultiplicativeLR`` (each step scales the current rate: no closed form),
``CosineAnnealingWarmRestarts`` (restarts that grow by ``T_mult``), ``OneCycleLR`` (up to
``max_lr`` and down again, cycling the momentum the other way) and ``ReduceLROnPlateau``
(``step(metric)``: the rate falls when the metric stops improving).

:mod:`tinygrad_nn.optim.lr_scheduler` gives them with the others.

Examples:
    >>> from tinygrad_nn import nn, optim
    >>> opt = optim.SGD([nn.Parameter([1.0])], lr=1.0)
    >>> plateau = ReduceLROnPlateau(opt, patience=1, factor=0.5)
    >>> for loss in [3.0, 2.0, 2.0, 2.0]:
    ...     plateau.step(loss)
    >>> plateau.get_last_lr()
    [0.5]
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from typing import Any

from tinygrad_nn.optim.optimizer import Optimizer
from tinygrad_nn.optim.schedules import LRScheduler

__all__ = ["CosineAnnealingWarmRestarts", "MultiplicativeLR", "OneCycleLR", "ReduceLROnPlateau"]


class MultiplicativeLR(LRScheduler):
    """Each step multiplies the current lr by ``lr_lambda(epoch)`` (one function, or one
    per group); no closed form, as PyTorch's.

    Examples:
        >>> from tinygrad_nn import nn, optim
        >>> opt = optim.SGD([nn.Parameter([1.0])], lr=1.0)
        >>> schedule = MultiplicativeLR(opt, lambda epoch: 0.5)
        >>> [schedule.step() or schedule.get_last_lr()[0] for _ in range(3)]
        [0.5, 0.25, 0.125]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        count = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != count:
                raise ValueError(f"Expected {count} lr_lambdas, but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * count
        for function in self.lr_lambdas:
            if not callable(function):
                raise TypeError(
                    f"lr_lambda should be a function, but got {type(function).__name__}"
                )
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current()
        return [lr * f(self.last_epoch) for f, lr in zip(self.lr_lambdas, self._current())]

    _closed_form_lr = get_lr

    def state_dict(self) -> dict[str, Any]:
        """As PyTorch's: a plain function or lambda is saved as None, a callable object as
        its ``__dict__``."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [
            None
            if isinstance(f, types.FunctionType) or not hasattr(f, "__dict__")
            else vars(f).copy()
            for f in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Take the counters back, and the callable objects' attributes."""
        saved = state_dict["lr_lambdas"]
        self.__dict__.update({k: v for k, v in state_dict.items() if k != "lr_lambdas"})
        for function, attributes in zip(self.lr_lambdas, saved):
            if attributes is not None:
                function.__dict__.update(attributes)


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing from lr to ``eta_min`` over ``T_0`` epochs, then again from lr over
    ``T_0 * T_mult``, and so on (SGDR). ``step(epoch)`` takes a fractional epoch too
    (``scheduler.step(epoch + i / iters)`` inside an epoch), as PyTorch's.

    Examples:
        >>> from tinygrad_nn import nn, optim
        >>> opt = optim.SGD([nn.Parameter([1.0])], lr=1.0)
        >>> schedule = CosineAnnealingWarmRestarts(opt, T_0=2)
        >>> [schedule.step() or schedule.get_last_lr()[0] for _ in range(3)]
        [0.5, 1.0, 0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        if T_0 <= 0 or not isinstance(T_0, int):
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if T_mult < 1 or not isinstance(T_mult, int):
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur: float = last_epoch
        super().__init__(optimizer, last_epoch)

    def step(self, epoch: float | None = None) -> None:
        """One epoch on (a restart when the period is over), or to ``epoch``."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur, self.T_i = self.T_cur - self.T_i, self.T_i * self.T_mult
        elif epoch < 0:
            raise ValueError(f"Expected non-negative epoch, but got {epoch}")
        elif epoch >= self.T_0 and self.T_mult == 1:
            self.T_cur = epoch % self.T_0
        elif epoch >= self.T_0:
            n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
            self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
            self.T_i = self.T_0 * self.T_mult**n
        else:
            self.T_i, self.T_cur = self.T_0, epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr

    def get_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]

    _closed_form_lr = get_lr  # SequentialLR's restart at a milestone keeps T_cur, as PyTorch


class OneCycleLR(LRScheduler):
    """The 1cycle policy, stepped once per batch: lr rises from ``max_lr / div_factor`` to
    ``max_lr`` over ``pct_start`` of ``total_steps`` (or ``epochs * steps_per_epoch``),
    then falls to ``max_lr / div_factor / final_div_factor`` (cosine or linear); with
    ``cycle_momentum`` the momentum (Adam's beta1) goes from ``max_momentum`` to
    ``base_momentum`` and back. Stepping past ``total_steps`` is PyTorch's ``ValueError``.

    Examples:
        >>> from tinygrad_nn import nn, optim
        >>> opt = optim.SGD([nn.Parameter([1.0])], lr=0.1, momentum=0.9)
        >>> schedule = OneCycleLR(opt, max_lr=1.0, total_steps=10)
        >>> round(schedule.get_last_lr()[0], 6), opt.param_groups[0]["momentum"]
        (0.04, 0.95)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        if total_steps is None:
            if not (epochs and steps_per_epoch):
                raise ValueError(
                    "You must define either total_steps OR (epochs AND steps_per_epoch)"
                )
            total_steps = epochs * steps_per_epoch
        self.total_steps = int(total_steps)
        if self.total_steps <= 0:
            raise ValueError(f"Expected positive integer total_steps, but got {self.total_steps}")
        if not 0 <= pct_start <= 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        up = float(pct_start * self.total_steps) - 1
        last = self.total_steps - 1
        self.phases: list[tuple[float, str, str, str, str]] = (
            [
                (up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (2 * up, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                (last, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
            if three_phase
            else [
                (up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (last, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        )
        self.anneal_strategy, self.cycle_momentum = anneal_strategy, cycle_momentum
        self.use_beta1 = "betas" in optimizer.defaults
        if cycle_momentum and not self.use_beta1 and "momentum" not in optimizer.defaults:
            raise ValueError(
                "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
            )
        groups = optimizer.param_groups
        settings = {"max_lr": max_lr, "max_momentum": max_momentum, "base_momentum": base_momentum}
        for group, i in zip(groups, range(len(groups))):
            for key, value in settings.items():
                group[key] = value[i] if isinstance(value, (list, tuple)) else value
            if last_epoch == -1:
                group["initial_lr"] = group["max_lr"] / div_factor
                group["min_lr"] = group["initial_lr"] / final_div_factor
                if cycle_momentum:
                    self._set_momentum(group, group["max_momentum"])
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group: dict[str, Any], value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "linear":
            return (end - start) * pct + start
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    def get_lr(self) -> list[float]:
        """Each group's lr for the batch ``last_epoch`` (and, as PyTorch's, its momentum set)."""
        if self.last_epoch > self.total_steps:
            raise ValueError(
                f"Tried to step {self.last_epoch} times. The specified number of total steps "
                f"is {self.total_steps}"
            )
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr0, lr1, m0, m1) in enumerate(self.phases):
                if self.last_epoch <= end or i == len(self.phases) - 1:
                    pct = (self.last_epoch - start) / (end - start)
                    lrs.append(self._anneal(group[lr0], group[lr1], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[m0], group[m1], pct))
                    break
                start = end
        return lrs

    _closed_form_lr = get_lr


class ReduceLROnPlateau(LRScheduler):
    """Multiply every lr by ``factor`` once the metric given to ``step(metric)`` has not
    improved (by ``threshold``, relative or absolute) for ``patience`` epochs; then wait
    ``cooldown`` epochs; never below ``min_lr``. ``mode="max"`` for a metric to raise.

    Examples:
        >>> from tinygrad_nn import nn, optim
        >>> opt = optim.SGD([nn.Parameter([1.0])], lr=1.0)
        >>> ReduceLROnPlateau(opt, mode="max").mode_worse
        -inf
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0.0,
        eps: float = 1e-8,
    ) -> None:
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode} is unknown!")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold mode {threshold_mode} is unknown!")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"ReduceLROnPlateau: expected an Optimizer, got {optimizer!r}")
        self.optimizer, self.factor, self.patience = optimizer, factor, patience
        count = len(optimizer.param_groups)
        self.min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * count
        if len(self.min_lrs) != count:
            raise ValueError(f"expected {count} min_lrs, got {len(self.min_lrs)}")
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.cooldown, self.cooldown_counter, self.eps = cooldown, 0, eps
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.best, self.num_bad_epochs, self.last_epoch = self.mode_worse, 0, 0
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]

    def is_better(self, a: float, best: float) -> bool:
        """Whether ``a`` improves on ``best`` by the threshold."""
        rel, t = self.threshold_mode == "rel", self.threshold
        if self.mode == "min":
            return a < (best * (1 - t) if rel else best - t)
        return a > (best * (t + 1) if rel else best + t)

    def step(self, metrics: Any) -> None:  # type: ignore[override]
        """One epoch on, with its metric (a number or a one-element tensor)."""
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, floor in zip(self.optimizer.param_groups, self.min_lrs):
                old = float(group["lr"])
                new = max(old * self.factor, floor)
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
