"""Learning-rate schedules, as ``torch.optim.lr_scheduler``: ``StepLR``, ``MultiStepLR``,
``ExponentialLR``, ``CosineAnnealingLR``, ``LambdaLR``, ``ConstantLR``, ``LinearLR``
(warm-up), ``PolynomialLR`` from :mod:`~tinygrad_nn.optim.schedules`;
``MultiplicativeLR``, ``CosineAnnealingWarmRestarts``, ``OneCycleLR`` (which cycles the
momentum too) and ``ReduceLROnPlateau`` (``step(metric)``) from
:mod:`~tinygrad_nn.optim.schedules_stateful`; ``SequentialLR``, ``ChainedScheduler`` and
``CyclicLR`` from :mod:`~tinygrad_nn.optim.schedules_combined`. Call
``scheduler.step()`` after ``optimizer.step()``; ``state_dict()``/``load_state_dict()``
checkpoint a schedule.

Examples:
    >>> from tinygrad_nn import nn, optim
    >>> opt = optim.SGD([nn.Parameter([1.0])], lr=1.0)
    >>> schedule = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    >>> for _ in range(4):
    ...     opt.step(); schedule.step()
    >>> schedule.get_last_lr()
    [0.010000000000000002]
"""

from tinygrad_nn.optim.schedules import (
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from tinygrad_nn.optim.schedules_combined import ChainedScheduler, CyclicLR, SequentialLR
from tinygrad_nn.optim.schedules_stateful import (
    CosineAnnealingWarmRestarts,
    MultiplicativeLR,
    OneCycleLR,
    ReduceLROnPlateau,
)

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]
