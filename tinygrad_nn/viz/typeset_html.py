"""Text with formulas in it, typeset in HTML: ``explain``'s notebook form, the step page.

A derivation is lines of text in which some pieces are an op's formula or derivative
(:class:`Math`). As a string it is those pieces joined, exactly as printed; as HTML each
:class:`Math` piece is MathML (:func:`tinygrad_nn.viz.typeset.mathml`, which browsers
draw natively: nothing is loaded from the network) and everything else is escaped text.
A formula that cannot be typeset — latex2mathml not installed, or a string it rejects —
shows as its own text, so the HTML never loses a line. Each ``<math>`` carries its
formula's text as ``alttext`` (what a screen reader says, and what a copy can find).

Examples:
    >>> line = ["to x:  local ", Math("dz/dx = y"), "   (from z = x * y)"]
    >>> text = TypesetText.of([line])
    >>> print(text)
    to x:  local dz/dx = y   (from z = x * y)
    >>> 'alttext="dz/dx = y"' in text._repr_html_()
    True
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from tinygrad_nn.display import Text
from tinygrad_nn.viz.typeset import mathml


class Math(str):
    """A piece of a line that is a formula in the ops' notation (typeset in HTML)."""

    __slots__ = ()


Line = Sequence[str]  # pieces: plain text, or Math


def formula_html(formula: str) -> str:
    """One formula as MathML with its text as ``alttext``; its escaped text in ``<code>``
    where it cannot be typeset (latex2mathml missing, or the string rejected).

    Examples:
        >>> formula_html("z = x < y").startswith('<math alttext="z = x &lt; y" displaystyle=')
        True
    """
    try:
        markup = mathml(formula)
    except ImportError:  # latex2mathml is not installed: the page still reads
        markup = ""
    if not markup.startswith("<math "):
        return f'<code class="formula">{html.escape(formula)}</code>'
    # displaystyle: fractions at full size, as a reader writes them, not shrunk to fit a line
    alt = html.escape(formula, quote=True)
    return f'<math alttext="{alt}" displaystyle="true" {markup[len("<math ") :]}'


def line_html(pieces: Line) -> str:
    """A line's pieces as HTML: :class:`Math` typeset, the rest escaped."""
    return "".join(formula_html(p) if isinstance(p, Math) else html.escape(p) for p in pieces)


class TypesetText(Text):
    """A :class:`~tinygrad_nn.display.Text` (``str``, ``print`` and ``==`` are the plain
    text) whose notebook form typesets its formulas, line by line in a ``<pre>`` block.
    The MathML is made when a notebook asks for it, not when the text is made.

    Examples:
        >>> text = TypesetText.of([["a = ", Math("z = x ** 2")], ["b"]])
        >>> text == "a = z = x ** 2\\nb", "<msup>" in text._repr_html_()
        (True, True)
    """

    lines: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def of(cls, lines: Sequence[str | Line]) -> TypesetText:
        """The text of ``lines`` (each a plain string, or a sequence of pieces)."""
        kept = tuple((line,) if isinstance(line, str) else tuple(line) for line in lines)
        text = cls("\n".join("".join(line) for line in kept))
        text.lines = kept
        return text

    def _repr_html_(self) -> str:
        if not self.lines:  # made from a plain string: nothing marked as math
            return super()._repr_html_()
        body = "\n".join(line_html(line) for line in self.lines)
        return f'<pre class="tinygrad-nn-text tinygrad-nn-typeset">{body}</pre>'


__all__ = ["Line", "Math", "TypesetText", "formula_html", "line_html"]
