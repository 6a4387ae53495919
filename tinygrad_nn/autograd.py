"""``grad``: gradients of outputs with respect to chosen inputs, returned rather than stored.

The backward pass itself is :mod:`tinygrad_nn.backprop`; ``Tensor.backward`` stores into
``.grad``, this returns.

Examples:
    >>> import tinygrad_nn as tg
    >>> a, b = tg.Tensor(2.0, requires_grad=True), tg.Tensor(3.0, requires_grad=True)
    >>> tg.grad(a ** b, [a, b])[0]   # b a**(b - 1)
    Tensor(12.)
"""

from __future__ import annotations

from collections.abc import Sequence

from tinygrad_nn import backprop
from tinygrad_nn.tensor import INTERPRETERS, Tensor
from tinygrad_nn.tensor_operators import Operand

__all__ = ["backward", "grad"]


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Operand | Sequence[Operand] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` is untouched).

    Args:
        outputs: a tensor or a sequence of tensors to differentiate.
        inputs: the tensors to differentiate with respect to (leaves or not).
        grad_outputs: upstream gradients, one per output (None for single-element ones).
            With ``create_graph``, a grad_output that requires grad is part of the graph:
            the results can be differentiated with respect to it (the double-VJP trick).
        retain_graph: keep the graph for another backward; defaults to ``create_graph``.
        create_graph: record the computation, so the returned gradients are differentiable.
        allow_unused: return None for an input the outputs do not depend on, instead of
            raising.

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.Tensor(2.0, requires_grad=True)
        >>> y = tg.Tensor(5.0, requires_grad=True)
        >>> tg.grad(x * y, [x, y])
        (Tensor(5.), Tensor(2.))
    """
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None:
        upstream: list[Operand] = [None] * len(outs)
    elif isinstance(outputs, Tensor):  # one output, so one upstream gradient
        upstream = [grad_outputs]
    else:
        upstream = list(grad_outputs)
    if len(upstream) != len(outs):
        raise ValueError(f"grad: {len(upstream)} grad_outputs given for {len(outs)} outputs")
    for i, t in enumerate(ins):
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad")
    if not allow_unused:
        reached = set(backprop.topological_order(outs))
        for i, t in enumerate(ins):
            if backprop.node_of(t) not in reached:
                raise RuntimeError(
                    f"grad: input {i} (shape {t.shape}) was not used to compute the outputs; "
                    "pass allow_unused=True to get None for it"
                )
    retain = create_graph if retain_graph is None else retain_graph
    results = backprop.gradients(outs, upstream, INTERPRETERS[create_graph], retain, ins)
    return tuple(results.get(t) for t in ins)


def backward(
    roots: Sequence[Tensor],
    grads: Sequence[Operand] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """Backpropagate from several ``roots`` at once, adding to the leaves' ``.grad``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
        >>> backward([x * 3], [[1.0, 1.0]])
        >>> x.grad
        Tensor([3., 3.])
    """
    grads = [None] * len(roots) if grads is None else grads
    retain = create_graph if retain_graph is None else retain_graph
    backprop.gradients(roots, grads, INTERPRETERS[create_graph], retain, accumulate=True)
