"""The computation graph as plain data: tensor nodes, op nodes, labelled edges, clusters.

Every drawing (graphviz, Mermaid, text) is rendered from this one description, so they
all show the same nodes, names, values, gradients and formulas.

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.Tensor(2.0, requires_grad=True, name="x")
    >>> graph = build_graph(x * x)
    >>> [(e.source, e.target, e.label) for e in graph.edges]
    [('x', 'mul', 'dz/dx = y'), ('x', 'mul', 'dz/dy = x'), ('mul', 'mul_out', '')]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_nn.ops import Op
from tinygrad_nn.tensor import Tensor
from tinygrad_nn.viz.freed import freed_inputs, graph_values, inputs_of
from tinygrad_nn.viz.naming import caller_tensors, input_names, named_formula

# A leaf that requires grad is a "parameter" when a module owns it, else a "leaf" (with
# grad): a tensor the user made to differentiate with respect to.
KINDS = ("parameter", "leaf", "input", "constant", "intermediate", "output")
KIND_LABELS = {"leaf": "leaf with grad"}  # how a kind is written in legends and text


@dataclass
class TensorNode:
    key: str  # unique, also the title shown: the tensor's name, or one made up
    tensor: Tensor
    kind: str  # one of KINDS
    grad: np.ndarray | None = None
    cluster: tuple[Any, ...] = ()  # the module calls it belongs to, outermost first


@dataclass
class OpNode:
    key: str
    op: Op | None  # None for a collapsed module's box
    output: str
    cluster: tuple[Any, ...] = ()
    title: str = ""


@dataclass
class Edge:
    source: str
    target: str
    label: str = ""


@dataclass
class Graph:
    """What :func:`build_graph` returns."""

    root: str
    tensors: dict[str, TensorNode] = field(default_factory=dict)
    ops: dict[str, OpNode] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    omitted: int = 0  # tensors left out to keep a huge graph drawable

    def clusters(self) -> list[tuple[Any, ...]]:
        """Every module-call path that holds a node, parents before children."""
        paths: set[tuple[Any, ...]] = set()
        clusters = [n.cluster for n in self.tensors.values()]
        clusters += [n.cluster for n in self.ops.values()]
        for cluster in clusters:
            for depth in range(1, len(cluster) + 1):
                paths.add(cluster[:depth])
        return sorted(paths, key=len)


def module_title(module: Any) -> str:
    """``Linear(3->4)`` for a Linear layer, else the module's class name."""
    if hasattr(module, "in_features") and hasattr(module, "out_features"):
        return f"{type(module).__name__}({module.in_features}->{module.out_features})"
    return type(module).__name__


def collect(
    root: Tensor, max_nodes: int | None = None, alive: dict[int, Tensor] | None = None
) -> tuple[list[Any], int]:
    """All values that lead to ``root`` (constants too), in creation order.

    After backward() freed the graph, computed values are :class:`FreedValue` stand-ins
    (shape and dtype, no array), except those in ``alive`` (``id(op) -> the tensor it
    made``, e.g. held by the caller's variables). With ``max_nodes``, only the most
    recently made values are kept (those nearest the output in a long chain); the
    number left out is returned as well.
    """
    ordered = graph_values(root, alive or {})
    if max_nodes is not None and len(ordered) > max_nodes:
        return ordered[-max_nodes:], len(ordered) - max_nodes
    return ordered, 0


def _parameter_names(tensors: list[Tensor]) -> dict[int, str]:
    """Names of module parameters, from the modules whose calls made the graph's ops."""
    names: dict[int, str] = {}
    for t in tensors:
        op = t._ctx
        if op is not None and op.scope:  # dotted paths from the outermost module: "0.weight"
            for name, parameter in op.scope[0].named_parameters():
                names.setdefault(id(parameter), name)
    return names


def _owner(parameter: Tensor, scope: tuple[Any, ...]) -> tuple[Any, ...]:
    """The part of ``scope`` down to the module that owns ``parameter``."""
    for depth in range(len(scope), 0, -1):
        if any(p is parameter for p in scope[depth - 1]._parameters.values()):
            return scope[:depth]
    return ()


