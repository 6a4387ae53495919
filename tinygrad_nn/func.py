"""Function transforms, as ``torch.func``: ``vjp``, ``jvp``, ``jacobian``, ``hessian``,
``hvp`` and ``grad``, all built on the one reverse-mode engine.

Reverse mode computes a vector-Jacobian product ``v^T J`` per backward pass: one pass
gives the gradient of one output with respect to every input. Forward mode computes a
Jacobian-vector product ``J t``: the derivative of every output along one input
direction. It is built here as the transpose of reverse mode (the "double-VJP trick"):
``u -> J^T u`` is linear in ``u``, so differentiating it with respect to ``u`` along ``t``
gives ``J t``. A Jacobian of a function R^n -> R^m therefore costs ``m`` reverse passes or
``n`` forward ones; :func:`jacobian` lets you choose (see docs/forward-reverse.md).

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.tensor([1.0, 2.0])
    >>> tg.func.jacobian(lambda t: t * t, x).tolist()
    [[2.0, 0.0], [0.0, 4.0]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_nn.autograd import grad as autograd_grad
from tinygrad_nn.dtypes import as_array
from tinygrad_nn.tensor import Tensor
from tinygrad_nn.tensor_grad import is_gradient, seed_error

Function = Callable[..., Tensor]


def _leaves(primals: Sequence[Any]) -> list[Tensor]:
    """The primals as tensors to differentiate with respect to: one that already requires
    grad is kept (so transforms compose: ``hessian`` is ``jacobian`` of ``grad``); anything
    else becomes a fresh leaf holding its values (float64 for integers)."""
    leaves = []
    for p in primals:
        if isinstance(p, Tensor) and p.requires_grad:
            leaves.append(p)
            continue
        data = p.array if isinstance(p, Tensor) else as_array(p)
        leaves.append(Tensor._wrap(data if data.dtype.kind == "f" else data.astype(float), True))
    return leaves


def _grads(out: Tensor, wrt: Sequence[Tensor], cotangent: Any = None, **options: Any) -> tuple:
    """``tg.grad`` of ``out`` with respect to ``wrt``, with None for each input ``out`` does
    not depend on, also when it depends on none (a constant, a detached value: then it
    has no graph). A cotangent is checked against ``out`` either way."""
    if out.requires_grad:
        return autograd_grad(out, wrt, cotangent, allow_unused=True, **options)
    if cotangent is not None:
        if not is_gradient(cotangent):
            raise seed_error(out, cotangent, 0)  # PyTorch's TypeError
        shape = np.shape(getattr(cotangent, "array", cotangent))
        if shape != out.shape:
            raise ValueError(f"vjp: the cotangent has shape {shape}, the output {out.shape}")
    return (None,) * len(wrt)


def _filled(grads: tuple[Tensor | None, ...], like: Sequence[Tensor]) -> tuple[Tensor, ...]:
    """None (an input the output does not depend on) as zeros, as torch.func does."""
    return tuple(
        Tensor._wrap(np.zeros(t.shape, t.dtype)) if g is None else g for g, t in zip(grads, like)
    )


def vjp(f: Function, *primals: Any) -> tuple[Tensor, Callable[[Any], tuple[Tensor, ...]]]:
    """``f(*primals)`` and a function taking a cotangent ``v`` (shaped like the output) to
    ``v^T J``, one gradient per primal: one reverse pass per call.

    Examples:
        >>> import tinygrad_nn as tg
        >>> out, vjp_fn = tg.func.vjp(lambda x: x * 3, tg.tensor([1.0, 2.0]))
        >>> vjp_fn(tg.tensor([1.0, 10.0]))[0].tolist()
        [3.0, 30.0]
    """
    leaves = _leaves(primals)
    out = f(*leaves)

    def vjp_fn(cotangent: Any) -> tuple[Tensor, ...]:
        return _filled(_grads(out, leaves, cotangent, retain_graph=True), leaves)

    return out.detach(), vjp_fn


def jvp(f: Function, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Tensor, Tensor]:
    """``f(*primals)`` and ``J t``, the derivative of the output along ``tangents``.

    Forward mode as the transpose of reverse mode: with a cotangent ``u`` that requires
    grad, ``g(u) = J^T u`` is recorded; ``d(g . t)/du = J t``. Two reverse passes.

    Examples:
        >>> import tinygrad_nn as tg
        >>> out, tangent = tg.func.jvp(lambda x: x * x, [tg.tensor([3.0])], [tg.tensor([1.0])])
        >>> tangent.tolist()
        [6.0]
    """
    leaves = _leaves(primals)
    if len(tangents) != len(leaves):
        raise ValueError(f"jvp: {len(tangents)} tangents for {len(leaves)} primals")
    out = f(*leaves)
    u = Tensor._wrap(np.zeros(out.shape, out.dtype), True)  # any value: g is linear in u
    transposed = _grads(out, leaves, u, create_graph=True)
    total = None
    for g, t, leaf in zip(transposed, tangents, leaves):
        t_data = as_array(t.array if isinstance(t, Tensor) else t)
        if t_data.shape != leaf.shape:  # checked for unused primals too
            raise ValueError(f"jvp: a tangent has shape {t_data.shape}, its primal {leaf.shape}")
        if g is None:
            continue
        term = (g * Tensor._wrap(t_data.astype(leaf.dtype))).sum()
        total = term if total is None else total + term
    if total is None or not total.requires_grad:
        return out.detach(), Tensor._wrap(np.zeros(out.shape, out.dtype))
    (tangent_out,) = _filled(autograd_grad(total, [u], allow_unused=True), [u])
    return out.detach(), tangent_out


def jacobian(f: Function, x: Any, mode: str = "reverse") -> Tensor:
    """The Jacobian of ``f`` at ``x``, shaped ``out.shape + x.shape``.

    ``mode="reverse"`` runs one backward pass per output element (cheap for few outputs),
    ``mode="forward"`` one forward-mode product per input element (cheap for few inputs).

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.func.jacobian(lambda t: t.sum(), tg.tensor([1.0, 2.0]), mode="forward").tolist()
        [1.0, 1.0]
    """
    (leaf,) = _leaves([x])
    if mode == "reverse":
        out, vjp_fn = vjp(f, leaf)
        rows = []
        for i in range(out.size):
            basis = np.zeros(out.size, out.dtype)
            basis[i] = 1
            rows.append(vjp_fn(Tensor._wrap(basis.reshape(out.shape)))[0].array)
        values = np.stack(rows) if rows else np.zeros((0, *leaf.shape), leaf.dtype)
        return Tensor._wrap(values.reshape((*out.shape, *leaf.shape)))  # 0-d: shape ()
    if mode == "forward":
        columns = []
        out = f(leaf)
        for j in range(leaf.size):
            basis = np.zeros(leaf.size, leaf.dtype)
            basis[j] = 1
            columns.append(jvp(f, [leaf], [basis.reshape(leaf.shape)])[1].array)
        values = np.stack(columns, axis=-1) if columns else np.zeros((*out.shape, 0))
        return Tensor._wrap(values.reshape((*out.shape, *leaf.shape)))
    raise ValueError(f"jacobian: mode must be 'reverse' or 'forward', got {mode!r}")


def grad(f: Function, argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The function computing the gradient of the scalar ``f`` with respect to argument
    ``argnums`` (a tuple of them: a tuple of gradients), as ``torch.func.grad``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.func.grad(lambda x: (x ** 3).sum())(tg.tensor([2.0])).tolist()
        [12.0]
    """

    def gradient(*args: Any) -> Any:
        leaves = _leaves(args)
        out = f(*leaves)
        if out.size != 1:
            raise ValueError(f"grad: f must return one value, got shape {out.shape}")
        wanted = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        chosen = [leaves[i] for i in wanted]
        grads = _filled(_grads(out, chosen, create_graph=True), chosen)
        return grads[0] if isinstance(argnums, int) else grads

    return gradient


