"""Collapsing a drawing: module calls as boxes, and repeated blocks folded into one.

- :func:`collapse_calls` draws each chosen module call as one box: its ops and the
  values made and used inside it disappear; what flows in and out stays.
- :func:`fold_repeats` then folds consecutive calls with the same structure — a block
  repeated in a ``Sequential`` — into one box marked ``×N``: twelve (Linear, Tanh)
  blocks draw as one box, not twenty-four.

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn import nn
    >>> from tinygrad_nn.viz import build_graph
    >>> block = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    >>> out = nn.Sequential(*[block] * 12)(tg.Tensor([[1.0, 2.0]])).sum()
    >>> sorted(op.title for op in build_graph(out, collapse=True).ops.values())
    ['Sequential ×12', 'sum']
"""

from __future__ import annotations

from typing import Any

from tinygrad_nn.viz.nodes import Edge, Graph, OpNode, module_title

Path = tuple[Any, ...]  # a module call path: (module, call number) pairs, outermost first


def collapse_calls(graph: Graph, which: bool | tuple[type, ...]) -> None:
    """Replace each chosen module call's ops and inner values by one box."""

    def group_of(cluster: tuple[Any, ...]) -> tuple[Any, ...] | None:
        for depth in range(len(cluster), 0, -1):
            module = cluster[depth - 1][0]
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


def fold_repeats(graph: Graph) -> None:
    """Fold runs of consecutive sibling calls with the same structure into one box each.

    Calls are siblings when they share their parent call; a run is consecutive when each
    call's results flow only into the next call. The folded calls' ops, their inner
    values and the parameters only they use disappear into one box titled ``Name ×N``;
    the run's inputs go into the box and its results come out of it.
    """
    members = _members(graph)
    by_parent: dict[Path, list[Path]] = {}
    for path in members:
        by_parent.setdefault(path[:-1], []).append(path)
    for parent, calls in by_parent.items():
        calls.sort(key=lambda path: path[-1][1])  # call order
        run = [calls[0]]
        for call in [*calls[1:], None]:
            previous = run[-1]
            if (
                call is not None
                and _signature(graph, members, previous) == _signature(graph, members, call)
                and _flows_into(graph, members, previous, call)
            ):
                run.append(call)
                continue
            if len(run) > 1:
                _fold(graph, members, run, parent)
            run = [call] if call is not None else []


def _members(graph: Graph) -> dict[Path, set[str]]:
    """Each call path that holds a node, and the keys of every node inside it."""
    found: dict[Path, set[str]] = {}
    nodes = [(k, n.cluster) for k, n in graph.tensors.items()]
    nodes += [(k, n.cluster) for k, n in graph.ops.items()]
    for key, cluster in nodes:
        for depth in range(1, len(cluster) + 1):
            found.setdefault(cluster[:depth], set()).add(key)
    return found


def _signature(graph: Graph, members: dict[Path, set[str]], path: Path) -> tuple[Any, ...]:
    """What a call computes, for comparing calls: its module's type, and its ops and
    values (parameters left out: a block called twice shares them) in order."""
    inside = members[path]
    ops = [(len(op.cluster), op.title) for k, op in graph.ops.items() if k in inside]
    values = [
        (len(node.cluster), node.kind, node.node.out_shape)
        for k, node in graph.tensors.items()
        if k in inside and node.kind != "parameter"
    ]
    return (type(path[-1][0]).__name__, tuple(ops), tuple(values))


def _flows_into(graph: Graph, members: dict[Path, set[str]], first: Path, then: Path) -> bool:
    """True when every result ``first`` sends out goes into ``then`` (a chain of calls;
    parameters are not results: a block called twice uses its own in both calls)."""
    results = {k for k in members[first] if k in graph.ops or graph.tensors[k].kind != "parameter"}
    sent = {e.target for e in graph.edges if e.source in results} - members[first]
    return bool(sent) and sent <= members[then]


def _fold(graph: Graph, members: dict[Path, set[str]], run: list[Path], parent: Path) -> None:
    inside = set().union(*(members[path] for path in run))
    key = f"fold{len(graph.ops)}"
    while key in graph.ops:
        key += "_"
    title = f"{module_title(run[0][-1])} ×{len(run)}"
    outside_users = {e.source for e in graph.edges if e.target not in inside}
    results = {k for k in inside if k in graph.tensors and (k in outside_users or k == graph.root)}
    edges: list[Edge] = []
    seen: set[tuple[str, str]] = set()
    for edge in graph.edges:
        source_in, target_in = edge.source in inside, edge.target in inside
        if source_in and target_in:
            if edge.target in results:  # a result of the run: made by the box now
                edge = Edge(key, edge.target)
            else:
                continue
        elif target_in:  # an input of the run
            edge = Edge(edge.source, key)
        if (edge.source, edge.target) not in seen:
            seen.add((edge.source, edge.target))
            edges.append(edge)
    graph.edges = edges
    for k in inside - results:
        graph.tensors.pop(k, None)
        graph.ops.pop(k, None)
    for k in results:
        graph.tensors[k].cluster = parent
    graph.ops[key] = OpNode(key, None, "", parent, title)
