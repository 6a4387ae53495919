"""What a drawing can show of each node's value: the array where it is known, else why not.

The graph links each op to the ops that made its inputs (:class:`tinygrad_nn.ops.Op`),
and keeps only the arrays the backward rules read, so a computed value the user no
longer holds may be gone: a pre-activation ``x @ w`` under a sigmoid is freed during
forward, and backward frees the rest. :func:`node_values` gives, for every node, the
tensor the caller holds (a leaf is its own), its array — the held tensor's, or one an op
kept for backward (its own output, or an input a later op saved) — and, when there is
none, why. Drawings then work on the nodes themselves.

Examples:
    >>> import tinygrad_nn as tg
    >>> w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    >>> loss = (w.exp() * w).sum()
    >>> [(n.rule.name if n.rule else n.label, held is not None)
    ...  for n, held, _, _ in node_values(loss, {})]
    [('w', True), ('exp', False), ('mul', False), ('sum', True)]
    >>> node_values(loss, {})[1][2]   # exp's output: mul keeps it for its rule
    array([2.71828183, 7.3890561 ])
"""

from __future__ import annotations

from typing import Any

from tinygrad_nn.graph_nodes import graph_nodes
from tinygrad_nn.node import Node
from tinygrad_nn.ops import Op
from tinygrad_nn.ops.base import KEEP, OUTPUT, ArrayFacts
from tinygrad_nn.tensor import Tensor

NOT_KEPT = "not kept (no backward rule reads it)"
FREED = "freed by backward()"

# (the node, the tensor the caller holds or None, its array or None, why there is none)
NodeValue = tuple[Node, Tensor | None, Any, str]


def kept_arrays(ops: list[Op]) -> dict[int, Any]:
    """``id(node) -> its array``, for every value some op kept for its backward rule."""
    kept: dict[int, Any] = {}
    for op in ops:
        saved = op.saved
        if saved is None:
            continue
        for node, array in zip((*op.parents, op), (*_inputs_only(op, saved), saved[-1])):
            if array is not None and not isinstance(array, ArrayFacts):
                kept.setdefault(id(node), array)
    return kept


def read_by_rules(ops: list[Op]) -> set[int]:
    """The ids of the nodes whose array some rule reads, by the ops' ``saves``
    declarations (so known after backward freed the arrays too)."""
    read: set[int] = set()
    for op in ops:
        if op.saves_at(OUTPUT) == KEEP:
            read.add(id(op))
        for node, position in zip(op.parents, op.parent_positions()):
            if op.saves_at(position) == KEEP:
                read.add(id(node))
    return read


def _inputs_only(op: Op, saved: tuple[Any, ...]) -> list[Any]:
    """The saved inputs of ``op`` without the numbers given to it (one per parent)."""
    numbers = {position for position, _ in op.constants}
    return [a for i, a in enumerate(saved[:-1]) if i not in numbers]


def node_values(root: Tensor, alive: dict[int, Tensor]) -> list[NodeValue]:
    """What is known of each node of ``root``'s graph, in creation order: see the module.
    ``alive`` maps ``id(op) -> the tensor it made`` (e.g. held by the caller's variables)."""
    nodes = graph_nodes(root)
    ops = [n for n in nodes if isinstance(n, Op)]
    kept, read = kept_arrays(ops), read_by_rules(ops)
    alive = {**alive, id(root._ctx): root} if root._ctx is not None else alive
    values: list[NodeValue] = []
    for node in nodes:
        held = node if isinstance(node, Tensor) else alive.get(id(node))
        array = held.array if held is not None else kept.get(id(node))
        missing = "" if array is not None else FREED if id(node) in read else NOT_KEPT
        values.append((node, held, array, missing))
    return values
