"""The update rules, as ``torch.optim`` writes them: ``SGD``, ``Adam``, ``AdamW``, ``RMSprop``,
``Adagrad``, ``Adadelta``. Each is one ``update(param, grad, state, group)`` returning the new
values.

Examples:
    >>> from tinygrad_nn import nn
    >>> opt = Adam([nn.Parameter([1.0])], lr=0.01)
    >>> opt.param_groups[0]["betas"]
    (0.9, 0.999)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tinygrad_nn.namespace.declared import Array, ArrayNamespace
from tinygrad_nn.optim.optimizer import Optimizer, State


class SGD(Optimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD``. With weight decay ``wd``,
    momentum ``mu``, dampening ``d``:

        g = grad + wd * p
        b = g  (first step),  b = mu * b + (1 - d) * g  (later steps)
        g = g + mu * b  (nesterov)   or   g = b   (momentum > 0)
        p = p - lr * g

    Examples:
        >>> from tinygrad_nn import nn
        >>> opt = SGD([nn.Parameter([1.0])], lr=0.1, momentum=0.9, nesterov=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
        )
        super().__init__(params, defaults)

    def check(self, settings: Mapping[str, Any]) -> None:
        super().check(settings)
        if settings["momentum"] < 0:
            raise ValueError(f"SGD: invalid momentum {settings['momentum']}")
        if settings["weight_decay"] < 0:
            raise ValueError(f"SGD: invalid weight_decay {settings['weight_decay']}")
        if settings["nesterov"] and (settings["momentum"] <= 0 or settings["dampening"] != 0):
            raise ValueError("SGD: nesterov momentum needs momentum > 0 and dampening = 0")

    def update(
        self, xp: ArrayNamespace, param: Array, grad: Array, state: State, group: Mapping[str, Any]
    ) -> Array:
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        momentum = group["momentum"]
        if momentum:
            previous = state.get("momentum_buffer")
            buffer = (
                xp.astype(grad, grad.dtype)  # a copy, not the .grad array itself
                if previous is None
                else momentum * previous + (1 - group["dampening"]) * grad
            )
            state["momentum_buffer"] = buffer
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        return param - group["lr"] * grad


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``. At step t, with weight decay ``wd``:

        g = grad + wd * p
        m = b1 * m + (1 - b1) * g          v = b2 * v + (1 - b2) * g**2
        p = p - lr * (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps)

    ``amsgrad`` uses the largest ``v`` so far instead of ``v``.

    Examples:
        >>> from tinygrad_nn import nn
        >>> opt = Adam([nn.Parameter([1.0])], lr=0.01)
    """

    decoupled = False  # AdamW: the weight decay shrinks p directly

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(params, defaults)

    def check(self, settings: Mapping[str, Any]) -> None:
        super().check(settings)
        name = type(self).__name__
        if not all(0.0 <= b < 1.0 for b in settings["betas"]):
            raise ValueError(f"{name}: invalid betas {settings['betas']}; each must be in [0, 1)")
        if settings["eps"] < 0 or settings["weight_decay"] < 0:
            raise ValueError(
                f"{name}: invalid eps {settings['eps']} or weight_decay {settings['weight_decay']}"
            )

    def update(
        self, xp: ArrayNamespace, param: Array, grad: Array, state: State, group: Mapping[str, Any]
    ) -> Array:
        b1, b2 = group["betas"]
        lr, wd = group["lr"], group["weight_decay"]
        if wd and self.decoupled:
            param = param * (1 - lr * wd)
        elif wd:
            grad = grad + wd * param
        t = state["step"] = state.get("step", 0) + 1
        m = state["exp_avg"] = b1 * state.get("exp_avg", 0.0) + (1 - b1) * grad
        v = state["exp_avg_sq"] = b2 * state.get("exp_avg_sq", 0.0) + (1 - b2) * grad * grad
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"] = xp.maximum(state.get("max_exp_avg_sq", v), v)
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        return param - lr * m_hat / (xp.sqrt(v_hat) + group["eps"])


