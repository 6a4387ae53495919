"""Graphviz drawings, shaped for slides: ops inside the values they make, text that stays legible.

A drawing is read on a slide (1280x720) or in a notebook, so the defaults keep it compact:

- each op is written inside the value it makes (``layer1 = sigmoid(matmul_out)``), so a
  chain of ops is one rank per value, not two; the edges into a value carry the local
  derivatives, named after the inputs (``dL/dW1 = X.T @ g``);
- top to bottom (``rankdir="TB"``), which keeps the seed network's picture about square
  (left to right it was 3.6:1);
- 14 pt node text and 12 pt edge labels, so that the seed graph fitted into 1280x720 is
  still read at 14 px and more;
- a legend of one row, with only the kinds of node present.

``size="1280x720"`` (pixels, at ``dpi``) fits a drawing to a slide; ``save(path)`` writes
PNG, SVG or PDF by the path's suffix (beside, then renamed into place).

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn.viz import build_graph
    >>> x = tg.Tensor(2.0, requires_grad=True, name="x")
    >>> source = draw(build_graph((x * x).sum())).source
    >>> "sum_out = sum(mul_out)" in source, "mul_out = x * x" in source
    (True, True)
"""

from __future__ import annotations

import functools
import html
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tinygrad_nn.display import Text, array_text
from tinygrad_nn.files import write_atomic
from tinygrad_nn.viz.graph import summary, value_text
from tinygrad_nn.viz.nodes import KIND_LABELS, KINDS, Graph, TensorNode, module_title, op_title
from tinygrad_nn.viz.text import graph_text

INSTALL_HELP = (
    "the graphviz 'dot' program is needed to render drawings but was not found. Install "
    "the system package: `apt-get install graphviz` (Debian/Ubuntu), `brew install "
    "graphviz` (macOS), `conda install graphviz`, or see https://graphviz.org/download/. "
    "Without it, to_dot(), to_mermaid() and to_text() still work."
)

STYLE = {  # fill colours and shapes that tell the kinds of node apart
    "parameter": {"shape": "box", "style": "filled,rounded", "fillcolor": "#fde7c3"},
    "leaf": {"shape": "box", "style": "filled,rounded", "fillcolor": "#fce7f3"},
    "input": {"shape": "box", "style": "filled,rounded", "fillcolor": "#dbeafe"},
    "constant": {"shape": "box", "style": "filled,rounded", "fillcolor": "#f1f1f1"},
    "intermediate": {"shape": "box", "style": "rounded"},
    "output": {"shape": "box", "style": "filled,rounded,bold", "fillcolor": "#d1fae5"},
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#ede9fe"},
    "module": {"shape": "box3d", "style": "filled", "fillcolor": "#ede9fe"},
}
LABEL_PAD = "  "  # around each edge label: room between neighbouring labels
NODE_FONT, EDGE_FONT = "14", "12"  # points: legible when the seed graph fills a slide
FORMATS = {".png", ".svg", ".pdf", ".jpg", ".jpeg"}


class DotNotFound(RuntimeError):
    """Rendering needs the graphviz ``dot`` program, which is not installed."""


def dot_available() -> bool:
    """True when the ``dot`` program is on the PATH.

    Examples:
        >>> isinstance(dot_available(), bool)
        True
    """
    return shutil.which("dot") is not None


def graphviz_module() -> Any:
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "drawing needs the graphviz Python package: pip install 'tinygrad-nn[viz]'"
        ) from None
    return graphviz


