"""A self-contained HTML page that steps through the backward pass, one frame per step.

Each frame is the graph drawn as SVG (by graphviz's ``dot``) with the current op and its
edges highlighted and every gradient that has arrived so far filled in. The page has
previous/next buttons, a slider and keyboard arrows, zoom (wheel or +/-), pan (drag)
and a "fit" button; it loads nothing from the network. Each step's caption gives its rule
and derivatives typeset as MathML (drawn by the browser itself; plain text where
latex2mathml is not installed). Steps count from 1, in the page
and in its address: it opens at ``#step=K`` and keeps the address on the step shown.
All frames share one grid cell, and so do all captions: the layout does not move from
step to step.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_nn.files import write_atomic
from tinygrad_nn.tensor import Tensor
from tinygrad_nn.viz.dot import draw
from tinygrad_nn.viz.graph import build_graph
from tinygrad_nn.viz.graph import known as text_of
from tinygrad_nn.viz.steps import BackwardStep, backward_steps, definition_parts
from tinygrad_nn.viz.typeset_html import Line, Math, line_html

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Backward pass of {root}</title>
<style>
  body {{ font-family: Helvetica, Arial, sans-serif; margin: 1.2em; color: #222; }}
  #view {{ overflow: hidden; border: 1px solid #ddd; cursor: grab; }}
  #frames {{ display: grid; transform-origin: 0 0; }}
  .frame {{ grid-area: 1 / 1; visibility: hidden; }}
  .frame.current {{ visibility: visible; }}
  .frame svg {{ max-width: 100%; height: auto; }}
  #controls {{ display: flex; gap: 0.8em; align-items: center; margin: 0.6em 0; }}
  #captions {{ display: grid; background: #f6f6f6; padding: 0.6em; border-radius: 4px; }}
  .caption {{ grid-area: 1 / 1; visibility: hidden; white-space: pre-wrap;
             font-family: Menlo, Consolas, monospace; font-size: 13px; line-height: 1.35; }}
  .caption.current {{ visibility: visible; }}
  .caption math {{ font-size: 120%; }}  /* the formulas, as large as the text around them */
</style>
</head>
<body>
<h2>Backward pass of {root}, step by step</h2>
<div id="controls">
  <button id="previous" type="button">&larr; previous</button>
  <input id="slider" type="range" min="0" max="{last}" value="0">
  <button id="next" type="button">next &rarr;</button>
  <span id="position"></span>
  <button id="zoom-in" type="button">+</button>
  <button id="zoom-out" type="button">&minus;</button>
  <button id="fit" type="button">fit</button>
</div>
<div id="captions">
{captions}
</div>
<div id="view"><div id="frames">
{frames}
</div></div>
<script>
"use strict";
window.onerror = function (message) {{ document.title = "error: " + message; }};
const frames = Array.from(document.querySelectorAll(".frame"));
const captions = Array.from(document.querySelectorAll(".caption"));
const slider = document.getElementById("slider");
function show(index) {{
  index = Math.max(0, Math.min(frames.length - 1, index));
  frames.forEach(function (frame, i) {{ frame.classList.toggle("current", i === index); }});
  captions.forEach(function (caption, i) {{
    caption.classList.toggle("current", i === index);
  }});
  slider.value = String(index);
  document.getElementById("position").textContent =
      "step " + (index + 1) + " of " + frames.length;
  try {{ history.replaceState(null, "", "#step=" + (index + 1)); }}
  catch (error) {{ /* a sandboxed notebook frame may refuse: the page works without */ }}
}}
function current() {{ return Number(slider.value); }}
const previous = document.getElementById("previous");
const next = document.getElementById("next");
previous.addEventListener("click", function () {{ show(current() - 1); }});
next.addEventListener("click", function () {{ show(current() + 1); }});
slider.addEventListener("input", function () {{ show(current()); }});
document.addEventListener("keydown", function (event) {{
  if (event.key === "ArrowLeft") {{ show(current() - 1); }}
  if (event.key === "ArrowRight") {{ show(current() + 1); }}
}});
const inner = document.getElementById("frames");
const view = {{ scale: 1, x: 0, y: 0 }};
function place() {{
  inner.style.transform =
      "translate(" + view.x + "px," + view.y + "px) scale(" + view.scale + ")";
}}
function zoom(factor) {{ view.scale = Math.max(0.2, Math.min(8, view.scale * factor)); place(); }}
document.getElementById("zoom-in").addEventListener("click", function () {{ zoom(1.25); }});
document.getElementById("zoom-out").addEventListener("click", function () {{ zoom(0.8); }});
document.getElementById("fit").addEventListener("click", function () {{
  view.scale = 1; view.x = 0; view.y = 0; place();
}});
const box = document.getElementById("view");
box.addEventListener("wheel", function (event) {{
  event.preventDefault(); zoom(event.deltaY < 0 ? 1.1 : 0.9);
}}, {{ passive: false }});
let drag = null;
box.addEventListener("mousedown", function (event) {{
  drag = {{ x: event.clientX - view.x, y: event.clientY - view.y }};
}});
window.addEventListener("mouseup", function () {{ drag = null; }});
window.addEventListener("mousemove", function (event) {{
  if (drag) {{ view.x = event.clientX - drag.x; view.y = event.clientY - drag.y; place(); }}
}});
document.addEventListener("keydown", function (event) {{
  if (event.key === "+" || event.key === "=") {{ zoom(1.25); }}
  if (event.key === "-") {{ zoom(0.8); }}
}});
const wanted = /step=(\\d+)/.exec(window.location.hash);
show(wanted ? Number(wanted[1]) - 1 : 0);
document.body.dataset.ready = String(frames.length);  // (for tests: the script ran)
</script>
</body>
</html>
"""


