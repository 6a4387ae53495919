"""See backprop: draw computation graphs, explain the backward pass, step through it.

- :func:`draw_graph` — a ``graphviz.Digraph`` (inline SVG in Jupyter);
- :func:`to_dot`, :func:`to_mermaid`, :func:`to_text` — text forms, no ``dot`` needed;
- :func:`backward_steps`, :func:`explain` — the backward pass as data and as words;
- :func:`animate_backward` — a self-contained HTML page with one frame per step;
- :func:`gradient_flow`, :func:`gradient_stats` — each parameter's gradient size and
  update-to-weight ratio (matplotlib): vanishing gradients, seen.

Needs the ``graphviz`` Python package for drawings (``pip install 'tinygrad-nn[viz]'``)
and the ``dot`` program (system package ``graphviz``) to render them.

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn import viz
    >>> x = tg.Tensor(3.0, requires_grad=True, name="x")
    >>> print(viz.to_text(x * x))
    mul_out = mul(x, x)  shape ()  value 9.  grad 1.
    ├── x   leaf with grad  shape ()  value 3.  grad 6.
    └── x   (shown above)
"""

from tinygrad_nn.viz.animate import animate_backward
from tinygrad_nn.viz.flow import GradientStat, gradient_flow, gradient_stats
from tinygrad_nn.viz.graph import Graph, build_graph
from tinygrad_nn.viz.render import (
    DotNotFound,
    dot_available,
    draw_graph,
    render_svg,
    to_dot,
    to_mermaid,
    to_text,
)
from tinygrad_nn.viz.steps import (
    BackwardStep,
    Contribution,
    backward_steps,
    explain,
    explanation,
    gradients,
)

__all__ = [
    "BackwardStep",
    "Contribution",
    "DotNotFound",
    "GradientStat",
    "Graph",
    "animate_backward",
    "backward_steps",
    "build_graph",
    "dot_available",
    "draw_graph",
    "explain",
    "explanation",
    "gradient_flow",
    "gradient_stats",
    "gradients",
    "render_svg",
    "to_dot",
    "to_mermaid",
    "to_text",
]