@functools.cache
def drawing_class() -> type:
    """A graphviz.Digraph whose rendering errors say how to install ``dot``, whose
    ``save(path)`` writes the picture (PNG, SVG, PDF) or the DOT source (``.gv``), and
    which a notebook shows as an SVG scaled to the cell's width (text: its ``to_text``)."""
    graphviz = graphviz_module()

    class Drawing(graphviz.Digraph):  # type: ignore[name-defined]
        _text: Callable[[], str] | None = None  # the drawing as to_text's tree, on demand
        _rendering = False  # inside graphviz's render(), whose save() writes DOT source

        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().pipe(*args, **kwargs)
            except graphviz.ExecutableNotFound:
                raise DotNotFound(INSTALL_HELP) from None

        def render(self, *args: Any, **kwargs: Any) -> Any:
            # graphviz's render() (and view(), which calls it) first saves the DOT source
            # through self.save(); that must be graphviz's save, not the picture writer.
            self._rendering = True
            try:
                return super().render(*args, **kwargs)
            except graphviz.ExecutableNotFound:
                raise DotNotFound(INSTALL_HELP) from None
            finally:
                self._rendering = False

        def save(
            self, filename: Any = None, directory: Any = None, *, skip_existing: Any = False
        ) -> str:
            """Write the drawing to ``filename``: a picture for ``.png``, ``.svg``,
            ``.pdf`` (rendered by dot; beside, then renamed), else the DOT source as
            graphviz's own ``save`` does."""
            path = Path(directory or self.directory or ".") / (filename or self.filename)
            suffix = path.suffix.lower()
            if self._rendering or suffix not in FORMATS:
                return str(super().save(filename, directory, skip_existing=skip_existing))
            if not (skip_existing and path.exists()):
                write_atomic(path, self.pipe(format=suffix[1:].replace("jpg", "jpeg")))
            return str(path)

        def __repr__(self) -> str:
            return self._text() if self._text is not None else super().__repr__()

        def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
            printer.text(repr(self))

        def _repr_mimebundle_(
            self, include: Any = None, exclude: Any = None, **kwargs: Any
        ) -> dict[str, str]:
            """What Jupyter shows: the SVG, scaled to the cell's width (HTML, and the SVG
            itself), and the text tree; without dot, the text and how to install it."""
            text = repr(self)
            if not dot_available():
                note = html.escape(INSTALL_HELP)
                page = f"{Text(text)._repr_html_()}<p><i>{note}</i></p>"
                return {"text/plain": text, "text/html": page}
            svg = scaling_svg(self.pipe(format="svg", encoding="utf-8"))
            return {"text/plain": text, "text/html": svg, "image/svg+xml": svg}

    return Drawing


def scaling_svg(svg: str) -> str:
    """An SVG that scales down to the width it is shown in, never cut off: the XML
    prologue dropped (it is inline), and ``max-width: 100%; height: auto`` on the root,
    whose ``viewBox`` keeps the proportions.

    Examples:
        >>> scaling_svg('<?xml version="1.0"?>\\n<svg width="900pt" viewBox="0 0 900 90">')
        '<svg style="max-width: 100%; height: auto" width="900pt" viewBox="0 0 900 90">'
    """
    svg = svg[svg.index("<svg") :]
    return svg.replace("<svg", '<svg style="max-width: 100%; height: auto"', 1)