def animate_backward(
    root: Tensor,
    path: str | Path | None = None,
    max_elements: int = 6,
    rankdir: str = "TB",
    max_frames: int = 300,
) -> StepPage:
    """The step-through page for the backward pass of ``root``, written to ``path`` if given.

    Needs the ``dot`` program (it draws one SVG per step). Returns a :class:`StepPage`:
    a notebook shows it inline (the page in an ``<iframe srcdoc>``: nothing to open by
    hand), and it is the path written (``read_text()``, ``exists()``, ``open(page)``).
    Each frame draws the whole graph, so a graph with more than ``max_frames`` backward
    steps is refused rather than turned into a page of thousands of drawings.

    Examples:
        >>> import os, tempfile
        >>> import tinygrad_nn as tg
        >>> from tinygrad_nn.viz import dot_available
        >>> x = tg.Tensor(2.0, requires_grad=True, name="x")
        >>> path = os.path.join(tempfile.mkdtemp(), "steps.html")
        >>> animate_backward(x * x, path).exists() if dot_available() else True
        True
    """
    graph = build_graph(root, max_nodes=None)
    steps = backward_steps(root, graph)
    if len(steps) > max_frames:
        raise ValueError(
            f"animate_backward: this graph has {len(steps)} backward steps, more than "
            f"max_frames={max_frames}; pass a larger max_frames, or animate a smaller graph"
        )
    by_name = {key: node.node for key, node in graph.tensors.items()}
    made_by = {op.output: key for key, op in graph.ops.items()}
    known: dict[Any, np.ndarray | None] = {root._ctx or root: np.ones(root.shape, root.dtype)}
    frames, captions = [], []
    for step in steps:
        for c in step.contributions:
            known[by_name[c.to]] = c.accumulated
        for node in graph.tensors.values():
            node.grad = known.get(node.node)
        op_key = made_by[step.node]
        highlight = {step.node, op_key, *(c.to for c in step.contributions)}
        svg = draw(graph, True, True, rankdir, max_elements, False, highlight).pipe(
            format="svg", encoding="utf-8"
        )
        svg = svg[svg.index("<svg") :]  # drop the XML prologue: the SVG is inline
        frames.append(f'<div class="frame" id="frame{step.index}">{svg}</div>')
        caption = "\n".join(line_html(line) for line in caption_lines(step, max_elements))
        captions.append(f'<div class="caption" id="caption{step.index}">{caption}</div>')
    page = PAGE.format(
        root=html.escape(graph.root),
        last=max(len(frames) - 1, 0),
        frames="\n".join(frames),
        captions="\n".join(captions),
    )
    if path is not None:
        write_atomic(Path(path), page)
    return StepPage(page, None if path is None else Path(path), svg_height_px(frames))


