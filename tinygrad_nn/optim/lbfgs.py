"""``LBFGS``: limited-memory BFGS, as ``torch.optim.LBFGS``, driven by a closure.

Unlike the other optimizers, one ``step(closure)`` evaluates the loss and gradient many
times: ``closure`` zeroes the gradients, computes the loss, calls ``backward()`` and
returns the loss. Each iteration of a step

1. turns the gradient into a direction ``d`` with the two-loop recursion over the last
   ``history_size`` pairs (s = the step taken, y = the change of gradient it caused),
   which stands for the inverse Hessian (scaled by ``y.s / y.y``);
2. moves the parameters by ``t d``: ``t = lr`` (on the very first iteration
   ``lr * min(1, 1 / sum|grad|)``), or a step from the strong Wolfe line search;
3. stops when the gradient, the step or the change of loss is below its tolerance, or
   after ``max_iter`` iterations or ``max_eval`` evaluations.

The direction, the history and the counts stay in ``state`` (of the first parameter, as
PyTorch) for the next ``step``. Parameters are treated as one flat vector.

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn import nn
    >>> w = nn.Parameter([0.0, 0.0])
    >>> opt = LBFGS([w], line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = ((w - tg.Tensor([1.0, -2.0])) ** 2).sum()
    ...     loss.backward()
    ...     return loss
    >>> _ = opt.step(closure)
    >>> [round(v, 6) for v in w.tolist()]
    [1.0, -2.0]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from tinygrad_nn.errors import TracingError
from tinygrad_nn.grad_mode import enable_grad
from tinygrad_nn.namespace.array_api import like, to_numpy
from tinygrad_nn.namespace.declared import Array, ArrayNamespace
from tinygrad_nn.optim.line_search import strong_wolfe
from tinygrad_nn.optim.optimizer import Optimizer, State
from tinygrad_nn.recording import state as recording
from tinygrad_nn.tensor import Tensor


class LBFGS(Optimizer):
    """L-BFGS, as ``torch.optim.LBFGS`` (see the module docs); one parameter group only.

    Args:
        lr: the step along each direction (1).
        max_iter: iterations per ``step`` (20).
        max_eval: closure evaluations per ``step`` (``max_iter * 5 // 4``).
        tolerance_grad: stop when every gradient entry is at most this (1e-7).
        tolerance_change: stop when the step or the loss changes less (1e-9).
        history_size: how many (s, y) pairs are kept (100).
        line_search_fn: None (fixed steps) or ``"strong_wolfe"``.
    """

    has_flat_state = True  # its state holds flat vectors and lists, not per-parameter arrays

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if isinstance(lr, Tensor):
            if lr.numel() != 1:
                raise ValueError("Tensor lr must be 1-element")
            lr = lr.item()
        if isinstance(history_size, bool) or not isinstance(history_size, int) or history_size < 1:
            # PyTorch fails later, popping from an empty history; say it here
            raise ValueError(f"LBFGS: history_size must be a positive int, got {history_size!r}")
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_iter * 5 // 4 if max_eval is None else max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    def check(self, settings: Mapping[str, Any]) -> None:
        if not settings["lr"] >= 0.0:  # PyTorch's words
            raise ValueError(f"Invalid learning rate: {settings['lr']}")

    def update(
        self, xp: ArrayNamespace, param: Array, grad: Array, state: State, group: Mapping[str, Any]
    ) -> Array:
        raise TypeError("LBFGS has no per-parameter update rule: call step(closure)")

    # ------------------------------------------------------------ the flat vector

    def _flat_grad(self) -> np.ndarray:
        """Every parameter's gradient, flattened and joined (zeros where there is none)."""
        parts = [
            np.zeros(p.numel(), p.dtype) if p.grad is None else to_numpy(p.grad.array).ravel()
            for p in self.params
        ]
        return np.concatenate(parts)

    def _move(self, step: float, direction: np.ndarray) -> None:
        """Parameters += step * direction (new arrays, as every optimizer's step)."""
        offset = 0
        for p in self.params:
            n = p.numel()
            change = (step * direction[offset : offset + n]).reshape(p.shape)
            p.array = like((to_numpy(p.array) + change).astype(p.dtype), p.array)
            offset += n

    def _evaluate(self, closure: Callable[[], Any]) -> float:
        with enable_grad():  # as PyTorch: the closure records even if step runs under no_grad
            loss = closure()
        return float(loss.item() if isinstance(loss, Tensor) else loss)

    # ------------------------------------------------------------ the step

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Run up to ``max_iter`` iterations, calling ``closure`` for the loss and gradient;
        returns the loss of the first call, as PyTorch."""
        if recording.events is not None or recording.tracing:
            raise TracingError(
                "compile: LBFGS.step(closure) cannot be compiled: it calls the closure "
                "(forward and backward) a number of times that depends on the values. Run "
                "the LBFGS step eagerly"
            )
        if closure is None:
            raise RuntimeError("LBFGS.step() needs a closure that computes and returns the loss")
        group = self.param_groups[0]
        line_search = group["line_search_fn"]
        if line_search not in (None, "strong_wolfe"):
            raise RuntimeError("only 'strong_wolfe' is supported")
        lr, history_size = group["lr"], group["history_size"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        state = self.state[self.params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            first_loss = closure()
        loss = float(first_loss.item() if isinstance(first_loss, Tensor) else first_loss)
        evals = 1
        state["func_evals"] += 1
        grad = self._flat_grad()
        if np.abs(grad).max() <= tol_grad:  # already optimal
            return first_loss

        # where the last step left off (the defaults are replaced on the first iteration)
        d: np.ndarray = state.get("d", -grad)
        t: float = state.get("t", lr)
        old_dirs: list[np.ndarray] = state.get("old_dirs", [])
        old_stps: list[np.ndarray] = state.get("old_stps", [])
        ro: list[float] = state.get("ro", [])
        h_diag: float = state.get("H_diag", 1.0)
        prev_grad: np.ndarray = state.get("prev_flat_grad", grad)
        prev_loss: float = state.get("prev_loss", loss)
        iteration = 0
        while iteration < group["max_iter"]:
            iteration += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, old_dirs, old_stps, ro, h_diag = -grad, [], [], [], 1.0
            else:
                y, s = grad - prev_grad, d * t
                ys = float(y @ s)
                if ys > 1e-10:  # keep the pair only where the curvature is positive
                    # the newest pair at the end; the oldest dropped past history_size
                    old_dirs = [*old_dirs, y][-history_size:]
                    old_stps = [*old_stps, s][-history_size:]
                    ro = [*ro, 1.0 / ys][-history_size:]
                    h_diag = ys / float(y @ y)
                d = _two_loop(grad, old_dirs, old_stps, ro, h_diag)
            prev_grad, prev_loss = grad.copy(), loss
            t = min(1.0, 1.0 / float(np.abs(grad).sum())) * lr if state["n_iter"] == 1 else lr
            slope = float(grad @ d)
            if slope > -tol_change:  # not a descent direction any more
                break
            used = 0
            if line_search is not None:
                start = [p.array for p in self.params]

                def along(
                    x: np.ndarray, step: float, d: np.ndarray, start: list[Any] = start
                ) -> tuple[float, np.ndarray]:
                    return self._along(closure, start, step, d)

                loss, grad, t, used = strong_wolfe(
                    along,
                    np.concatenate([to_numpy(a).ravel() for a in start]),
                    t,
                    d,
                    loss,
                    grad,
                    slope,
                )
                self._move(t, d)
                optimal = np.abs(grad).max() <= tol_grad
            else:
                self._move(t, d)
                optimal = False
                if iteration != group["max_iter"]:  # the last iteration's closure is spared
                    loss, grad, used = self._evaluate(closure), self._flat_grad(), 1
                    optimal = np.abs(grad).max() <= tol_grad
            evals += used
            state["func_evals"] += used
            if iteration == group["max_iter"] or evals >= group["max_eval"] or optimal:
                break
            if np.abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change:
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag)
        state.update(prev_flat_grad=prev_grad, prev_loss=prev_loss)
        return first_loss

    def _along(
        self, closure: Callable[[], Any], start: list[Any], step: float, direction: np.ndarray
    ) -> tuple[float, np.ndarray]:
        """Loss and flat gradient at start + step * direction; the parameters go back."""
        self._move(step, direction)
        loss = self._evaluate(closure)
        grad = self._flat_grad()
        for p, data in zip(self.params, start):
            p.array = data
        return loss, grad


def _two_loop(
    grad: np.ndarray, dirs: list[np.ndarray], steps: list[np.ndarray], ro: list[float], h: float
) -> np.ndarray:
    """The L-BFGS direction ``-H grad``, H the inverse Hessian that the pairs (s, y) and the
    scale ``h`` stand for (Nocedal & Wright, algorithm 7.4)."""
    q = -grad
    alphas = [0.0] * len(dirs)
    for i in reversed(range(len(dirs))):
        alphas[i] = float(steps[i] @ q) * ro[i]
        q = q - alphas[i] * dirs[i]
    r = q * h
    for i in range(len(dirs)):
        beta = float(dirs[i] @ r) * ro[i]
        r = r + (alphas[i] - beta) * steps[i]
    return r