def tensor_lines(
    node: TensorNode, show_data: bool, show_grad: bool, max_elements: int, made: str = ""
) -> list[str]:
    """The text of a tensor node: its name (``made``: `` = the op that made it``) and
    shape on one line (the dtype too, unless it is the default float64), then its value
    and gradient."""
    n = node.node
    if node.kind == "constant":
        lines = [f"constant {node.key}"]
    else:
        dtype = "" if str(n.out_dtype) == "float64" else f" {n.out_dtype}"
        lines = [f"{node.key}{made} {shape_text(n.out_shape)}{dtype}"]
        if show_data:
            lines.append("value " + value_text(node, max_elements))
    if show_grad and node.grad is not None:
        lines.append("grad " + summary(node.grad, max_elements))
    return lines


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as a drawing writes it: ``(4, 3)``, and ``scalar`` for ``()`` (after
    ``loss = sse(output, y)`` a bare ``()`` would read as a call).

    Examples:
        >>> shape_text((4, 3)), shape_text(())
        ('(4, 3)', 'scalar')
    """
    return "scalar" if tuple(shape) == () else str(tuple(shape))


TOOLTIP = 64  # elements written out in full in a tooltip (a 4x16 weight)


def tooltip(node: TensorNode, title: str) -> str:
    """What hovering over a node shows: its title, shape and dtype, then its value and
    gradient in full up to 64 elements (past that, summarised with ``...``: graphviz
    refuses a label over 16,384 characters, a GPT's weight matrix written out)."""
    n = node.node
    lines = [title, f"shape {tuple(n.out_shape)}, dtype {n.out_dtype}"]
    value = node.missing if node.array is None else array_text(node.array, TOOLTIP)
    lines += ["value:", str(value)]
    if node.grad is not None:
        lines += ["grad:", array_text(node.grad, TOOLTIP)]
    return "\n".join(lines)


def slide_size(size: str | tuple[int, int], dpi: float) -> str:
    """Graphviz's ``size`` (inches, ``!``: scale up too) for a size in pixels at ``dpi``.

    Examples:
        >>> slide_size("1280x720", 96)
        '13.333,7.5!'
    """
    width, height = (int(v) for v in size.split("x")) if isinstance(size, str) else size
    return f"{width / dpi:.5g},{height / dpi:.5g}!"


def draw(
    graph: Graph,
    show_data: bool = True,
    show_grad: bool = True,
    rankdir: str = "TB",
    max_elements: int = 6,
    legend: bool = True,
    highlight: set[str] | None = None,
    size: str | tuple[int, int] | None = None,
    dpi: float = 96,
) -> Any:
    """Turn a :class:`Graph` into a ``graphviz.Digraph``; ``highlight`` names nodes to mark."""
    highlight = highlight or set()
    Drawing = drawing_class()
    # Every name and label may come from the user: escape() makes graphviz read each label
    # as plain text (never an HTML-like <...> label, never a backslash escape), and nodes
    # get ids of our own (a name's ":" would otherwise be read as a port).
    esc = graphviz_module().escape
    ids = {key: f"n{i}" for i, key in enumerate([*graph.tensors, *graph.ops])}
    graph_attr = {"rankdir": rankdir, "fontname": "Helvetica", "fontsize": EDGE_FONT}
    graph_attr.update(nodesep="0.45", ranksep="0.25")
    if size is not None:
        graph_attr.update(size=slide_size(size, dpi), dpi=f"{dpi:g}")
    drawing = Drawing(
        "tinygrad_nn",
        graph_attr=graph_attr,
        node_attr={"fontname": "Helvetica", "fontsize": NODE_FONT, "margin": "0.08,0.04"},
        edge_attr={"fontname": "Helvetica", "fontsize": EDGE_FONT, "color": "#555555"},
    )
    clusters = {path: Drawing(name=f"cluster_{i}") for i, path in enumerate(graph.clusters())}
    for path, cluster in clusters.items():
        cluster.attr(label=esc(module_title(path[-1])), style="rounded,dashed", color="#888888")

    def home(path: tuple[Any, ...]) -> Any:
        return clusters.get(path, drawing)

    # Each op is written inside the value it makes; module boxes stay nodes.
    made_by = {op.output: op for op in graph.ops.values() if op.op is not None}
    into = {op.key: op.output for op in made_by.values()}
    inputs = graph.op_inputs()
    marked = {"color": "#dc2626", "penwidth": "2.5"}
    for node in graph.tensors.values():
        op = made_by.get(node.key)
        made = "" if op is None or op.op is None else " = " + op_title(op.op, inputs.get(op.key))
        lines = tensor_lines(node, show_data, show_grad, max_elements, made)
        extra = marked if node.key in highlight or (op and op.key in highlight) else {}
        extra = {**extra, "tooltip": esc(tooltip(node, node.key + made))}
        home(node.cluster).node(ids[node.key], esc("\n".join(lines)), **STYLE[node.kind], **extra)
    for op in graph.ops.values():
        if op.op is None:  # a collapsed module call: a box
            extra = marked if op.key in highlight else {}
            home(op.cluster).node(ids[op.key], esc(op.title), **STYLE["module"], **extra)
    for edge in graph.edges:
        if edge.source in into:  # op -> its value: the value already says it
            continue
        target = into.get(edge.target, edge.target)
        extra = marked if {edge.source, edge.target} <= highlight else {}
        # Spaces either side: dot packs neighbouring labels edge to edge, so they would
        # read as one ("... weights2.TdL/dweights2 ...").
        label = esc(f"{LABEL_PAD}{edge.label}{LABEL_PAD}") if edge.label else None
        drawing.edge(ids[edge.source], ids[target], label=label, **extra)
    if graph.omitted:
        drawing.node(
            "omitted",
            f"{graph.omitted:,} earlier values\n(not drawn)",
            shape="note",
            style="dashed",
        )
    for path in sorted(clusters, key=len, reverse=True):  # attach children to parents
        parent = clusters.get(path[:-1], drawing)
        parent.subgraph(clusters[path])
    if legend:
        kinds = [k for k in KINDS if any(n.kind == k for n in graph.tensors.values())]
        kinds += ["module"] if any(op.op is None for op in graph.ops.values()) else []
        _add_legend(drawing, Drawing, kinds)
    # The text fallback (repr, a notebook's text/plain): the same graph as to_text's tree.
    drawing._text = functools.partial(graph_text, graph, show_data, show_grad, max_elements)
    return drawing


def _add_legend(drawing: Any, Drawing: type, kinds: list[str]) -> None:
    """One row of small swatches at the bottom, for the kinds of node drawn."""
    legend = Drawing(name="legend")
    legend.attr(rank="sink")
    cells = "".join(
        f'<td bgcolor="{STYLE[kind].get("fillcolor", "#ffffff")}" border="1">'
        f"{KIND_LABELS.get(kind, kind)}</td>"
        for kind in kinds
    )  # fixed words of ours, never a user's name: safe as an HTML-like label
    table = f'<<table border="0" cellspacing="3" cellpadding="2"><tr>{cells}</tr></table>>'
    legend.node("legend", table, shape="plaintext", fontsize=EDGE_FONT)
    drawing.subgraph(legend)
