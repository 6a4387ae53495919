"""Optimizers with PyTorch's update rules and parameter groups, and learning-rate schedules.

Examples:
    >>> from tinygrad_nn import nn, optim
    >>> opt = optim.AdamW(nn.Linear(2, 1).parameters(), lr=1e-2)
    >>> schedule = optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    >>> schedule.step(); schedule.get_last_lr()
    [0.005]
"""

from tinygrad_nn.optim import lr_scheduler
from tinygrad_nn.optim.lbfgs import LBFGS
from tinygrad_nn.optim.optimizer import Optimizer
from tinygrad_nn.optim.rules import SGD, Adadelta, Adagrad, Adam, AdamW, RMSprop

__all__ = [
    "LBFGS",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "RMSprop",
    "lr_scheduler",
]
