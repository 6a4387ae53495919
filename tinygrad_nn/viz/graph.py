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

from typing import Any

import numpy as np

from tinygrad_nn.nn.module import Parameter
from tinygrad_nn.node import Node
from tinygrad_nn.tensor import Tensor
from tinygrad_nn.viz.collapse import collapse_calls, fold_repeats
from tinygrad_nn.viz.naming import caller_tensors, input_names, named_formula
from tinygrad_nn.viz.nodes import Edge, Graph, OpNode, TensorNode, input_labels
from tinygrad_nn.viz.values import FREED, NodeValue, node_values


def collect(
    root: Tensor, max_nodes: int | None = None, alive: dict[int, Tensor] | None = None
) -> tuple[list[NodeValue], int]:
    """What is known of every node that leads to ``root`` (constants too), in creation
    order (see :func:`~tinygrad_nn.viz.values.node_values`). With ``max_nodes``, only the
    most recently made are kept (those nearest the output in a long chain); the number
    left out is returned as well.
    """
    ordered = node_values(root, alive or {})
    if max_nodes is not None and len(ordered) > max_nodes:
        return ordered[-max_nodes:], len(ordered) - max_nodes
    return ordered, 0


def _parameter_names(nodes: list[Node]) -> tuple[dict[int, str], dict[int, int]]:
    """Names of module parameters, from the modules whose calls made the graph's ops
    (dotted paths from the outermost module: ``0.weight``), and the id of that module."""
    names: dict[int, str] = {}
    model_of: dict[int, int] = {}
    seen: set[int] = set()
    for node in nodes:
        if not node.scope or id(node.scope[0][0]) in seen:
            continue
        model = node.scope[0][0]
        seen.add(id(model))
        for name, parameter in model.named_parameters():
            if id(parameter) not in names:
                names[id(parameter)] = name
                model_of[id(parameter)] = id(model)
    return names, model_of


def _unnamed_parameters(
    nodes: list[Node], variables: dict[int, str], model_of: dict[int, int]
) -> set[int]:
    """The parameters whose caller's variable name is not used: per model, all or none.

    A notebook's globals outlive the cell that set them: ``W1 = model[0].weight`` in one
    cell would rename that one weight while its neighbour stays ``2.weight``. So the
    caller's names are used for a model's parameters only when every drawn parameter of
    that model without a ``name=`` is held by one; otherwise all keep their module paths.
    """
    by_model: dict[int, list[int]] = {}
    for node in nodes:
        if id(node) in model_of and not node.label:
            by_model.setdefault(model_of[id(node)], []).append(id(node))
    unnamed: set[int] = set()
    for ids in by_model.values():
        if not all(i in variables for i in ids):
            unnamed.update(ids)
    return unnamed


def _owner(parameter: Node, scope: tuple[Any, ...]) -> tuple[Any, ...]:
    """The part of ``scope`` down to the module that owns ``parameter``."""
    for depth in range(len(scope), 0, -1):
        if any(p is parameter for p in scope[depth - 1][0]._parameters.values()):
            return scope[:depth]
    return ()


def build_graph(
    root: Tensor,
    grads: dict[Any, np.ndarray] | None = None,
    max_nodes: int | None = 400,
    collapse: bool | tuple[type, ...] = False,
) -> Graph:
    """Describe the graph that computed ``root``.

    Args:
        root: the output tensor.
        grads: a gradient per tensor (or graph node) to show (by default each leaf's
            ``.grad``).
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
    alive = {id(t._ctx): t for t in held.values() if getattr(t, "_ctx", None) is not None}
    values, omitted = collect(root, max_nodes, alive)
    nodes = [node for node, _, _, _ in values]
    kept = set(nodes)
    grads = grads or {
        n: t._grad.array for n, t, _, _ in values if t is not None and t._grad is not None
    }
    grads = {getattr(k, "_ctx", None) or k: v for k, v in grads.items()}  # by graph node
    parameter_names, model_of = _parameter_names(nodes)
    for node, held_tensor, _, _ in values:  # a value is named after the caller's variable
        if held_tensor is not None and id(held_tensor) in variables:
            variables.setdefault(id(node), variables[id(held_tensor)])
        elif isinstance(node, Tensor) and id(node.array) in variables:  # tg.Tensor(X)
            variables.setdefault(id(node), variables[id(node.array)])
    unnamed = _unnamed_parameters(nodes, variables, model_of)
    graph = Graph(root="", omitted=omitted)
    keys: dict[Node, str] = {}
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

    consumers: dict[Node, list[Node]] = {}
    for node in nodes:
        for parent in node.parents:
            consumers.setdefault(parent, []).append(node)

    root_node = root._ctx or root
    for node, held_tensor, array, missing in values:
        op = node.rule
        if node is root_node:
            kind = "output"
        elif op is not None:
            kind = "intermediate"
        elif node.requires_grad:
            kind = "parameter"
        elif len(node.out_shape) == 0:
            kind = "constant"
        else:
            kind = "input"
        if node.label or (id(node) in variables and id(node) not in unnamed):
            base = node.label or variables[id(node)]
        elif id(node) in parameter_names:
            base = parameter_names[id(node)]
        elif op is not None:
            base = f"{op.name}_out"
        elif kind == "constant":
            base = f"{array.item():g}"
        else:
            base = "input"
        keys[node] = fresh(base)
        cluster: tuple[Any, ...] = node.scope
        if kind == "parameter":
            scopes = [c.scope for c in consumers.get(node, [])]
            cluster = _owner(node, scopes[0]) if scopes else ()
            if not cluster and id(node) not in parameter_names and not isinstance(node, Parameter):
                kind = "leaf"  # requires grad, but no module owns it and it is no Parameter
        graph.tensors[keys[node]] = TensorNode(
            keys[node], node, kind, grads.get(node), cluster, held_tensor, array, missing
        )
    graph.root = keys[root_node]

    for node in nodes:
        op = node.rule
        if op is None:
            continue
        op_key = fresh(op.name)
        graph.ops[op_key] = OpNode(op_key, op, keys[node], op.scope, op.name)
        positions = list(zip(op.parents, op.parent_positions()))
        own = input_names(op, input_labels(op, [keys.get(p, "?") for p, _ in positions]))
        for parent, position in positions:
            if parent in kept:  # a value that wants no gradient (X) gets no derivative
                wanted = parent.requires_grad
                label = named_formula(op.derivative_for(position), own) if wanted else ""
                graph.edges.append(Edge(keys[parent], op_key, label))
        graph.edges.append(Edge(op_key, keys[node]))
    if collapse:
        collapse_calls(graph, collapse)
        if collapse is True:
            fold_repeats(graph)
    return graph


def value_text(node: TensorNode, max_elements: int) -> str:
    """A node's value as drawn: its summary, or why it has none (not kept, or freed)."""
    return node.missing if node.array is None else summary(node.array, max_elements)


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
