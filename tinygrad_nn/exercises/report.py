"""What :func:`~tinygrad_nn.exercises.check` found, per name: a verdict and its report.

A :class:`Verdict` is one checked gradient: ``exact`` (equal to the engine's, bit for
bit), ``close`` (within the tolerances: the rounding of another order of operations) or
``wrong``, with the differences and, for a wrong one, the likely mistake. A
:class:`CheckResult` holds them all; it prints as a small table and shows as an HTML
table in a notebook.

Examples:
    >>> v = Verdict("dw", "w", "exact", np.ones(2), np.ones(2))
    >>> print(CheckResult([v]))
    dw  (2,)  exact
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

EXACT, CLOSE, WRONG = "exact", "close", "wrong"
WIDTH = 88  # where a wrong answer's explanation wraps


@dataclass
class Verdict:
    """One checked gradient.

    Attributes:
        name: the name the learner gave (``dW1``).
        target: the graph's name for the tensor (``W1``).
        status: ``"exact"``, ``"close"`` or ``"wrong"``.
        answer: the learner's answer, as a NumPy array (None if it could not be read).
        expected: the true gradient.
        diagnosis: the kind of mistake (None unless wrong), e.g. ``"sign flipped"``.
        message: the explanation of the mistake ("" unless wrong).
        factor: for a constant factor (or the sign): answer / gradient.
    """

    name: str
    target: str
    status: str
    answer: np.ndarray | None
    expected: np.ndarray
    diagnosis: str | None = None
    message: str = ""
    factor: float | None = None

    @property
    def ok(self) -> bool:
        """Exact or close."""
        return self.status != WRONG

    @property
    def max_abs_diff(self) -> float | None:
        """The largest difference from the gradient (None when the shapes differ)."""
        if self.answer is None or self.answer.shape != self.expected.shape:
            return None
        return float(np.max(np.abs(self.answer - self.expected), initial=0.0))

    @property
    def relative(self) -> float | None:
        """The largest difference relative to the gradient's largest entry."""
        diff = self.max_abs_diff
        if diff is None:
            return None
        scale = float(np.max(np.abs(self.expected), initial=0.0))
        return diff / scale if scale > 0 else (0.0 if diff == 0 else float("inf"))

    @property
    def numbers(self) -> str:
        """``max |diff| 2.8e-17, relative 1.2e-16`` (empty when exact or misshapen)."""
        diff, relative = self.max_abs_diff, self.relative
        if self.status == EXACT or diff is None or relative is None:
            return ""
        return f"max |diff| {diff:.2g}, relative {relative:.2g}"

    def __str__(self) -> str:
        return str(CheckResult([self]))


def wrapped(text: str, indent: str) -> str:
    """``text`` indented and wrapped at :data:`WIDTH` (never inside pre-activation)."""
    return textwrap.fill(
        text, WIDTH, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
    )


class CheckResult:
    """Every verdict of one :func:`~tinygrad_nn.exercises.check` call, by name.

    ``result.ok`` is True when every answer is exact or close; ``result["dW1"]`` is one
    :class:`Verdict`; iterating gives them in the order they were passed.
    """

    def __init__(self, verdicts: list[Verdict]) -> None:
        self.verdicts = {v.name: v for v in verdicts}

    @property
    def ok(self) -> bool:
        """Whether every answer is right (exact or close)."""
        return all(v.ok for v in self.verdicts.values())

    def __getitem__(self, name: str) -> Verdict:
        if name not in self.verdicts:
            raise KeyError(f"{name!r} was not checked; checked: {', '.join(self.verdicts)}")
        return self.verdicts[name]

    def __iter__(self) -> Iterator[Verdict]:
        return iter(self.verdicts.values())

    def __len__(self) -> int:
        return len(self.verdicts)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        rows = [
            (v.name, str(tuple(v.expected.shape)), v.status, v.numbers)
            for v in self.verdicts.values()
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines = []
        for v, row in zip(self.verdicts.values(), rows):
            cells = [c.ljust(w) for c, w in zip(row, widths)] + [row[3]]
            lines.append("  ".join(cells).rstrip())
            if v.message:  # under the verdict, wrapped to a notebook's width
                lines.append(wrapped(v.message, " " * (widths[0] + 2)))
        return "\n".join(lines)

    def __repr__(self) -> str:
        statuses = ", ".join(f"{v.name}={v.status}" for v in self.verdicts.values())
        return f"CheckResult({statuses})"

    def _repr_html_(self) -> str:
        colour = {EXACT: "#1a7f37", CLOSE: "#1a7f37", WRONG: "#cf222e"}
        rows = []
        for v in self.verdicts.values():
            rows.append(
                "<tr>"
                f"<td><code>{html.escape(v.name)}</code></td>"
                f"<td>{html.escape(str(tuple(v.expected.shape)))}</td>"
                f'<td style="color:{colour[v.status]}"><b>{v.status}</b></td>'
                f"<td>{html.escape(v.numbers)}</td>"
                f"<td>{html.escape(v.message)}</td>"
                "</tr>"
            )
        head = "<tr><th>name</th><th>shape</th><th>verdict</th><th>difference</th><th>why</th></tr>"
        return f"<table>{head}{''.join(rows)}</table>"


__all__ = ["CLOSE", "EXACT", "WRONG", "CheckResult", "Verdict"]