class AdamW(Adam):
    """Adam with decoupled weight decay, as ``torch.optim.AdamW``: each step first shrinks
    ``p`` by ``lr * weight_decay * p``, then takes Adam's step without the decay.

    Examples:
        >>> from tinygrad_nn import nn
        >>> AdamW([nn.Parameter([1.0])]).param_groups[0]["weight_decay"]
        0.01
    """

    decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop``:

        g = grad + wd * p
        s = alpha * s + (1 - alpha) * g**2
        c = alpha * c + (1 - alpha) * g   (centered only)
        a = sqrt(s - c**2) + eps   (centered),   else   a = sqrt(s) + eps
        b = mu * b + g / a,  p = p - lr * b   (momentum > 0),   else   p = p - lr * g / a

    Examples:
        >>> from tinygrad_nn import nn
        >>> RMSprop([nn.Parameter([1.0])], centered=True).param_groups[0]["alpha"]
        0.99
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
        )
        super().__init__(params, defaults)

    def check(self, settings: Mapping[str, Any]) -> None:
        super().check(settings)
        if not settings["alpha"] >= 0.0 or settings["momentum"] < 0 or settings["eps"] < 0:
            raise ValueError(f"RMSprop: invalid alpha, momentum or eps in {dict(settings)}")

    def update(
        self, xp: ArrayNamespace, param: Array, grad: Array, state: State, group: Mapping[str, Any]
    ) -> Array:
        alpha = group["alpha"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        square = state["square_avg"] = (
            alpha * state.get("square_avg", 0.0) + (1 - alpha) * grad * grad
        )
        if group["centered"]:
            mean = state["grad_avg"] = alpha * state.get("grad_avg", 0.0) + (1 - alpha) * grad
            average = xp.sqrt(square - mean * mean) + group["eps"]
        else:
            average = xp.sqrt(square) + group["eps"]
        if group["momentum"] > 0:
            buffer = group["momentum"] * state.get("momentum_buffer", 0.0) + grad / average
            state["momentum_buffer"] = buffer
            return param - group["lr"] * buffer
        return param - group["lr"] * grad / average


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad``: at step t,

        g = grad + wd * p
        s = s + g**2   (s starts at initial_accumulator_value)
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    Examples:
        >>> from tinygrad_nn import nn
        >>> Adagrad([nn.Parameter([1.0])]).param_groups[0]["eps"]
        1e-10
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        super().__init__(params, defaults)

    def update(
        self, xp: ArrayNamespace, param: Array, grad: Array, state: State, group: Mapping[str, Any]
    ) -> Array:
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        t = state["step"] = state.get("step", 0) + 1
        total = state.get("sum", group["initial_accumulator_value"]) + grad * grad
        state["sum"] = total
        rate = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        return param - rate * grad / (xp.sqrt(total) + group["eps"])


class Adadelta(Optimizer):
    """Adadelta, as ``torch.optim.Adadelta`` (Zeiler 2012, with a learning rate): with
    weight decay ``wd``, decay ``rho``,

        g = grad + wd * p
        s = rho * s + (1 - rho) * g**2                     (square_avg, from 0)
        delta = sqrt(u + eps) / sqrt(s + eps) * g          (u: acc_delta, from 0)
        u = rho * u + (1 - rho) * delta**2
        p = p - lr * delta

    Examples:
        >>> from tinygrad_nn import nn
        >>> Adadelta([nn.Parameter([1.0])]).param_groups[0]["rho"]
        0.9
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def check(self, settings: Mapping[str, Any]) -> None:
        # PyTorch's checks and words
        if not settings["lr"] >= 0.0:
            raise ValueError(f"Invalid learning rate: {settings['lr']}")
        if not 0.0 <= settings["rho"] <= 1.0:
            raise ValueError(f"Invalid rho value: {settings['rho']}")
        if not settings["eps"] >= 0.0:
            raise ValueError(f"Invalid epsilon value: {settings['eps']}")
        if not settings["weight_decay"] >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {settings['weight_decay']}")

    def update(
        self, xp: ArrayNamespace, param: Array, grad: Array, state: State, group: Mapping[str, Any]
    ) -> Array:
        rho, eps = group["rho"], group["eps"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        state["step"] = state.get("step", 0) + 1
        square = state["square_avg"] = rho * state.get("square_avg", 0.0) + (1 - rho) * grad * grad
        # an array from the first step (zeros, as PyTorch's state starts), so that sqrt
        # sees an array under every interpreter
        previous = state["acc_delta"] if "acc_delta" in state else square * 0.0
        delta = xp.sqrt(previous + eps) / xp.sqrt(square + eps) * grad
        state["acc_delta"] = rho * previous + (1 - rho) * delta * delta
        return param - group["lr"] * delta
