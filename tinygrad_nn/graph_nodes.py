"""Every node of a graph, constants included: what drawings, explanations, exercises and
generated code show (the engine itself walks only what requires grad:
:func:`tinygrad_nn.backprop.topological_order`).

Examples:
    >>> import tinygrad_nn as tg
    >>> a = tg.Tensor(1.0, requires_grad=True, name="a")
    >>> [n.label for n in graph_nodes(a * 2 + 1)]
    ['a', None, None]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tinygrad_nn.backprop import creation_number, node_of
from tinygrad_nn.node import Node

if TYPE_CHECKING:
    from tinygrad_nn.tensor import Tensor


def graph_nodes(root: Tensor) -> list[Node]:
    """Every node ``root`` was computed from — constants included — in creation order.

    Unlike :func:`topological_order` (which the engine uses), this also lists inputs that
    do not require grad: drawings and generated code show them too.

    Examples:
        >>> import tinygrad_nn as tg
        >>> a = tg.Tensor(1.0, requires_grad=True, name="a")
        >>> [n.name for n in graph_nodes(a * tg.Tensor(2.0, name="two"))]
        ['a', 'two', 'mul']
    """
    start = node_of(root)
    found = {start}
    stack = [start]
    while stack:
        node = stack.pop()
        for parent in node.parents:
            if parent not in found:
                found.add(parent)
                stack.append(parent)
    return sorted(found, key=creation_number)
