"""The microscope on someone else's program: explain its first ``loss.backward()``.

:class:`ExplainFirstBackward` wraps ``Tensor.backward`` while a program runs (the ``run
--explain OUT`` command). At the first ``backward()`` on a one-element tensor it writes,
before the pass frees the graph:

- ``graph.dot`` (and ``graph.svg`` with the ``dot`` program): the drawing, one box per
  innermost module call (``viz.draw_graph(loss, collapse=True)``, shapes without values:
  a real model's weights would not fit in a box);
- ``explain.txt``: the chain-rule derivation of that backward pass (``viz.explanation``);
- ``backprop.html``: the step-through page (``viz.animate_backward``; needs ``dot``);

then puts ``Tensor.backward`` back and runs the pass, so the program goes on unchanged.
Messages go to stderr: the program's own output stays as it was.

Examples:
    >>> import tempfile, tinygrad_nn as tg
    >>> out = tempfile.mkdtemp()
    >>> x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    >>> with ExplainFirstBackward(out, quiet=True) as explainer:
    ...     (x * x).sum().backward()
    >>> explainer.written[0].name, x.grad.tolist()
    ('explain.txt', [2.0, 4.0])
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from tinygrad_nn import viz
from tinygrad_nn.files import write_atomic
from tinygrad_nn.hooks import Observer, hooks, mode
from tinygrad_nn.tensor import Tensor

__all__ = ["ExplainFirstBackward", "write_explanation"]


# Each frame of the step-through page draws the whole graph: past this many backward steps
# the page is tens of megabytes (a small GPT's 112 steps: 74 MB), too much for a browser.
MAX_FRAMES = 60


def write_explanation(loss: Tensor, out: Path) -> tuple[list[Path], list[str]]:
    """Write the drawing, explanation and step-through page of ``loss``'s backward pass
    into ``out``; return the paths written and notes on what could not be."""
    out.mkdir(parents=True, exist_ok=True)
    written, notes = [], []
    write_atomic(out / "explain.txt", viz.explanation(loss) + "\n")
    written.append(out / "explain.txt")
    try:
        # values left out: a real model's weights would make labels too long for dot
        drawing = viz.draw_graph(loss, collapse=True, show_data=False, show_grad=False)
    except ImportError as error:  # the graphviz Python package is optional
        notes.append(f"no drawing: {error}")
        return written, notes
    write_atomic(out / "graph.dot", str(drawing.source) + "\n")
    written.append(out / "graph.dot")
    if not viz.dot_available():
        notes.append(
            "the graphviz 'dot' program is missing, so graph.svg and backprop.html were not "
            "written (apt-get install graphviz / brew install graphviz)"
        )
        return written, notes
    write_atomic(out / "graph.svg", str(drawing.pipe(format="svg", encoding="utf-8")))
    written.append(out / "graph.svg")
    try:
        viz.animate_backward(loss, out / "backprop.html", max_frames=MAX_FRAMES)
        written.append(out / "backprop.html")
    except ValueError as error:  # too many steps for one page of drawings
        notes.append(f"no backprop.html: {error}")
    except (OSError, subprocess.CalledProcessError) as error:  # dot refused a frame
        notes.append(f"no backprop.html: the dot program failed on a frame ({error!r})")
    return written, notes


class ExplainFirstBackward(Observer):
    """While active, the first ``backward()`` of a one-element tensor is explained into
    ``out`` (see the module docs); ``written`` and ``notes`` say what happened. It is an
    observer of the engine (:mod:`tinygrad_nn.hooks`): nothing of the Tensor is patched.
    """

    def __init__(self, out: str | Path, quiet: bool = False) -> None:
        self.out, self.quiet = Path(out), quiet
        self.written: list[Path] = []
        self.notes: list[str] = []

    def __enter__(self) -> ExplainFirstBackward:
        hooks.observers.append(self)
        return self

    def backward(self, root: Any, grad: Any, create_graph: bool) -> bool:
        if root.requires_grad and root.numel() == 1 and not mode.tracing:
            self.restore()  # only the first: the rest of the program runs as usual
            self.explain(root)
        return False  # the backward pass itself runs as usual

    def explain(self, loss: Tensor) -> None:
        self.written, self.notes = write_explanation(loss, self.out)
        if not self.quiet:
            for path in self.written:
                print(f"tinygrad_nn: wrote {path}", file=sys.stderr)
            for note in self.notes:
                print(f"tinygrad_nn: note: {note}", file=sys.stderr)

    def restore(self) -> None:
        if self in hooks.observers:
            hooks.observers.remove(self)

    def __exit__(self, *exc: Any) -> None:
        if self in hooks.observers and not self.written and not self.quiet:
            print("tinygrad_nn: note: the program never called backward()", file=sys.stderr)
        self.restore()
