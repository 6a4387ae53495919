"""Check automatic gradients against central finite differences.

For a function ``f`` and an input element ``x_m``, the central difference

    (f(x + eps e_m) - f(x - eps e_m)) / (2 eps)

approximates column ``m`` of the Jacobian with error ``O(eps**2)``. :func:`gradcheck`
builds the whole Jacobian that way and compares it with the one backward computes, row
by row (one backward pass per output element). :func:`gradgradcheck` does the same for
the gradient itself, which checks second derivatives.

Use float64 inputs: with float32, rounding swamps the difference quotient.

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.Tensor([0.5, -1.0, 2.0], requires_grad=True)
    >>> tg.gradcheck(lambda t: (t * t.sigmoid()).sum(), [x])
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_nn.autograd import grad
from tinygrad_nn.tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised when an automatic gradient disagrees with finite differences.

    Examples:
        >>> issubclass(GradcheckError, RuntimeError)
        True
    """


Function = Callable[..., Any]


def _outputs(result: Any) -> list[Tensor]:
    """The function's result as a list of tensors (a single tensor, or a tuple/list)."""
    items = result if isinstance(result, (tuple, list)) else [result]
    return [item for item in items if isinstance(item, Tensor)]


def _with_data(inputs: Sequence[Any], index: int, data: np.ndarray) -> list[Any]:
    """``inputs`` with input ``index`` replaced by a fresh tensor holding ``data``."""
    changed = list(inputs)
    original = inputs[index]
    changed[index] = Tensor._wrap(data, original.requires_grad)
    return changed


def numerical_jacobian(
    fn: Function, inputs: Sequence[Any], eps: float = 1e-6
) -> list[list[np.ndarray]]:
    """Central-difference Jacobians: ``J[j][i]`` has shape (output j size, input i size).

    Only inputs that are tensors requiring grad are perturbed; the others get an empty
    (size-0) Jacobian column block. The inputs themselves are never modified.

    Examples:
        >>> import tinygrad_nn as tg
        >>> J = numerical_jacobian(lambda x: x * 3, [tg.Tensor([1.0, 2.0], requires_grad=True)])
        >>> np.round(J[0][0], 6)
        array([[3., 0.],
               [0., 3.]])
    """
    outputs = _outputs(fn(*inputs))
    jacobians = [
        [np.zeros((out.size, _size_if_differentiable(x))) for x in inputs] for out in outputs
    ]
    for i, x in enumerate(inputs):
        if not _size_if_differentiable(x):
            continue
        base = x.array.astype(np.float64)
        for m in range(base.size):
            values = []
            for step in (eps, -eps):
                moved = base.copy()
                moved.flat[m] += step
                values.append(_outputs(fn(*_with_data(inputs, i, moved.astype(x.dtype)))))
            for j, (plus, minus) in enumerate(zip(*values)):
                difference = plus.array.astype(np.float64) - minus.array.astype(np.float64)
                jacobians[j][i][:, m] = difference.reshape(-1) / (2 * eps)
    return jacobians


def analytical_jacobian(fn: Function, inputs: Sequence[Any]) -> list[list[np.ndarray]]:
    """Jacobians from backward: row ``k`` of ``J[j][i]`` is the gradient of output element k.

    Examples:
        >>> import tinygrad_nn as tg
        >>> J = analytical_jacobian(lambda x: x * 3, [tg.Tensor([1.0, 2.0], requires_grad=True)])
        >>> J[0][0]
        array([[3., 0.],
               [0., 3.]])
    """
    outputs = _outputs(fn(*inputs))
    wrt = [x for x in inputs if _size_if_differentiable(x)]
    jacobians = [
        [np.zeros((out.size, _size_if_differentiable(x))) for x in inputs] for out in outputs
    ]
    for j, out in enumerate(outputs):
        if not out.requires_grad or not wrt:
            continue  # the output does not depend on any input: its Jacobian is zero
        for k in range(out.size):
            upstream = np.zeros(out.shape, dtype=out.dtype)
            upstream.flat[k] = 1
            grads = iter(grad(out, wrt, upstream, retain_graph=True, allow_unused=True))
            for i, x in enumerate(inputs):
                if _size_if_differentiable(x):
                    g = next(grads)
                    if g is not None:
                        jacobians[j][i][k, :] = g.array.reshape(-1)
    return jacobians