def caption_lines(step: BackwardStep, max_elements: int = 6) -> list[Line]:
    """A step's caption, line by line: its rule and each derivative as :class:`Math`
    (typeset in the page), the graph's names and the numbers as text.

    Examples:
        >>> import tinygrad_nn as tg
        >>> from tinygrad_nn.viz import backward_steps
        >>> x = tg.Tensor(3.0, requires_grad=True, name="x")
        >>> for line in caption_lines(backward_steps(x.exp())[0]):
        ...     print("".join(line))
        step 1: exp_out = exp(x)   [z = exp(x)]
          upstream g = dL/dexp_out = 1.
          to x: dz/dx = exp(x) = z;  share = 20.0855
    """
    formula, binding = definition_parts(step)
    lines: list[Line] = [[f"step {step.index}: {step.title}   [", Math(formula), f"{binding}]"]]
    lines.append([f"  upstream g = dL/d{step.node} = {text_of(step.upstream, max_elements)}"])
    for c in step.contributions:
        share = text_of(c.share, max_elements)
        lines.append([f"  to {c.to}: ", Math(c.formula), f";  share = {share}"])
        if c.earlier:
            lines.append(
                [
                    f"    (added to {c.earlier} earlier share(s): "
                    f"{text_of(c.accumulated, max_elements)})"
                ]
            )
    return lines


def svg_height_px(frames: list[str], width_px: float = 1000.0) -> float:
    """About how tall the tallest frame is drawn in a notebook cell ``width_px`` wide
    (the SVG scales down to the width; 1 pt = 4/3 px)."""
    tallest = 0.0
    for frame in frames:
        size = re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', frame)
        if size is not None:
            width, height = (float(v) * 4 / 3 for v in size.groups())
            tallest = max(tallest, height * min(1.0, width_px / width))
    return tallest


class StepPage(os.PathLike):
    """What :func:`animate_backward` returns: the page, shown inline by a notebook, and the
    file it was written to (``path``; None when none was given).

    Where a path was given it stands for that path: ``os.fspath(page)``, ``open(page)``
    and Path's methods (``read_text()``, ``exists()``, ``as_uri()``...) work on it.
    """

    def __init__(self, html_text: str, path: Path | None, frame_height: float = 480.0) -> None:
        self.html, self.path, self.frame_height = html_text, path, frame_height

    def __fspath__(self) -> str:
        if self.path is None:
            raise TypeError("animate_backward was given no path, so no file was written")
        return os.fspath(self.path)

    def __getattr__(self, name: str) -> Any:  # the rest of Path's methods, for a written page
        path = self.__dict__.get("path")
        if path is None or name.startswith("_"):
            raise AttributeError(f"StepPage has no attribute {name!r}")
        return getattr(path, name)

    def read_text(self, encoding: str | None = None, errors: str | None = None) -> str:
        """The page's HTML (the file's text, when it was written)."""
        return self.html if self.path is None else self.path.read_text(encoding, errors)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StepPage):
            return (self.path, self.html) == (other.path, other.html)
        return (
            self.path is not None
            and isinstance(other, (str, os.PathLike))
            and (Path(other) == self.path)
        )

    def __hash__(self) -> int:
        return hash(self.path)

    def __repr__(self) -> str:
        where = "not written to a file" if self.path is None else str(self.path)
        return f"StepPage({where})"

    def _repr_html_(self) -> str:
        """The whole page inside an ``<iframe srcdoc>``: self-contained, escaped, its
        script kept to the frame (sandboxed)."""
        # the heading, the controls and the tallest caption (typeset fractions make its
        # lines taller than text) take about 250 px above the drawing
        height = round(min(900.0, 250.0 + self.frame_height))
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
            # border-box: the border inside the cell's width (else 2 px over: a scrollbar)
            f'style="width: 100%; box-sizing: border-box; height: {height}px; '
            'border: 1px solid #ddd" '
            'title="backward pass, step by step"></iframe>'
        )
