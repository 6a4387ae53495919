"""Optimizers with PyTorch's update rules and parameter groups, and learning-rate schedules.

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn import nn, optim
    >>> w = nn.Parameter([1.0])
    >>> opt = optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward()       # dL/dw = 2w = 2
    >>> opt.step()
    >>> w.data
    array([0.8])
"""

from tinygrad_nn.optim import lr_scheduler
from tinygrad_nn.optim.optimizer import Optimizer
from tinygrad_nn.optim.rules import SGD, Adagrad, Adam, AdamW, RMSprop

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
