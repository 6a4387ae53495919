"""Which tensor of a loss's graph a learner means by ``dW1``: the drawings' naming rules.

A tensor of the graph is known by every name a drawing could give it:

- the variables of the code that called :func:`~tinygrad_nn.exercises.check` (its
  locals, then its module's or notebook's globals) that hold it — or, for a leaf, the
  NumPy array it was made from;
- its explicit ``name=`` (a computed value keeps its name on its op, so it survives
  the tensor);
- its module parameter path, ``"0.weight"``, from the modules whose calls made the ops;
- for a computed value with none of those, the name drawings and ``viz.explain`` give
  it: ``matmul_out``, then ``matmul_out_2`` for the next one, in the order they were made.

The learner writes the gradient's name: ``dW1``, ``d_W1`` or plain ``W1`` all mean the
tensor named ``W1``. A name that fits two different tensors, or none, is an error that
lists what the graph does have.

Examples:
    >>> import tinygrad_nn as tg
    >>> w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    >>> names = graph_names(w.exp().sum(), {})
    >>> [(n.name, n.requires_grad) for n in resolve("dw", names)]
    [('w', True)]
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from types import FrameType
from typing import Any

import numpy as np

from tinygrad_nn.backprop import node_of
from tinygrad_nn.graph_nodes import graph_nodes
from tinygrad_nn.ops import Op
from tinygrad_nn.tensor import Tensor


@dataclass(frozen=True)
class Target:
    """One tensor of the graph, as a learner names it."""

    name: str  # the graph's name for it (``W1``), without the learner's ``d``
    node: Any  # its graph node: a leaf Tensor, or the Op that computed it
    tensor: Tensor | None  # a tensor on that node, if the caller holds one

    @property
    def shape(self) -> tuple[int, ...]:
        node = self.node
        return tuple(node.out_shape) if isinstance(node, Op) else tuple(node.shape)

    @property
    def requires_grad(self) -> bool:
        return bool(self.node.requires_grad)


def frame_variables(frame: FrameType | None) -> dict[str, Any]:
    """The tensors and arrays held by the variables of ``frame``: its locals first, then
    its globals. Names starting with ``_`` (a notebook's ``_3``) are skipped."""
    found: dict[str, Any] = {}
    if frame is None:
        return found
    for scope in (frame.f_locals, frame.f_globals):
        for name, value in list(scope.items()):
            if isinstance(value, (Tensor, np.ndarray)) and name.isidentifier() and name[0] != "_":
                found.setdefault(name, value)
    return found


def graph_names(loss: Tensor, variables: dict[str, Any]) -> dict[str, list[Target]]:
    """Every name of every tensor in ``loss``'s graph -> the tensors it names (more than
    one only when the name is ambiguous).

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.Tensor([1.0], requires_grad=True)
        >>> h = x.tanh()
        >>> sorted(graph_names(h.sum(), {"x": x, "h": h}))
        ['h', 'sum_out', 'x']
    """
    nodes = graph_nodes(loss)
    in_graph = set(nodes)
    held: dict[Any, Tensor] = {node_of(loss): loss}
    by_array = {id(n.array): n for n in nodes if isinstance(n, Tensor)}
    names: dict[str, list[Any]] = {}

    def add(name: str | None, node: Any) -> None:
        found = names.setdefault(name, []) if name else []
        if name and all(n is not node for n in found):  # by identity: == of tensors is elementwise
            found.append(node)

    for name, value in variables.items():
        if isinstance(value, Tensor) and node_of(value) in in_graph:
            held.setdefault(node_of(value), value)
            add(name, node_of(value))
        elif id(value) in by_array:  # the array a leaf was made from (``tg.Tensor(X)``)
            add(name, by_array[id(value)])
    for node in nodes:
        add(node.label, node)
        if node.scope:  # dotted paths from the outermost module
            for path, parameter in node.scope[0][0].named_parameters():
                if parameter in in_graph:
                    add(path, parameter)
    named = {id(n) for found in names.values() for n in found}
    for node in nodes:  # a value nobody named: as drawings call it, matmul_out, matmul_out_2
        if isinstance(node, Op) and id(node) not in named:
            add(_fresh(f"{node.name}_out", names), node)
    for node in nodes:
        if isinstance(node, Tensor):  # a leaf: the node is the tensor
            held.setdefault(node, node)
    return {name: [Target(name, n, held.get(n)) for n in found] for name, found in names.items()}


def _fresh(base: str, taken: dict[str, Any]) -> str:
    """``base``, or ``base_2``, ``base_3``... the first not taken (the drawings' rule)."""
    if base not in taken:
        return base
    number = 2
    while f"{base}_{number}" in taken:
        number += 1
    return f"{base}_{number}"


def spellings(name: str) -> list[str]:
    """The graph names a learner's ``name`` may mean: itself, and without ``d``/``d_``.

    Examples:
        >>> spellings("dW1"), spellings("d_W1"), spellings("W1")
        (['dW1', 'W1'], ['d_W1', '_W1', 'W1'], ['W1'])
    """
    found = [name]
    for prefix in ("d", "d_"):
        if name.startswith(prefix) and len(name) > len(prefix):
            found.append(name[len(prefix) :])
    return found


def resolve(name: str, names: dict[str, list[Target]]) -> list[Target]:
    """The tensors ``name`` can mean (checks nothing: see :func:`target_for`)."""
    found: list[Target] = []
    for spelling in spellings(name):
        for target in names.get(spelling, []):
            if all(t.node is not target.node for t in found):
                found.append(target)
    return found


def known_names(names: dict[str, list[Target]]) -> str:
    """The names that have a gradient, for error messages: ``W1 (3, 4), W2 (4, 1)``."""
    listed = [f"{n} {ts[0].shape}" for n, ts in names.items() if ts[0].requires_grad]
    return ", ".join(listed) or "none (no tensor in the graph requires grad)"


def nearest(name: str, known: list[str]) -> str | None:
    """The known name a typo most likely meant: the same but for case (``w2`` for
    ``W2``), else the closest spelling.

    Examples:
        >>> nearest("w2", ["W1", "W2"]), nearest("2.weights", ["2.weight", "2.bias"])
        ('W2', '2.weight')
    """
    for candidate in known:
        if candidate.lower() == name.lower():
            return candidate
    close = difflib.get_close_matches(name, known, 1)
    return close[0] if close else None


def target_for(name: str, names: dict[str, list[Target]]) -> Target:
    """The one tensor ``name`` means, or a clear error: unknown, ambiguous, or without a
    gradient (a leaf that does not require grad, like the data ``X``)."""
    found = resolve(name, names)
    if not found:
        wanted = spellings(name)[-1]
        near = nearest(wanted, [n for n, ts in names.items() if ts[0].requires_grad])
        hint = f". Did you mean {near!r}?" if near else ""
        raise KeyError(
            f"check: no tensor in the loss's graph is called {wanted!r} "
            f"(from {name!r}); the names you can check: {known_names(names)}{hint}"
        )
    if len(found) > 1:
        which = ", ".join(f"{t.name!r} of shape {t.shape}" for t in found)
        raise ValueError(
            f"check: {name!r} matches {len(found)} tensors in the graph ({which}); "
            "give them different names (name=...) or use the exact name, with a d in front "
            "for the gradient of a tensor whose name starts with d (ddh for dh)"
        )
    if not found[0].requires_grad:
        raise ValueError(
            f"check: {found[0].name!r} does not require grad, so the engine computes no "
            f"gradient for it (make it with requires_grad=True to check one); "
            f"the names you can check: {known_names(names)}"
        )
    return found[0]


__all__ = [
    "Target",
    "frame_variables",
    "graph_names",
    "known_names",
    "nearest",
    "resolve",
    "target_for",
]
