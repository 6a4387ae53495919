"""The graph's node, the engine's modes, and the one place other code attaches to the engine.

**Node.** A computation graph has one kind of node: a value, with its shape, dtype, label,
the nodes it was computed from (``parents``) and the rule that computed it (``rule``). A
leaf tensor is its own node (no parents, no rule); a computed value's node is the op that
made it (:class:`tinygrad_nn.ops.Op` is a Node whose rule is itself), so a computed tensor
the user no longer holds is freed while its node stays, with its facts, for backward and
for drawings.

**Mode.** :data:`mode` holds every switch the engine reads: grad mode (``no_grad``), the
``nn.Module`` calls in progress (``scope``), tracing by :func:`tinygrad_nn.compile`, and
anomaly mode. Grad mode, scope and tracing are per thread, as PyTorch's grad mode;
anomaly mode is for the whole process, as PyTorch's.

**Hooks.** The core runs on NumPy arrays and does nothing else. Anomaly mode, the
compiler's tracing, ``run --explain`` and arrays of other libraries attach through
:data:`hooks`: its ``observers`` (empty by default) are told of every op applied, every
``backward()`` call and every chain-rule step.

Examples:
    >>> import tinygrad_nn as tg
    >>> w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    >>> node = (w * 3).op
    >>> node.rule.name, node.out_shape, [p.label for p in node.parents], hooks.observers
    ('mul', (2,), ['w'], [])
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from typing import Any

Shape = tuple[int, ...]

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
    - ``saved``: what the rule reads in backward, None once backward released it;
    - ``out_shape``, ``out_dtype``, ``label``: the value's shape, dtype and name;
    - ``scope``: the ``nn.Module`` calls it was made in, ``(module, call number)`` pairs;
    - ``requires_grad``: whether gradients flow to it; ``_seq``: its creation number.
    """

    __slots__ = ()  # a Tensor is a Node too and keeps its own slots

    parents: tuple[Node, ...] = ()
    constants: tuple[tuple[int, Any], ...] = ()
    saved: tuple[Any, ...] | None = None
    scope: tuple[Any, ...] = ()
    retained: Callable[[], Any] | None = None  # the computed tensor, if it called retain_grad()
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

    def with_constants(self, values: Sequence[Any]) -> list[Any]:
        """``values`` (one per parent) with the numbers given to the op in their places."""
        merged = list(values)
        for position, value in self.constants:
            merged.insert(position, value)
        return merged

    def parent_positions(self) -> list[int]:
        """The position among all inputs of each parent (the constants take the others)."""
        taken = {position for position, _ in self.constants}
        return [i for i in range(len(self.parents) + len(taken)) if i not in taken]

    @property
    def freed(self) -> bool:
        """True once backward released the saved arrays (the facts stay, for drawings)."""
        return self.saved is None and bool(self.parents)


class Mode(threading.local):
    """The engine's switches. Per thread, except ``anomaly``: a class attribute, set for
    the whole process (:class:`tinygrad_nn.detect_anomaly`)."""

    grad_enabled: bool = True  # record ops for backward (no_grad turns it off)
    scope: tuple[Any, ...] = ()  # the nn.Module calls in progress, outermost first
    tracing: bool = False  # tg.compile is tracing: reading a value (.item()) is an error
    events: list[tuple[Any, ...]] | None = None  # a traced training step's calls, in order
    anomaly: bool = False


mode = Mode()


class Observer:
    """Code outside the core that the core tells what it does; each method here does
    nothing. Subclass it and append an instance to ``hooks.observers``."""

    def applied(self, op: Any, arrays: Sequence[Any], out: Any) -> None:
        """An op ran forward on ``arrays`` and made ``out`` (raising stops it)."""

    def backward(self, root: Any, grad: Any, create_graph: bool) -> bool:
        """``root.backward(grad)`` was called; return True to take the call over."""
        return False

    def sent(self, node: Node, g: Any, shares: list[tuple[int, Node, Any, Any]]) -> None:
        """One chain-rule step: ``node``'s gradient ``g`` was sent back; for each parent that
        got a share, ``(position, parent, share, its gradient so far)``."""


def _numpy_only(arrays: Sequence[Any], op: Any) -> Any:
    kinds = sorted({type(a).__name__ for a in arrays})
    raise TypeError(f"{op.name}: the engine computes on NumPy arrays, not {', '.join(kinds)}")


class Hooks:
    """Where the rest of tinygrad_nn attaches to the core (see the module's docs).

    ``observers`` is empty by default. For arrays of other libraries than NumPy (set when
    :mod:`tinygrad_nn.foreign` is imported): ``namespace(arrays, op)`` gives their ``xp``,
    ``interpreter(plain, root)`` the backward interpreter of a graph of them, and
    ``is_array(value)`` says whether a value is one.
    """

    def __init__(self) -> None:
        self.observers: list[Observer] = []
        self.namespace: Callable[[Sequence[Any], Any], Any] = _numpy_only
        self.interpreter: Callable[[Any, Any], Any] = lambda plain, root: plain
        self.is_array: Callable[[Any], bool] = lambda value: False


hooks = Hooks()
