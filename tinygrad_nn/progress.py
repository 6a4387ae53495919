"""A progress bar with the current loss, from tqdm when it is installed (extra ``plot``).

Without tqdm, or when output is not a terminal, training runs silently.

Examples:
    >>> with ProgressBar(3, "training") as bar:
    ...     for step in range(3):
    ...         bar.update(loss=1.0 / (step + 1))
"""

from __future__ import annotations

from typing import Any


class ProgressBar:
    """``update(loss=...)`` once per step; the loss is shown every ``every`` steps."""

    def __init__(self, total: int, description: str, every: int = 25, enabled: bool = True) -> None:
        self.every = max(1, every)
        self.steps = 0
        self.bar: Any = None
        if not enabled:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=total, desc=description, disable=None, leave=False)

    def update(self, loss: float | None = None, **shown: Any) -> None:
        """One step done; every ``every`` steps show the loss and ``shown`` (epoch=...)."""
        self.steps += 1
        if self.bar is None:
            return
        self.bar.update(1)
        if loss is not None and self.steps % self.every == 0:
            values = {k: f"{v:.4g}" if isinstance(v, float) else v for k, v in shown.items()}
            self.bar.set_postfix(
                {**{k: v for k, v in values.items() if v is not None}, "loss": f"{loss:.4g}"}
            )

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.close()
