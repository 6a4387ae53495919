"""The values of a graph of op nodes, for drawing: tensors where they are held, stand-ins
where they are not.

The graph links each op to the ops that made its inputs (:class:`tinygrad_nn.ops.Op`),
and keeps only the arrays the backward rules read, so a computed value the user no
longer holds may be gone: a pre-activation ``x @ w`` under a sigmoid is freed during
forward, and backward frees the rest. :func:`graph_values` lists one value per node: a
leaf as itself, a computed value as its tensor when the caller still holds it, else a
:class:`ComputedValue` with the op's facts (name, shape, dtype) and its array when some
op kept it for backward — its own output, or an input a later op saved.

Examples:
    >>> import tinygrad_nn as tg
    >>> w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    >>> loss = (w.exp() * w).sum()
    >>> [type(v).__name__ for v in graph_values(loss, {})]
    ['Tensor', 'ComputedValue', 'ComputedValue', 'Tensor']
    >>> graph_values(loss, {})[1].array   # exp's output: mul keeps it for its rule
    array([2.71828183, 7.3890561 ])
"""

from __future__ import annotations

from typing import Any

from tinygrad_nn.backprop import creation_number, node_of
from tinygrad_nn.graph_nodes import graph_nodes
from tinygrad_nn.ops import Op
from tinygrad_nn.ops.base import KEEP, OUTPUT, ArrayFacts
from tinygrad_nn.tensor import Tensor

NOT_KEPT = "not kept (no backward rule reads it)"
FREED = "freed by backward()"


class ComputedValue:
    """A computed value with no tensor at hand: its op's facts, its array if kept, and
    (when it has none) why: no rule reads it, or backward freed it."""

    grad = _grad = None  # _grad: the slot a Tensor's .grad reads
    requires_grad = True

    def __init__(self, op: Op, data: Any, read: bool) -> None:
        self.name, self.shape, self.dtype = op.label, op.out_shape, op.out_dtype
        self._seq, self._ctx, self.array = op._seq, op, data
        self.missing = FREED if read else NOT_KEPT

    @property
    def ndim(self) -> int:
        return len(self.shape)


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


def graph_values(root: Tensor, alive: dict[int, Tensor]) -> list[Any]:
    """One value per node of ``root``'s graph, in creation order: leaves as themselves,
    computed values as the tensor in ``alive`` (``id(op) -> the tensor it made``, e.g.
    held by the caller's variables) or a :class:`ComputedValue`."""
    nodes = graph_nodes(root)
    ops = [n for n in nodes if isinstance(n, Op)]
    kept, read = kept_arrays(ops), read_by_rules(ops)
    alive = {**alive, id(root._ctx): root} if root._ctx is not None else alive
    values: list[Any] = []
    for node in nodes:
        if isinstance(node, Op) and id(node) in alive:
            values.append(alive[id(node)])
        elif isinstance(node, Op):
            values.append(ComputedValue(node, kept.get(id(node)), id(node) in read))
        else:
            values.append(node)
    return sorted(values, key=creation_number)


def value_of_node(values: list[Any]) -> dict[int, Any]:
    """``id(node) -> its value`` for the graph's values: how :func:`inputs_of` finds an
    op's inputs among them."""
    return {id(node_of(v)): v for v in values}


def inputs_of(op: Op, value_of: dict[int, Any]) -> list[Any]:
    """The op's inputs as values, one per parent (None for one not among them)."""
    return [value_of.get(id(p)) for p in op.parents]
