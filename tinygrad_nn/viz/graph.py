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
from tinygrad_nn.ops import Op
from tinygrad_nn.tensor import Tensor
from tinygrad_nn.viz.collapse import collapse_calls, fold_repeats
from tinygrad_nn.viz.naming import caller_tensors, input_names, named_formula
from tinygrad_nn.viz.nodes import Edge, Graph, OpNode, TensorNode, input_labels
from tinygrad_nn.viz.values import FREED, graph_values, inputs_of, value_of_node


def collect(
    root: Tensor, max_nodes: int | None = None, alive: dict[int, Tensor] | None = None
) -> tuple[list[Any], int]:
    """All values that lead to ``root`` (constants too), in creation order.

    Computed values are the tensors in ``alive`` (``id(op) -> the tensor it made``, e.g.
    held by the caller's variables), else :class:`ComputedValue` stand-ins (shape and
    dtype, and the array if an op kept it for backward). With ``max_nodes``, only the most
    recently made values are kept (those nearest the output in a long chain); the
    number left out is returned as well.
    """
    ordered = graph_values(root, alive or {})
    if max_nodes is not None and len(ordered) > max_nodes:
        return ordered[-max_nodes:], len(ordered) - max_nodes
    return ordered, 0


def _parameter_names(tensors: list[Tensor]) -> tuple[dict[int, str], dict[int, int]]:
    """Names of module parameters, from the modules whose calls made the graph's ops
    (dotted paths from the outermost module: ``0.weight``), and the id of that module."""
    names: dict[int, str] = {}
    model_of: dict[int, int] = {}
    seen: set[int] = set()
    for t in tensors:
        op = t._ctx
        if op is None or not op.scope or id(op.scope[0][0]) in seen:
            continue
        model = op.scope[0][0]
        seen.add(id(model))
        for name, parameter in model.named_parameters():
            if id(parameter) not in names:
                names[id(parameter)] = name
                model_of[id(parameter)] = id(model)
    return names, model_of


def _unnamed_parameters(
    tensors: list[Tensor], variables: dict[int, str], model_of: dict[int, int]
) -> set[int]:
    """The parameters whose caller's variable name is not used: per model, all or none.

    A notebook's globals outlive the cell that set them: ``W1 = model[0].weight`` in one
    cell would rename that one weight while its neighbour stays ``2.weight``. So the
    caller's names are used for a model's parameters only when every drawn parameter of
    that model without a ``name=`` is held by one; otherwise all keep their module paths.
    """
    by_model: dict[int, list[int]] = {}
    for t in tensors:
        if id(t) in model_of and not t.name:
            by_model.setdefault(model_of[id(t)], []).append(id(t))
    unnamed: set[int] = set()
    for ids in by_model.values():
        if not all(i in variables for i in ids):
            unnamed.update(ids)
    return unnamed


def _owner(parameter: Tensor, scope: tuple[Any, ...]) -> tuple[Any, ...]:
    """The part of ``scope`` down to the module that owns ``parameter``."""
    for depth in range(len(scope), 0, -1):
        if any(p is parameter for p in scope[depth - 1][0]._parameters.values()):
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
    tensors, omitted = collect(root, max_nodes, alive)
    kept = set(tensors)
    value_of = value_of_node(tensors)
    grads = grads or {t: t._grad.array for t in tensors if t._grad is not None}
    grads = {getattr(k, "_ctx", None) or k: v for k, v in grads.items()}  # by graph node
    parameter_names, model_of = _parameter_names(tensors)
    for t in tensors:  # a leaf made from the user's array is named after its variable
        if t._ctx is None and id(t.array) in variables:
            variables.setdefault(id(t), variables[id(t.array)])
    unnamed = _unnamed_parameters(tensors, variables, model_of)
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
        if t.name or (id(t) in variables and id(t) not in unnamed):
            base = t.name or variables[id(t)]
        elif id(t) in parameter_names:
            base = parameter_names[id(t)]
        elif op is not None:
            base = f"{op.name}_out"
        elif kind == "constant":
            base = f"{t.array.item():g}"
        else:
            base = "input"
        keys[t] = fresh(base)
        cluster: tuple[Any, ...] = op.scope if op is not None else ()
        if kind == "parameter":
            scopes = [c.scope for c in consumers.get(t, [])]
            cluster = _owner(t, scopes[0]) if scopes else ()
            if not cluster and id(t) not in parameter_names and not isinstance(t, Parameter):
                kind = "leaf"  # requires grad, but no module owns it and it is no Parameter
        node = TensorNode(keys[t], t, kind, grads.get(op or t), cluster)
        graph.tensors[node.key] = node
    graph.root = keys[root]

    for t in tensors:
        op = t._ctx
        if op is None:
            continue
        op_key = fresh(op.name)
        graph.ops[op_key] = OpNode(op_key, op, keys[t], op.scope, op.name)
        positions = list(zip(inputs_of(op, value_of), op.parent_positions()))
        own = input_names(op, input_labels(op, [keys.get(p, "?") for p, _ in positions]))
        for parent, position in positions:
            if parent in kept:  # a value that wants no gradient (X) gets no derivative
                wanted = parent.requires_grad
                label = named_formula(op.derivative_for(position), own) if wanted else ""
                graph.edges.append(Edge(keys[parent], op_key, label))
        graph.edges.append(Edge(op_key, keys[t]))
    if collapse:
        collapse_calls(graph, collapse)
        if collapse is True:
            fold_repeats(graph)
    return graph


def value_text(t: Any, max_elements: int) -> str:
    """A node's value as drawn: its summary, or why it has none (not kept, or freed)."""
    return str(t.missing) if t.array is None else summary(t.array, max_elements)


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