def _size_if_differentiable(x: Any) -> int:
    return x.size if isinstance(x, Tensor) and x.requires_grad else 0


def gradcheck(
    fn: Function,
    inputs: Sequence[Any] | Tensor,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Compare backward's Jacobian of ``fn`` with central finite differences.

    Args:
        fn: takes the inputs, returns a tensor (or a tuple of tensors) of any shape.
        inputs: the arguments; tensors with ``requires_grad`` are checked.
        eps: the finite-difference step.
        atol: allowed absolute difference: ``|analytical - numerical| <= atol + rtol |numerical|``.
        rtol: allowed relative difference (see ``atol``).
        raise_exception: raise :class:`GradcheckError` on a mismatch (else return False).

    Returns:
        True when every Jacobian entry agrees.

    Examples:
        >>> import tinygrad_nn as tg
        >>> w = tg.Tensor([[0.1, 0.2], [0.3, 0.4]], requires_grad=True)
        >>> x = tg.Tensor([[1.0, 2.0]])
        >>> tg.gradcheck(lambda w, x: (x @ w).tanh(), [w, x])
        True
    """
    args = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not any(_size_if_differentiable(x) for x in args):
        raise ValueError("gradcheck: no input is a tensor with requires_grad=True")
    numerical = numerical_jacobian(fn, args, eps)
    analytical = analytical_jacobian(fn, args)
    for j, (num_row, ana_row) in enumerate(zip(numerical, analytical)):
        for i, (num, ana) in enumerate(zip(num_row, ana_row)):
            if np.allclose(ana, num, atol=atol, rtol=rtol):
                continue
            if not raise_exception:
                return False
            k, m = np.unravel_index(np.argmax(np.abs(ana - num)), ana.shape)
            raise GradcheckError(
                f"Jacobian mismatch for output {j} with respect to input {i}: at "
                f"(output element {k}, input element {m}) backward gives {ana[k, m]:.10g} "
                f"but finite differences give {num[k, m]:.10g}.\n"
                f"analytical:\n{ana}\nnumerical:\n{num}"
            )
    return True


def gradgradcheck(
    fn: Function,
    inputs: Sequence[Any] | Tensor,
    grad_outputs: Sequence[Any] | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Check second derivatives: :func:`gradcheck` applied to the gradient of ``fn``.

    The gradient is taken with ``create_graph=True`` against ``grad_outputs`` (random
    normal ones from ``seed`` when not given), which makes it a function of the inputs
    that backward can differentiate again.

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.Tensor([0.3, -0.7], requires_grad=True)
        >>> tg.gradgradcheck(lambda t: t.tanh() * t, [x])
        True
    """
    args = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    outputs = _outputs(fn(*args))
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = [rng.standard_normal(out.shape).astype(out.dtype) for out in outputs]
    upstream = list(grad_outputs)

    def first_derivatives(*xs: Any) -> tuple[Tensor, ...]:
        wrt = [x for x in xs if _size_if_differentiable(x)]
        outs = [out for out in _outputs(fn(*xs))]
        live = [(out, g) for out, g in zip(outs, upstream) if out.requires_grad]
        if not live:
            return tuple(Tensor._wrap(np.zeros_like(x.array)) for x in wrt)
        grads = grad(
            [out for out, _ in live],
            wrt,
            [g for _, g in live],
            create_graph=True,
            allow_unused=True,
        )
        return tuple(
            g if g is not None else Tensor._wrap(np.zeros_like(x.array)) for g, x in zip(grads, wrt)
        )

    return gradcheck(first_derivatives, args, eps, atol, rtol, raise_exception)
