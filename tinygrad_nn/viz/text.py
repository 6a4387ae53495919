"""A drawn graph as an indented text tree: :func:`tinygrad_nn.viz.to_text`, and the plain
text a drawing shows where no picture can be (a terminal, a notebook's text/plain).

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn.viz.graph import build_graph
    >>> w = tg.Tensor(2.0, requires_grad=True, name="w")
    >>> print(graph_text(build_graph(w * 3), show_data=False, show_grad=False))
    mul_out = mul(w, 3)  shape ()
    └── w   leaf with grad  shape ()
"""

from __future__ import annotations

from tinygrad_nn.display import Text
from tinygrad_nn.viz.graph import summary, value_text
from tinygrad_nn.viz.nodes import KIND_LABELS, Graph, OpNode, input_labels


def graph_text(
    graph: Graph, show_data: bool = True, show_grad: bool = True, max_elements: int = 6
) -> Text:
    """The graph as a tree from its root; a value used twice is shown once, then referred
    to. Written without recursion, so it works for graphs of any depth. A collapsed
    module call is written with its title (``Linear(3->4)(X)``)."""
    made_by: dict[str, OpNode] = {}
    for edge in graph.edges:  # op -> the value it made (a collapsed call's box too)
        if edge.source in graph.ops and edge.target in graph.tensors:
            made_by.setdefault(edge.target, graph.ops[edge.source])
    inputs_of = graph.op_inputs()

    def describe(key: str) -> str:
        node = graph.tensors[key]
        op = made_by.get(key)
        if op is not None and op.op is not None:
            inputs = input_labels(op.op, inputs_of.get(op.key, []))
            parts = [f"{key} = {op.op.name}({', '.join(inputs)})"]
        elif op is not None:
            parts = [f"{key} = {op.title}({', '.join(inputs_of.get(op.key, []))})"]
        else:
            parts = [f"{key}   {KIND_LABELS.get(node.kind, node.kind)}"]
        parts.append(f"shape {tuple(node.node.out_shape)}")
        if show_data:
            parts.append("value " + value_text(node, max_elements))
        if show_grad and node.grad is not None:
            parts.append("grad " + summary(node.grad, max_elements))
        return "  ".join(parts)

    lines: list[str] = []
    shown: set[str] = set()
    stack: list[tuple[str, str, str]] = [(graph.root, "", "")]
    while stack:
        key, prefix, branch = stack.pop()
        if key in shown:
            lines.append(f"{prefix}{branch}{key}   (shown above)")
            continue
        shown.add(key)
        lines.append(prefix + branch + describe(key))
        op = made_by.get(key)
        children = inputs_of.get(op.key, []) if op is not None else []
        child_prefix = prefix + ("    " if branch in ("", "└── ") else "│   ")
        for i, child in reversed(list(enumerate(children))):
            last = i == len(children) - 1
            stack.append((child, child_prefix if branch else "", "└── " if last else "├── "))
    if graph.omitted:
        lines.append(f"({graph.omitted:,} earlier values not shown: pass max_nodes=None)")
    return Text("\n".join(lines))


__all__ = ["graph_text"]
