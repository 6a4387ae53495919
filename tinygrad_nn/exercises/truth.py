"""The true gradients, computed by the engine, with what a diagnosis needs to know.

One backward pass from the loss (the graph kept, no ``.grad`` touched) gives each
checked tensor's gradient and, through the engine's observer, every chain-rule step:
the gradient arriving at each op from above and the share it sends each input. The
shares a tensor receives are its gradient through each of its uses (a value used twice
gets two). :meth:`Truth.rewired` answers "what would the gradient be if one op's rule
were written differently?" — how a wrong hand derivation is recognised — by sending the
difference back from that op's inputs with the same engine: gradients are linear in
what flows back, so nothing else has to be recomputed.

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.Tensor(3.0, requires_grad=True, name="x")
    >>> truth = Truth((x * 2.0 + x).sum(), [x])
    >>> float(truth.gradient(x)), [float(s.share) for s in truth.uses(x)]
    (3.0, [1.0, 2.0])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_nn.backprop import FREED_GRAPH_MESSAGE, node_of, run_backward
from tinygrad_nn.graph_nodes import graph_nodes
from tinygrad_nn.namespace import numpy_xp
from tinygrad_nn.namespace.array_api import to_numpy
from tinygrad_nn.ops import Op
from tinygrad_nn.ops.base import ArrayFacts
from tinygrad_nn.tensor import SAVED_ARRAYS, Tensor


@dataclass
class Use:
    """One use of a value: the op that read it (at ``position`` among its parents) and
    the gradient that came back along that edge, summed to the value's shape."""

    op: Op
    position: int
    share: np.ndarray


def tensor_on(node: Any) -> Tensor:
    """A tensor standing for ``node`` (the engine only asks a root or an input for its
    node): a leaf as itself, a computed value as a new Tensor on its op."""
    if isinstance(node, Tensor):
        return node
    return Tensor._wrap(np.empty(0), True, node)


def shape_of(node: Any) -> tuple[int, ...]:
    """A node's shape: a leaf's array, or an op's output facts."""
    return tuple(node.out_shape) if isinstance(node, Op) else tuple(node.array.shape)


