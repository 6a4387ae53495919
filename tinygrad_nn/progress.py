"""A progress bar with the current loss: tqdm in a terminal, the notebook's own in Jupyter.

- In a terminal (tqdm installed, output a terminal): tqdm's bar; when training ends it
  stays as one final line with the last loss.
- In a Jupyter notebook: tqdm's widget when ``ipywidgets`` is installed, else one line of
  text updated in place (an IPython display, no widget needed). Either way the notebook
  keeps one final line — ``training: 1500/1500 steps, loss 0.0012`` — not a frozen
  ``0/1500 0%``, and an exported notebook shows it.
- Otherwise (no tqdm, output piped, ``enabled=False``): silent.

Examples:
    >>> with ProgressBar(3, "training") as bar:
    ...     for step in range(3):
    ...         bar.update(loss=1.0 / (step + 1))
    >>> bar.line()
    'training: 3/3 steps, loss 0.3333'
"""

from __future__ import annotations

import html
import importlib
import importlib.util
import sys
import time
from typing import Any


def in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython's ZMQ shell). IPython is only looked at if
    it is already imported: a script never imports it."""
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def _has_widgets() -> bool:
    return importlib.util.find_spec("ipywidgets") is not None


class NotebookLine:
    """One line of text in a notebook cell, replaced in place (an IPython display handle),
    at most every ``interval`` seconds and once more at the end."""

    def __init__(self, text: str, interval: float = 0.25) -> None:
        display = importlib.import_module("IPython.display").display  # only in a notebook

        self.interval, self.shown_at = interval, time.monotonic()
        self.handle = display(self._bundle(text), raw=True, display_id=True)

    @staticmethod
    def _bundle(text: str) -> dict[str, str]:
        return {"text/plain": text, "text/html": f"<pre>{html.escape(text)}</pre>"}

    def show(self, text: str, final: bool = False) -> None:
        now = time.monotonic()
        if final or now - self.shown_at >= self.interval:
            self.shown_at = now
            self.handle.update(self._bundle(text), raw=True)


class ProgressBar:
    """``update(loss=...)`` once per step; the loss is shown every ``every`` steps."""

    def __init__(self, total: int, description: str, every: int = 25, enabled: bool = True) -> None:
        self.total, self.description = total, description
        self.every = max(1, every)
        self.steps = 0
        self.last: tuple[float, dict[str, Any]] | None = None  # the last loss and extras
        self.bar: Any = None  # tqdm's bar (terminal, or widget)
        self.notebook: NotebookLine | None = None  # the text line, in a notebook
        if not enabled:
            return
        notebook = in_notebook()
        if notebook and not _has_widgets():
            self.notebook = NotebookLine(self.line())
            return
        try:
            if notebook:
                from tqdm.notebook import tqdm
            else:
                from tqdm import tqdm
        except ImportError:
            return
        # leave=True: the finished bar stays as the one final line, with the last loss
        self.bar = tqdm(total=total, desc=description, disable=None, leave=True)

    def line(self) -> str:
        """The progress as one line of text: ``training: 3/10 steps, loss 0.25``."""
        extras = ", ".join(f"{k} {v}" for k, v in self._shown().items())
        return f"{self.description}: {self.steps}/{self.total} steps" + (
            f", {extras}" if extras else ""
        )

    def update(self, loss: float | None = None, **shown: Any) -> None:
        """One step done; every ``every`` steps show the loss and ``shown`` (epoch=...)."""
        self.steps += 1
        if loss is not None:
            self.last = (loss, shown)  # formatted only when shown: no per-step text
        if self.bar is None and self.notebook is None:
            return
        if self.bar is not None:
            self.bar.update(1)
        if self.steps % self.every == 0:
            self._show(final=False)

    def _shown(self) -> dict[str, Any]:
        """The last loss and extras, as shown: ``{"epoch": 2, "loss": "0.25"}``."""
        if self.last is None:
            return {}
        loss, shown = self.last
        values = {k: f"{v:.4g}" if isinstance(v, float) else v for k, v in shown.items()}
        return {**{k: v for k, v in values.items() if v is not None}, "loss": f"{loss:.4g}"}

    def _show(self, final: bool) -> None:
        if self.bar is not None and self.last is not None:
            self.bar.set_postfix(self._shown(), refresh=final)
        if self.notebook is not None:
            self.notebook.show(self.line(), final=final)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._show(final=True)  # the last loss, whatever step it came at
        if self.bar is not None:
            self.bar.close()
