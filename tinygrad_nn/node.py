"""The graph's node: one kind of value, whether a leaf or computed.

A node has a shape, a dtype, a label, the nodes it was computed from (``parents``) and the
rule that computed it (``rule``). A *leaf* is a tensor the user made (data, weights): it
is its own node (no parents, no rule). A computed value's node is the op that made it
(:class:`tinygrad_nn.ops.Op` is a Node whose rule is itself), so a computed tensor the
user no longer holds is freed while its node stays, with its facts, for backward and
for drawings.

Examples:
    >>> import tinygrad_nn as tg
    >>> w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    >>> node = (w * 3).op
    >>> node.rule.name, node.out_shape, [(p.label, p.rule) for p in node.parents]
    ('mul', (2,), [('w', None)])
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

Shape = tuple[int, ...]
Constants = tuple[tuple[int, Any], ...]  # an op's number inputs: (position, value) pairs

# Every tensor (and every noted event) takes the next creation number when it is made, so a
# value is always numbered after the values it was computed from: sorting a graph's nodes by
# it lists every input before its uses, a topological order for free.
creation = itertools.count()


class Node:
    """A value of the graph. Every node answers the same questions; a leaf's answers are
    the defaults here (no parents, no rule), a computed value's are set by ``apply``.

    - ``parents``: the nodes of its inputs, in order (numbers given to the op are not
      nodes: they are in ``constants`` as ``(position, value)``);
    - ``rule``: the op that computed it, None for a leaf;
    - ``saved``: ``backward``'s arguments after the gradient: one per input (numbers too)
      and the output (None for each the rule does not read); None once backward freed it;
    - ``out_shape``, ``out_dtype``, ``label``: the value's shape, dtype and name;
    - ``scope``: the ``nn.Module`` calls it was made in, ``(module, call number)`` pairs;
    - ``requires_grad``: whether gradients flow to it; ``_seq``: its creation number.
    """

    __slots__ = ()  # a Tensor is a Node too and keeps its own slots

    parents: tuple[Node, ...] = ()
    constants: Constants = ()  # set by apply
    saved: tuple[Any, ...] | None = None
    scope: tuple[Any, ...] = ()
    retained: Callable[[], Any] | None = None  # retain_grad(): a weak reference to the tensor
    rule: Any = None  # the op that computed the value (an Op); None for a leaf
    requires_grad: bool
    _seq: int

    # A leaf (a Tensor) answers these from its array; an op sets them when it is recorded.
    @property
    def out_shape(self) -> Shape:
        """The value's shape."""
        raise NotImplementedError

    @property
    def out_dtype(self) -> Any:
        """The value's dtype."""
        raise NotImplementedError

    @property
    def label(self) -> str | None:
        """The value's name, if it was given one."""
        raise NotImplementedError
