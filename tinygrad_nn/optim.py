"""Optimizers: ``SGD`` (momentum, weight decay) and ``Adam``, with PyTorch's update rules.

Each ``step()`` reads every parameter's ``.grad`` and replaces the parameter's data with
the updated values (a new array: a graph that saved the old values is not disturbed).
Parameters whose ``.grad`` is None are skipped.

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

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from tinygrad_nn.tensor import Tensor


class Optimizer:
    """Holds the parameters; subclasses define ``update(index, param, grad)``.

    Examples:
        >>> from tinygrad_nn import nn
        >>> opt = SGD([nn.Parameter([1.0])], lr=0.5)
        >>> opt.zero_grad()
    """

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        self.params: list[Tensor] = []
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: expected Tensors, got {type(p).__name__}")
            if not any(p is q for q in self.params):
                self.params.append(p)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if lr < 0:
            raise ValueError(f"{type(self).__name__}: invalid learning rate {lr}")
        self.lr = lr

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (set it to None)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        for index, p in enumerate(self.params):
            grad = p.grad
            if grad is not None:
                data = p.data
                new = self.update(index, data, grad.data)
                p.data = new if new.dtype == data.dtype else new.astype(data.dtype)

    def update(self, index: int, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD``.

    With weight decay ``wd`` and momentum ``mu``:

        g = grad + wd * p
        b = g  (first step),  b = mu * b + g  (later steps)
        p = p - lr * b        (b = g when mu = 0)

    Examples:
        >>> from tinygrad_nn import nn
        >>> opt = SGD([nn.Parameter([1.0])], lr=0.1, momentum=0.9)
    """

    def __init__(
        self, params: Iterable[Tensor], lr: float, momentum: float = 0.0, weight_decay: float = 0.0
    ) -> None:
        super().__init__(params, lr)
        if momentum < 0:
            raise ValueError(f"SGD: invalid momentum {momentum}")
        if weight_decay < 0:
            raise ValueError(f"SGD: invalid weight_decay {weight_decay}")
        self.momentum, self.weight_decay = momentum, weight_decay
        self.buffers: list[np.ndarray | None] = [None] * len(self.params)

    def update(self, index: int, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        if self.momentum:
            previous = self.buffers[index]
            grad = grad.copy() if previous is None else self.momentum * previous + grad
            self.buffers[index] = grad
        return param - self.lr * grad


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``. At step t, with weight decay ``wd``:

        g = grad + wd * p
        m = b1 * m + (1 - b1) * g          v = b2 * v + (1 - b2) * g**2
        p = p - lr * (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps)

    Examples:
        >>> from tinygrad_nn import nn
        >>> opt = Adam([nn.Parameter([1.0])], lr=0.01)
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"Adam: invalid betas {betas}; each must be in [0, 1)")
        if eps < 0 or weight_decay < 0:
            raise ValueError(f"Adam: invalid eps {eps} or weight_decay {weight_decay}")
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay
        self.steps = [0] * len(self.params)
        self.m: list[np.ndarray | float] = [0.0] * len(self.params)
        self.v: list[np.ndarray | float] = [0.0] * len(self.params)

    def update(self, index: int, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        b1, b2 = self.betas
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        self.steps[index] += 1
        t = self.steps[index]
        self.m[index] = m = b1 * self.m[index] + (1 - b1) * grad
        self.v[index] = v = b2 * self.v[index] + (1 - b2) * grad * grad
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        return param - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
