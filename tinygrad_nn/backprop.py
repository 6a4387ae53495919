"""The backward pass: walk the graph in reverse topological order, applying the chain rule.

For every node, from the output back to the leaves:

1. take the gradient ``g`` = dL/dnode accumulated for it (summed over everything it fed);
2. ask its op for each input's share (``op.backward``), the vector-Jacobian product:
   sigmoid's is ``g * z * (1 - z)``, the tutorial's ``2*(y - output) * sigmoid_derivative``;
3. sum each back to the input's shape where broadcasting stretched it;
4. add it to that input's pending gradient (fan-out means several contributions).

This is the only backward loop in the project. *How* a rule is evaluated is up to an
:class:`Interpreter`: on the arrays saved at forward time (:class:`SavedArrays`), on
Tensors so that the pass is itself recorded (``create_graph=True``), or on symbolic
values, with which :mod:`tinygrad_nn.compile` writes code. Unless ``retain_graph``,
each node's saved arrays are freed right after use, during the pass.

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
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from tinygrad_nn.dtypes import as_array
from tinygrad_nn.errors import FREED_GRAPH_MESSAGE
from tinygrad_nn.grad_mode import enable_grad
from tinygrad_nn.hooks import hooks
from tinygrad_nn.namespace import numpy_xp
from tinygrad_nn.namespace.declared import ArrayNamespace
from tinygrad_nn.node import Node
from tinygrad_nn.tensor_grad import check_seed

if TYPE_CHECKING:
    from tinygrad_nn.tensor import Tensor

creation_number = attrgetter("_seq")  # every tensor is made after the tensors it comes from


class Interpreter(Protocol):
    """How one backward pass evaluates the rules: with which ``xp``, on which values."""

    records: bool  # True when the pass itself is recorded (create_graph)

    @property
    def xp(self) -> ArrayNamespace: ...  # the namespace the rules are evaluated with

    def arguments(self, node: Any, /) -> tuple[Any, ...]: ...  # what its rule gets after g


def node_of(t: Tensor) -> Node:
    """The graph node of a tensor: the op that made it, or the tensor itself (a leaf)."""
    return t._ctx or t


def topological_order(roots: Sequence[Tensor]) -> list[Node]:
    """Every node that requires grad and leads to ``roots`` (the tensors backward starts
    from), each after all its inputs.

    A search with an explicit stack (no recursion: any depth works) collects them; sorting
    by creation number puts every input before its uses, as a value is always made after
    the values it is computed from.

    Examples:
        >>> import tinygrad_nn as tg
        >>> a = tg.Tensor(1.0, requires_grad=True, name="a")
        >>> b = (a * 2).exp()
        >>> [n.label or n.rule.name for n in topological_order([b])]   # a leaf, then ops
        ['a', 'mul', 'exp']
    """
    starts = [node_of(t) for t in roots]
    found = set(starts)
    stack = list(starts)
    while stack:
        node = stack.pop()
        parents = node.parents  # none for a leaf
        if parents and node.saved is None:
            raise RuntimeError(FREED_GRAPH_MESSAGE)
        for parent in parents:
            if parent.requires_grad and parent not in found:
                found.add(parent)
                stack.append(parent)
    return sorted(found, key=creation_number)


# Told of each chain-rule step: the op's node, its gradient, and for each input given a
# share: (its position among the parents, its node, the share, its gradient so far).
Observer = Callable[[Any, Any, list[tuple[int, Any, Any, Any]]], None]  # (an op's node, ...)


def run_backward(
    roots: Sequence[Tensor],
    seeds: Sequence[Any],
    interpreter: Interpreter,
    retain_graph: bool = False,
    inputs: Sequence[Tensor] | None = None,
    observer: Observer | None = None,
) -> dict[Tensor, Any]:
    """Backpropagate ``seeds`` (one starting gradient per root) through the graph.

    Returns the final gradient of every leaf that requires grad (plus every tensor that
    called ``retain_grad``), or of exactly ``inputs`` when given, as values of the
    interpreter's kind. Nothing is written to any ``.grad`` here. ``observer``, when given,
    is told about every chain-rule step (see :data:`Observer`), after ``hooks.observers``.
    """
    order = topological_order(roots)
    wanted = None if inputs is None else {node_of(t): t for t in inputs}
    watchers: list[Observer] = [o.sent for o in hooks.observers]  # anomaly mode: checks
    if observer is not None:
        watchers.append(observer)
    pending: dict[Node, Any] = {}
    for root, seed in zip(roots, seeds):  # the same root twice: its seeds add up
        node = node_of(root)
        pending[node] = pending[node] + seed if node in pending else seed

    results: dict[Tensor, Any] = {}
    with enable_grad() if interpreter.records else nullcontext():
        while order:
            # Popping (rather than iterating) drops our reference to each node as soon
            # as it is done, so with its saved arrays released an intermediate value is
            # freed here, during backward, not all at once at the end.
            node = order.pop()
            g = pending.pop(node, None)
            computed = node.parents  # a leaf has none
            if g is not None:
                if wanted is not None:  # grad(): exactly the requested inputs
                    if node in wanted:
                        results[wanted[node]] = g
                elif not computed:  # backward(): the leaves (not x after x.add_(y))...
                    if node._ctx is None:  # type: ignore[attr-defined]
                        results[node] = g  # type: ignore[index]
                elif node.retained is not None:  # ...and values that asked to keep it
                    kept = node.retained()
                    if kept is not None:
                        results[kept] = g
                if computed:
                    _chain_rule_step(node, g, pending, interpreter, watchers)
            if computed and not retain_graph:
                node.saved = None  # type: ignore[misc]  # its arrays go; the structure stays
    return results


def _chain_rule_step(
    op: Any,
    g: Any,
    pending: dict[Node, Any],
    interpreter: Interpreter,
    watchers: list[Observer],
) -> None:
    """Send ``g`` back through ``op`` and add each input's share to its pending gradient.

    A share shaped like the (broadcast) output is first summed back to the input's shape.
    Inputs that were Python numbers (the op's constants) get no share.
    """
    xp = interpreter.xp
    shares: Any = op.backward(xp, g, *interpreter.arguments(op))
    parents: Any = op.parents
    constants = op.constants
    # A number input gets no share. zip() below pairs each parent with its share and stops
    # at the last parent, so only numbers before a parent (2.0 - x) need removing; x * 2.0
    # needs nothing (bench/instructions.py, the chain's eager step: 100.7M -> 98.7M).
    if constants and constants[0][0] < len(parents):
        shares = list(shares)
        for position, _ in reversed(constants):
            del shares[position]
    sent = []
    for position, (parent, share) in enumerate(zip(parents, shares)):
        if share is None or not parent.requires_grad:
            continue
        shape = parent.out_shape
        if share.shape != shape:
            share = xp.unbroadcast(share, shape)
        previous = pending.get(parent)
        pending[parent] = share if previous is None else previous + share
        if watchers:
            sent.append((position, parent, share, pending[parent]))
    for watch in watchers:
        watch(op, g, sent)


# ------------------------------- the plain interpreter (create_graph's: higher_order.py)


class SavedArrays:
    """The plain backward pass: rules run on the NumPy arrays saved at forward time.

    Args:
        wrap: makes a Tensor around a gradient array (``Tensor._wrap``).
        xp: the namespace the rules are evaluated with.
    """

    records = False

    def __init__(self, wrap: Callable[[Any], Tensor], xp: ArrayNamespace = numpy_xp) -> None:
        self.wrap, self.xp = wrap, xp

    def for_graph(self, root: Tensor) -> SavedArrays:
        """The interpreter for ``root``'s graph. An op never mixes array libraries, so a
        whole graph lives in its root's: NumPy's (this one), or another's (``hooks``)."""
        if type(root.array) is np.ndarray:
            return self
        return hooks.interpreter(self, root)

    def arguments(self, node: Node) -> tuple[Any, ...]:
        return node.saved  # type: ignore[return-value]

    def seed(self, root: Tensor, grad: Any) -> Any:
        if grad is None:  # dL/dL = 1
            return np.array(1, root.array.dtype).reshape(root.array.shape)
        return as_array(grad).astype(root.array.dtype)  # a copy: the caller keeps their array

    def result(self, tensor: Tensor, g: Any, handed_out: set[int]) -> Tensor:
        """The gradient as a Tensor in ``tensor``'s dtype, owning its memory.

        An op may have passed the same array to two inputs (``x + y``) or returned a
        view, so those are copied.
        """
        if isinstance(g, np.generic):  # NumPy gives scalars for 0-d results
            g = np.asarray(g)
        if g.dtype != tensor.array.dtype:
            g = g.astype(tensor.array.dtype)
        if g.base is not None or id(g) in handed_out:
            g = g.copy()
        handed_out.add(id(g))
        return self.wrap(g)


def gradients(
    outputs: Sequence[Tensor],
    grads: Sequence[Any],
    interpreter: Any,
    retain_graph: bool,
    inputs: Sequence[Tensor] | None = None,
    accumulate: bool = False,
) -> dict[Tensor, Tensor]:
    """Run the backward pass from ``outputs`` (seeded with ``grads``, None meaning 1), with
    an interpreter that also makes the seeds and results (``for_graph``, ``seed``,
    ``result``: :class:`SavedArrays`, create_graph's ``RecordedValues``).

    Returns the final gradient, as a Tensor in its dtype, of every leaf that requires
    grad (and tensor that called ``retain_grad``), or of exactly ``inputs``; with
    ``accumulate`` (what ``backward()`` does) each is also added to its ``.grad``. Every
    check happens before any work, so a bad call changes nothing.
    """
    interpreter = interpreter.for_graph(outputs[0])
    for i, (root, grad) in enumerate(zip(outputs, grads)):
        check_seed(root, grad, i)  # all before any work
    seeds = [interpreter.seed(root, grad) for root, grad in zip(outputs, grads)]
    results = run_backward(outputs, seeds, interpreter, retain_graph, inputs)
    handed_out: set[int] = set()
    for t, g in results.items():
        results[t] = final = interpreter.result(t, g, handed_out)
        if accumulate:
            add_to_grad(t, final)
    return results


def add_to_grad(tensor: Tensor, g: Tensor) -> None:
    """Add ``g`` into ``.grad`` as PyTorch does: out of place (a ``.grad`` held stays)."""
    previous = tensor._grad  # the slot (the .grad property warns on non-leaf tensors)
    tensor._grad = g if previous is None else previous + g