class Truth:
    """The engine's gradients of ``loss`` with respect to ``targets``, with every step.

    Args:
        loss: a one-element tensor whose graph is still there.
        targets: the graph nodes (or tensors) to differentiate with respect to.
    """

    def __init__(self, loss: Tensor, targets: list[Any]) -> None:
        if loss.array.size != 1:
            raise ValueError(
                f"check: the loss must be a single number, but it has shape {loss.shape}; "
                "sum it (or take its mean) first"
            )
        if not loss.requires_grad:
            raise ValueError(
                "check: the loss does not require grad: none of the tensors it was computed "
                "from has requires_grad=True, so it has no gradients to check"
            )
        self.loss = loss
        self.upstream: dict[Any, np.ndarray] = {}  # op -> the gradient arriving from above
        self.shares: dict[Any, list[Use]] = {}  # node -> its uses, in backward order
        self.numpy = type(loss.array) is np.ndarray  # rules can be re-run with NumPy
        self._values: dict[Any, Any] = {}
        self._grads = self._backward([loss], [None], targets, self._observe)

    def _observe(self, op: Op, g: Any, sent: list[tuple[int, Any, Any, Any]]) -> None:
        self.upstream[op] = np.array(to_numpy(g))
        for position, parent, share, _ in sent:
            self.shares.setdefault(parent, []).append(Use(op, position, np.array(to_numpy(share))))

    def _backward(
        self, roots: list[Any], seeds: list[Any], targets: list[Any], observer: Any = None
    ) -> dict[Any, np.ndarray]:
        """Run the engine's backward pass; the gradient of each target node, as NumPy."""
        loss = self.loss
        interpreter = SAVED_ARRAYS.for_graph(loss)
        seeds = [interpreter.seed(loss, None) if s is None else s for s in seeds]
        wanted = [tensor_on(node_of(t) if isinstance(t, Tensor) else t) for t in targets]
        try:
            found = run_backward(
                [tensor_on(r) for r in roots], seeds, interpreter, True, wanted, observer
            )
        except RuntimeError as error:
            if str(error) != FREED_GRAPH_MESSAGE:
                raise
            raise RuntimeError(
                "check: the loss's graph was freed by an earlier backward(), which releases "
                "the saved arrays; compute the loss again (or call backward(retain_graph=True))"
            ) from None
        return {node_of(t): np.asarray(to_numpy(g)) for t, g in found.items()}

    def gradient(self, target: Any) -> np.ndarray:
        """dL/d(target), zeros where the loss does not depend on it."""
        node = node_of(target) if isinstance(target, Tensor) else target
        found = self._grads.get(node)
        return np.zeros(shape_of(node)) if found is None else found

    def uses(self, target: Any) -> list[Use]:
        """The gradient of ``target`` through each of its uses (they sum to the gradient)."""
        node = node_of(target) if isinstance(target, Tensor) else target
        return self.shares.get(node, [])

    def ops_after(self, target: Any) -> list[Op]:
        """The ops that depend on ``target``, from the loss back: where a mistake in the
        chain rule changes ``target``'s gradient."""
        node = node_of(target) if isinstance(target, Tensor) else target
        depends = {node}
        found = []
        for n in graph_nodes(self.loss):
            if isinstance(n, Op) and any(p in depends for p in n.parents):
                depends.add(n)
                if n in self.upstream:
                    found.append(n)
        return found[::-1]

    def value(self, node: Any) -> np.ndarray:
        """A node's forward value: a leaf's array, the array an op kept, else recomputed
        from its inputs with its own forward rule (a pre-activation nobody kept)."""
        if node in self._values:
            return self._values[node]
        if not isinstance(node, Op):
            return np.asarray(to_numpy(node.array))
        pending = [node]
        while pending:  # inputs before the values computed from them, without recursion
            op = pending[-1]
            kept = op.saved[-1] if op.saved else None
            if kept is not None and not isinstance(kept, ArrayFacts):
                self._values[op] = np.asarray(kept)
                pending.pop()
                continue
            missing = [p for p in op.parents if isinstance(p, Op) and p not in self._values]
            if missing:
                pending.extend(missing)
                continue
            inputs = [p.array if isinstance(p, Tensor) else self._values[p] for p in op.parents]
            self._values[op] = np.asarray(op.forward(numpy_xp, *op.with_constants(inputs)))
            pending.pop()
        return self._values[node]

    def shares_of(self, op: Op, g: np.ndarray, arguments: tuple[Any, ...]) -> list[Any]:
        """What ``op``'s rule sends each parent for upstream ``g`` and ``arguments``
        (the saved arrays, or substitutes), summed to each parent's shape."""
        out = op.backward(numpy_xp, g, *arguments)
        positions = op.parent_positions()
        shares = []
        for k, parent in enumerate(op.parents):
            share = out[positions[k]]
            if share is not None:
                share = numpy_xp.unbroadcast(np.asarray(share), shape_of(parent))
            shares.append(share)
        return shares

    def rewired(self, op: Op, shares: list[Any], target: Any) -> np.ndarray:
        """dL/d(target) had ``op`` sent ``shares`` (one per parent) instead of its own.

        The difference of each share is sent back from that parent with the engine and
        added to the true gradient.
        """
        roots, seeds = [], []
        for k, (parent, share) in enumerate(zip(op.parents, shares)):
            recorded = [u.share for u in self.uses(parent) if u.op is op and u.position == k]
            if share is None or not recorded or not parent.requires_grad:
                continue
            roots.append(parent)
            seeds.append(np.asarray(share, dtype=recorded[0].dtype) - recorded[0])
        node = node_of(target) if isinstance(target, Tensor) else target
        if not roots:
            return self.gradient(node)
        change = self._backward(roots, seeds, [node]).get(node)
        return self.gradient(node) if change is None else self.gradient(node) + change


__all__ = ["Truth", "Use", "shape_of", "tensor_on"]