def build_graph(
    root: Tensor,
    grads: dict[Tensor, np.ndarray] | None = None,
    max_nodes: int | None = 400,
    collapse: bool | tuple[type, ...] = False,
) -> Graph:
    """Describe the graph that computed ``root``.

    Args:
        root: the output tensor.
        grads: a gradient per tensor to show (by default each leaf's ``.grad``).
        max_nodes: keep at most this many tensors (the latest made); the rest are
            summarised as one count. None keeps everything.
        collapse: draw each module call as one box: True for every innermost module,
            or a tuple of module classes (e.g. ``(nn.Linear,)``).

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
        >>> sorted(build_graph(x.sum()).tensors)
        ['sum_out', 'x']
    """
    held = caller_tensors()  # the caller's variables: the user's own names for tensors
    variables = {id(t): name for name, t in reversed(held.items())}  # first name wins
    alive = {id(t._ctx): t for t in held.values() if t._ctx is not None}
    tensors, omitted = collect(root, max_nodes, alive)
    kept = set(tensors)
    value_of = freed_inputs(tensors)
    grads = grads or {t: t.grad.data for t in tensors if t.grad is not None}
    parameter_names = _parameter_names(tensors)
    user_named: set[str] = set()  # keys the user chose: formulas may use them
    graph = Graph(root="", omitted=omitted)
    keys: dict[Tensor, str] = {}
    used: set[str] = set()
    next_number: dict[str, int] = {}  # per base name: where to look for a free suffix

    def fresh(base: str) -> str:
        key = base
        if key in used:  # base_2, base_3...: searching on from the last one keeps it linear
            number = next_number.get(base, 2)
            while f"{base}_{number}" in used:
                number += 1
            key, next_number[base] = f"{base}_{number}", number + 1
        used.add(key)
        return key

    consumers: dict[Any, list[Op]] = {}
    for t in tensors:
        if t._ctx is not None:
            for parent in inputs_of(t._ctx, value_of):
                consumers.setdefault(parent, []).append(t._ctx)

    for t in tensors:
        op = t._ctx
        if t is root:
            kind = "output"
        elif op is not None:
            kind = "intermediate"
        elif t.requires_grad:
            kind = "parameter"
        elif t.ndim == 0:
            kind = "constant"
        else:
            kind = "input"
        if t.name or id(t) in variables:
            base = t.name or variables[id(t)]
        elif id(t) in parameter_names:
            base = parameter_names[id(t)]
        elif op is not None:
            base = f"{op.name}_out"
        elif kind == "constant":
            base = f"{t.data.item():g}"
        else:
            base = "input"
        keys[t] = fresh(base)
        if base in (t.name, variables.get(id(t))):
            user_named.add(keys[t])
        cluster: tuple[Any, ...] = op.scope if op is not None else ()
        if kind == "parameter":
            scopes = [c.scope for c in consumers.get(t, [])]
            cluster = _owner(t, scopes[0]) if scopes else ()
            if not cluster and id(t) not in parameter_names:
                kind = "leaf"  # requires grad, but no module owns it
        node = TensorNode(keys[t], t, kind, grads.get(t), cluster)
        graph.tensors[node.key] = node
    graph.root = keys[root]

    for t in tensors:
        op = t._ctx
        if op is None:
            continue
        op_key = fresh(op.name)
        graph.ops[op_key] = OpNode(op_key, op, keys[t], op.scope, op.name)
        positions = list(zip(inputs_of(op, value_of), op.parent_positions()))
        own = [(i, keys[p]) for p, i in positions if p in kept and keys[p] in user_named]
        for parent, position in positions:
            if parent in kept:
                label = named_formula(op.derivative_for(position), input_names(op, own))
                graph.edges.append(Edge(keys[parent], op_key, label))
        graph.edges.append(Edge(op_key, keys[t]))
    if collapse:
        _collapse(graph, collapse)
    return graph


def _collapse(graph: Graph, which: bool | tuple[type, ...]) -> None:
    """Replace each chosen module call's ops and inner values by one box."""

    def group_of(cluster: tuple[Any, ...]) -> tuple[Any, ...] | None:
        for depth in range(len(cluster), 0, -1):
            module = cluster[depth - 1]
            innermost = depth == len(cluster)
            if (which is True and innermost) or (
                isinstance(which, tuple) and isinstance(module, which)
            ):
                return cluster[:depth]
        return None

    groups = {key: group_of(op.cluster) for key, op in graph.ops.items()}
    consumers: dict[str, set[Any]] = {}
    for edge in graph.edges:
        if edge.target in graph.ops:
            consumers.setdefault(edge.source, set()).add(groups[edge.target])
    hidden: set[str] = set()  # values made and used only inside one collapsed call
    for key, op in graph.ops.items():
        group = groups[key]
        if group is None:
            continue
        if op.output != graph.root and consumers.get(op.output, set()) <= {group}:
            hidden.add(op.output)
        else:
            graph.tensors[op.output].cluster = group[:-1]
    boxes: dict[tuple[Any, ...], str] = {}

    def box(group: tuple[Any, ...]) -> str:
        if group not in boxes:
            boxes[group] = key = f"box{len(boxes) + 1}"
            graph.ops[key] = OpNode(key, None, "", group[:-1], module_title(group[-1]))
        return boxes[group]

    edges: list[Edge] = []
    seen: set[tuple[str, str, str]] = set()
    for edge in graph.edges:
        if edge.source in hidden or edge.target in hidden:
            continue
        source_group, target_group = groups.get(edge.source), groups.get(edge.target)
        if source_group is not None:  # out of a collapsed call
            edge = Edge(box(source_group), edge.target)
        elif target_group is not None:  # into a collapsed call
            edge = Edge(edge.source, box(target_group))
        if (edge.source, edge.target, edge.label) not in seen:
            seen.add((edge.source, edge.target, edge.label))
            edges.append(edge)
    graph.edges = edges
    for key, group in groups.items():
        if group is not None:
            del graph.ops[key]
    for key in hidden:
        del graph.tensors[key]
    for node in graph.tensors.values():
        group = group_of(node.cluster) if node.kind == "parameter" else None
        if group is not None:
            node.cluster = group[:-1]


FREED = "freed by backward()"  # the value text of a value whose array backward freed


def value_text(t: Any, max_elements: int) -> str:
    """A node's value as drawn: its summary, or that backward freed it."""
    return known(t.data, max_elements)


def known(values: np.ndarray | None, max_elements: int) -> str:
    """:func:`summary` of a value that may be gone (None: freed by backward)."""
    return FREED if values is None else summary(values, max_elements)


def summary(values: np.ndarray | None, max_elements: int) -> str:
    """Small arrays in full; large ones as shape and min/mean/max."""
    if values is None:
        return ""
    values = np.asarray(values)
    if values.size <= max_elements:
        text = np.array2string(values, precision=4, separator=", ", suppress_small=True)
        return " ".join(text.split())  # one line, whatever the shape
    if values.dtype.kind not in "biuf" or values.size == 0:
        return f"{values.shape}"
    return f"min {values.min():.4g}, mean {values.mean():.4g}, max {values.max():.4g}"
