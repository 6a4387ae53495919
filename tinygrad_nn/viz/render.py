"""Drawing a graph: graphviz (SVG/PNG), DOT source, Mermaid, and an indented text tree.

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.Tensor(2.0, requires_grad=True, name="x")
    >>> print(to_text(x * x))
    mul_out = mul(x, x)  shape ()  value 4.  grad 1.
    ├── x   leaf with grad  shape ()  value 2.  grad 4.
    └── x   (shown above)
"""

from __future__ import annotations

import html
from typing import Any

from tinygrad_nn.display import Text
from tinygrad_nn.tensor import Tensor
from tinygrad_nn.viz.dot import STYLE, DotNotFound, dot_available, draw, tensor_lines
from tinygrad_nn.viz.graph import build_graph
from tinygrad_nn.viz.nodes import KINDS, Graph, input_labels, module_title, shown_params
from tinygrad_nn.viz.steps import gradients
from tinygrad_nn.viz.text import graph_text

__all__ = ["DotNotFound", "dot_available", "draw_graph", "render_svg", "to_dot", "to_mermaid"]
__all__ += ["to_text"]


def _graph_for(
    root: Tensor, show_grad: bool, max_nodes: int | None, collapse: bool | tuple[type, ...]
) -> Graph:
    grads = gradients(root) if show_grad else {}
    return build_graph(root, grads=grads or None, max_nodes=max_nodes, collapse=collapse)


def draw_graph(
    root: Tensor,
    *,
    show_data: bool = True,
    show_grad: bool = True,
    rankdir: str = "TB",
    max_elements: int = 6,
    max_nodes: int | None = 400,
    collapse: bool | tuple[type, ...] = False,
    legend: bool = True,
    size: str | tuple[int, int] | None = None,
    dpi: float = 96,
) -> Any:
    """The graph that computed ``root`` as a ``graphviz.Digraph`` (shown inline in Jupyter).

    Tensor nodes show their name (and the op that made them: ``layer1 =
    sigmoid(matmul_out)``), shape, dtype, value and gradient (computed by a backward
    pass that keeps the graph and changes no ``.grad``); each edge carries the local
    derivative for that input. Parameters, inputs, constants, intermediate values and
    the output have distinct colours (see the one-row legend). Ops made inside an
    ``nn.Module`` call are grouped in a labelled cluster; ``collapse=True`` draws each
    innermost module call as one box and folds repeated blocks (``×N``). Graphs larger
    than ``max_nodes`` tensors show the last ``max_nodes`` and a count of the rest.
    The layout is shaped for slides (see :mod:`tinygrad_nn.viz.dot`); ``size="1280x720"``
    fits it to one at ``dpi``, and ``.save("graph.png")`` (or ``.svg``, ``.pdf``) writes it.

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
        >>> drawing = draw_graph((x * x).sum(), size="1280x720")
        >>> "dz/dx = y" in drawing.source, 'size="13.333,7.5!"' in drawing.source
        (True, True)
    """
    graph = _graph_for(root, show_grad, max_nodes, collapse)
    return draw(graph, show_data, show_grad, rankdir, max_elements, legend, None, size, dpi)


def _op_label(op: Any) -> str:
    """The op's name; its constants in place of their inputs (``mul(·, 3)``); its params."""
    name = op.name
    if op.constants:
        name += "(" + ", ".join(input_labels(op, ["·"] * len(op.parent_positions()))) + ")"
    params = shown_params(op)
    if not params:
        return name
    return name + "\n" + ", ".join(f"{k}={v}" for k, v in params.items())


def to_dot(root: Tensor, **options: Any) -> str:
    """The DOT source of :func:`draw_graph` (no ``dot`` program needed).

    Examples:
        >>> import tinygrad_nn as tg
        >>> to_dot(tg.Tensor(1.0, requires_grad=True) * 2).startswith("digraph")
        True
    """
    return str(draw_graph(root, **options).source)


def render_svg(root: Tensor, **options: Any) -> str:
    """The drawing as SVG text; raises :class:`DotNotFound` (with install help) without dot.

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.Tensor(1.0, requires_grad=True, name="x")
        >>> "<svg" in render_svg(x * 2) if dot_available() else True
        True
    """
    return str(draw_graph(root, **options).pipe(format="svg", encoding="utf-8"))


def _mermaid_text(text: str) -> str:
    return html.escape(text, quote=True).replace("\n", "<br/>")


def to_mermaid(
    root: Tensor,
    *,
    show_data: bool = True,
    show_grad: bool = True,
    max_elements: int = 6,
    max_nodes: int | None = 400,
    direction: str = "LR",
) -> str:
    """The graph as a Mermaid flowchart (GitHub renders it inside ```mermaid blocks).

    Examples:
        >>> import tinygrad_nn as tg
        >>> print(to_mermaid(tg.Tensor(2.0, requires_grad=True, name="x") * 3).splitlines()[0])
        flowchart LR
    """
    graph = _graph_for(root, show_grad, max_nodes, False)
    ids = {key: f"n{i}" for i, key in enumerate([*graph.tensors, *graph.ops])}
    lines = [f"flowchart {direction}"]
    body: dict[tuple[Any, ...], list[str]] = {}
    for node in graph.tensors.values():
        text = _mermaid_text("\n".join(tensor_lines(node, show_data, show_grad, max_elements)))
        body.setdefault(node.cluster, []).append(f'{ids[node.key]}["{text}"]:::{node.kind}')
    for op in graph.ops.values():
        assert op.op is not None
        body.setdefault(op.cluster, []).append(
            f'{ids[op.key]}(["{_mermaid_text(_op_label(op.op))}"]):::op'
        )
    lines += ["    " + line for line in body.pop((), [])]
    for i, path in enumerate(graph.clusters()):
        lines.append(f'    subgraph c{i} ["{_mermaid_text(module_title(path[-1]))}"]')
        lines += ["        " + line for line in body.get(path, [])]
        lines.append("    end")
    for edge in graph.edges:
        arrow = f' -- "{_mermaid_text(edge.label)}" --> ' if edge.label else " --> "
        lines.append(f"    {ids[edge.source]}{arrow}{ids[edge.target]}")
    for kind in (*KINDS, "op"):
        fill = STYLE[kind].get("fillcolor", "#ffffff")
        lines.append(f"    classDef {kind} fill:{fill},stroke:#555555")
    return "\n".join(lines)


def to_text(
    root: Tensor,
    *,
    show_data: bool = True,
    show_grad: bool = True,
    max_elements: int = 6,
    max_nodes: int | None = 400,
) -> Text:
    """The graph as an indented tree for a terminal; a value used twice is shown once.

    Written without recursion, so it works for graphs of any depth. Like the drawings,
    it shows the ``max_nodes`` latest tensors (None: all); the count of the rest ends it.
    The result is a ``str`` that a notebook shows as preformatted text
    (:class:`tinygrad_nn.display.Text`), so it can be a cell's last line.

    Examples:
        >>> import tinygrad_nn as tg
        >>> print(to_text(tg.Tensor(2.0, requires_grad=True, name="w") * 3, show_data=False))
        mul_out = mul(w, 3)  shape ()  grad 1.
        └── w   leaf with grad  shape ()  grad 3.
    """
    graph = _graph_for(root, show_grad, max_nodes, False)
    return graph_text(graph, show_data, show_grad, max_elements)
