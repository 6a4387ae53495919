"""Drawing a graph after ``backward()`` freed it: the structure stays, the arrays go.

A backward pass releases each op's saved arrays and its links to its input tensors, so
intermediate values can be freed (:meth:`tinygrad_nn.ops.Op.release`). Each op keeps
what a drawing needs: its inputs (leaves as themselves, computed values as the op that
made them) and its output's name, shape and dtype. :func:`graph_values` walks that,
standing a :class:`FreedValue` in for each computed value — unless the tensor itself is
known to be alive (the caller still holds it), which is then drawn with its value.

Examples:
    >>> import tinygrad_nn as tg
    >>> w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    >>> loss = (w * w).sum()
    >>> loss.backward()
    >>> [type(v).__name__ for v in graph_values(loss, {})]
    ['Tensor', 'FreedValue', 'Tensor']
"""

from __future__ import annotations

from typing import Any

from tinygrad_nn.backprop import creation_number, graph_tensors
from tinygrad_nn.ops import Op
from tinygrad_nn.tensor import Tensor


class FreedValue:
    """A computed value whose array backward() freed: name, shape, dtype and its op."""

    data = None
    grad = None
    requires_grad = True

    def __init__(self, op: Op) -> None:
        assert op.kept is not None
        _, self.name, self.shape, self.dtype, self._seq = op.kept
        self._ctx = op

    @property
    def ndim(self) -> int:
        return len(self.shape)


def inputs_of(op: Op, value_of: dict[int, Any]) -> list[Any]:
    """The op's inputs as graph nodes: its parents, or (freed) the values standing in."""
    if op.parents is not None:
        return list(op.parents)
    if op.kept is None:
        return []
    return [value_of[id(i)] if isinstance(i, Op) else i for i in op.kept[0]]


def graph_values(root: Tensor, alive: dict[int, Tensor]) -> list[Any]:
    """Every value ``root`` was computed from, in creation order; a freed one is the
    tensor in ``alive`` (``id(op) -> the tensor it made``) or a :class:`FreedValue`."""
    if root._ctx is None or not root._ctx.freed:
        return graph_tensors(root)
    value_of: dict[int, Any] = {}
    found = {id(root): root}
    stack: list[Any] = [root]
    while stack:
        op = stack.pop()._ctx
        if op is None:
            continue
        if op.parents is None and op.kept is not None:
            for i in op.kept[0]:
                if isinstance(i, Op) and id(i) not in value_of:
                    held = alive.get(id(i))
                    value_of[id(i)] = FreedValue(i) if held is None else held
        for value in inputs_of(op, value_of):
            if id(value) not in found:
                found[id(value)] = value
                stack.append(value)
    return sorted(found.values(), key=creation_number)


def freed_inputs(values: list[Any]) -> dict[int, Any]:
    """``id(op) -> its output's node`` for the ops among ``values``: how
    :func:`inputs_of` finds a freed op's inputs again."""
    return {id(v._ctx): v for v in values if v._ctx is not None}