def hessian(f: Function, x: Any) -> Tensor:
    """The matrix of second derivatives of the scalar ``f`` at ``x`` (reverse over reverse),
    shaped ``x.shape + x.shape``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.func.hessian(lambda t: (t ** 3).sum(), tg.tensor([1.0, 2.0])).tolist()
        [[6.0, 0.0], [0.0, 12.0]]
    """
    return jacobian(grad(f), x, mode="reverse")


def hvp(f: Function, x: Any, v: Any) -> tuple[Tensor, Tensor]:
    """``f(x)`` and the Hessian-vector product ``H v``, without forming ``H``: the gradient
    of ``grad f(x) . v`` (two reverse passes), as ``torch.autograd.functional.hvp``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> _, product = tg.func.hvp(lambda t: (t ** 3).sum(), tg.tensor([1.0, 2.0]), [1.0, 1.0])
        >>> product.tolist()
        [6.0, 12.0]
    """
    (leaf,) = _leaves([x])
    out = f(leaf)
    (g,) = _filled(_grads(out, [leaf], create_graph=True), [leaf])
    direction = as_array(v.array if isinstance(v, Tensor) else v).astype(leaf.dtype)
    if direction.shape != leaf.shape:  # broadcasting would give a wrong product silently
        raise ValueError(f"hvp: v has shape {direction.shape}, x {leaf.shape}")
    if not g.requires_grad:
        return out.detach(), Tensor._wrap(np.zeros(leaf.shape, leaf.dtype))
    (product,) = _filled(
        autograd_grad((g * Tensor._wrap(direction)).sum(), [leaf], allow_unused=True), [leaf]
    )
    return out.detach(), product
