"""The backward pass: walk the graph in reverse topological order, applying the chain rule.

For every node, from the output back to the leaves:

1. take the gradient that has accumulated for it (the sum over everything it fed into);
2. ask its op for the vector-Jacobian products, one per input (``op.backward``);
3. sum each back to the input's shape where broadcasting stretched it;
4. add it to that input's pending gradient (fan-out means several contributions).

The order comes from collecting the graph with an explicit stack and sorting it by
creation number, so graphs of any depth work at Python's default recursion limit.
Unless ``retain_graph`` is set, each node's links and saved arrays are released right
after it is used, so intermediate values are freed during the pass.

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.Tensor(3.0, requires_grad=True)
    >>> y = x * x + x          # x feeds three places: dy/dx = 2x + 1
    >>> tg.grad(y, [x])
    (Tensor(7.),)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from operator import attrgetter
from typing import Any

import numpy as np

from tinygrad_nn.grad_mode import set_grad_enabled
from tinygrad_nn.ops import Op
from tinygrad_nn.tensor import Operand, Tensor, as_array
from tinygrad_nn.tensor_xp import tensor_xp
from tinygrad_nn.xp import numpy_xp

FREED_GRAPH_MESSAGE = (
    "trying to backward through the graph a second time: its saved arrays were released "
    "after the first backward. Pass retain_graph=True to the first backward (or tg.grad) "
    "if you need to go through the graph again"
)


def topological_order(roots: Sequence[Tensor]) -> list[Tensor]:
    """Every tensor that requires grad and leads to ``roots``, each after all its inputs.

    A plain search (with an explicit stack: no recursion, whatever the depth) collects
    the tensors; sorting them by creation number then puts every input before its uses,
    because a tensor is always made after the tensors it is computed from.

    Examples:
        >>> import tinygrad_nn as tg
        >>> a = tg.Tensor(1.0, requires_grad=True, name="a")
        >>> b = (a * 2).exp()
        >>> [t.name or t.op.name for t in topological_order([b])]
        ['a', 'mul', 'exp']
    """
    found = set(roots)
    stack = list(roots)
    while stack:
        op = stack.pop()._ctx
        if op is None:
            continue
        if op.parents is None:
            raise RuntimeError(FREED_GRAPH_MESSAGE)
        for parent in op.parents:
            if parent.requires_grad and parent not in found:
                found.add(parent)
                stack.append(parent)
    return sorted(found, key=creation_number)


def graph_tensors(root: Tensor) -> list[Tensor]:
    """Every tensor ``root`` was computed from — constants included — in creation order.

    Unlike :func:`topological_order` (which the engine uses), this also lists inputs that
    do not require grad: drawings and generated code show them too.

    Examples:
        >>> import tinygrad_nn as tg
        >>> a = tg.Tensor(1.0, requires_grad=True, name="a")
        >>> [t.name or t.op.name for t in graph_tensors(a * tg.Tensor(2.0, name="two"))]
        ['a', 'two', 'mul']
    """
    found = {root}
    stack = [root]
    while stack:
        op = stack.pop()._ctx
        for parent in op.parents or () if op is not None else ():
            if parent not in found:
                found.add(parent)
                stack.append(parent)
    return sorted(found, key=creation_number)


creation_number = attrgetter("_seq")  # the sort key of both walks above


def _seed(root: Tensor, grad: Operand, index: int) -> np.ndarray:
    """The starting gradient for ``root``: ones for a single element, else ``grad`` checked."""
    if not root.requires_grad:
        raise RuntimeError(
            f"backward: output {index} does not require grad and has no graph — none of the "
            "tensors it was computed from has requires_grad=True (or it was computed under "
            "no_grad)"
        )
    if grad is None:
        if root.size != 1:
            raise RuntimeError(
                f"backward: grad can be implicitly created only for scalar outputs, but "
                f"output {index} has shape {root.shape}; pass grad= with that shape"
            )
        return np.array(1, root.dtype).reshape(root.shape)  # np.ones is slower
    seed = as_array(grad).astype(root.dtype)  # a copy: the caller keeps their array
    if seed.shape != root.shape:
        raise ValueError(
            f"backward: grad has shape {seed.shape} but output {index} has shape {root.shape}"
        )
    return seed


# An observer is called once per op during backward with the tensor the op made, its
# upstream gradient, and for each input that receives a gradient: (its position among
# the op's inputs, the input, the share this op sends it, the input's gradient
# accumulated so far including that share).
Observer = Callable[[Tensor, Any, list[tuple[int, Tensor, Any, Any]]], None]


def run_backward(
    roots: Sequence[Tensor],
    root_grads: Sequence[Operand],
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Sequence[Tensor] | None = None,
    allow_unused: bool = True,
    observer: Observer | None = None,
) -> dict[Tensor, Any]:
    """The engine behind :meth:`Tensor.backward` and :func:`grad`.

    Returns the final gradient of every leaf that requires grad (plus every tensor that
    called ``retain_grad``), or of exactly ``inputs`` when given. Nothing is written to
    any ``.grad`` here. All checks happen before any work, so a bad call changes nothing.
    ``observer``, when given, is told about every chain-rule step (see :data:`Observer`);
    :func:`tinygrad_nn.viz.backward_steps` uses it.
    """
    if retain_graph is None:
        retain_graph = create_graph
    seeds = [_seed(root, grad, i) for i, (root, grad) in enumerate(zip(roots, root_grads))]
    order = topological_order(roots)
    wanted = None if inputs is None else set(inputs)
    if wanted is not None and not allow_unused:
        reached = set(order)
        for i, t in enumerate(inputs or ()):
            if t not in reached:
                raise RuntimeError(
                    f"grad: input {i} (shape {t.shape}) was not used to compute the outputs; "
                    "pass allow_unused=True to get None for it"
                )
    xp: Any = tensor_xp if create_graph else numpy_xp

    pending: dict[Tensor, Any] = {}
    for root, seed in zip(roots, seeds):
        value = Tensor._wrap(seed) if create_graph else seed
        pending[root] = pending[root] + value if root in pending else value

    results: dict[Tensor, Any] = {}
    with set_grad_enabled(True) if create_graph else nullcontext():
        while order:
            # Popping (rather than iterating) drops our reference to each tensor as soon
            # as it is done, so with its links cut an intermediate value is freed here,
            # during backward, not all at once at the end.
            node = order.pop()
            g = pending.pop(node, None)
            op = node._ctx
            if g is not None:
                if wanted is None:  # backward(): leaves, and tensors that asked to keep it
                    keep = op is None or node._retains_grad
                else:  # grad(): exactly the requested inputs
                    keep = node in wanted
                if keep:
                    results[node] = g
                if op is not None:
                    _chain_rule_step(op, node, g, pending, xp, create_graph, observer)
            if op is not None and not retain_graph:
                op.parents = op.saved = None
    return results


def _chain_rule_step(
    op: Op,
    node: Tensor,
    g: Any,
    pending: dict[Tensor, Any],
    xp: Any,
    create_graph: bool,
    observer: Observer | None = None,
) -> None:
    """Send ``g`` back through ``op`` and add each input's share to its pending gradient.

    The op gives one vector-Jacobian product per input. With ``create_graph`` it sees
    Tensors, so its arithmetic is recorded; otherwise the arrays saved at forward time.
    A share shaped like the (broadcast) output is first summed back to the input's shape.
    """
    parents: Any = op.parents
    args: Any = (*parents, node) if create_graph else op.saved
    sent = []
    for position, (parent, share) in enumerate(zip(parents, op.backward(xp, g, *args))):
        if share is None or not parent.requires_grad:
            continue
        shape = parent.data.shape
        if share.shape != shape:
            share = xp.unbroadcast(share, shape)
        previous = pending.get(parent)
        pending[parent] = share if previous is None else previous + share
        if observer is not None:
            sent.append((position, parent, share, pending[parent]))
    if observer is not None:
        observer(node, g, sent)


def backward(
    roots: Sequence[Tensor],
    grads: Sequence[Operand] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """Backpropagate from ``roots`` and add the results to the leaves' ``.grad``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
        >>> backward([x * 3], [[1.0, 1.0]])
        >>> x.grad
        Tensor([3., 3.])
    """
    grads = [None] * len(roots) if grads is None else grads
    results = run_backward(roots, grads, retain_graph, create_graph)
    handed_out: set[int] = set()
    for tensor, g in results.items():
        g = _final_grad(tensor, g, create_graph, handed_out)
        tensor.grad = g if tensor.grad is None else _accumulate(tensor.grad, g)


def _final_grad(tensor: Tensor, g: Any, create_graph: bool, handed_out: set[int]) -> Tensor:
    """The gradient as a Tensor in ``tensor``'s dtype.

    A plain (not create_graph) gradient must own its memory: an op may have passed the
    same array to two inputs (``x + y``) or returned a view, so those are copied.
    """
    if g.dtype != tensor.dtype:
        g = g.astype(tensor.dtype)
    if create_graph:
        return g
    if g.base is not None or id(g) in handed_out:
        g = g.copy()
    handed_out.add(id(g))
    return Tensor._wrap(g)


def _accumulate(old: Tensor, new: Tensor) -> Tensor:
    """old + new, recorded only if either is part of a graph (create_graph)."""
    if old.requires_grad or new.requires_grad:
        return old + new
    return Tensor._wrap(old.data + new.data)


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
    results = run_backward(outs, upstream, retain_graph, create_graph, ins, allow_unused)
    handed_out: set[int] = set()
    return tuple(
        _final_grad(t, results[t], create_graph, handed_out) if t in results else None for t in ins
    )
