"""How results show in a notebook: text as preformatted blocks, tensors as small tables.

Jupyter asks an object for its richest form (``_repr_html_``, ``_repr_mimebundle_``) and
falls back to ``repr``. A plain ``str`` has no HTML form and its ``repr`` is the escaped
one-liner (``'a\\nb'``), so a derivation returned as the last line of a cell would show
as a wall of ``\\n``. :class:`Text` is a ``str`` that shows as itself: in ``print``,
``==``, ``in`` and every string method it is the same string; a notebook shows it in a
``<pre>`` block. Everything written into HTML here is escaped.

This module needs NumPy alone (it is imported by the core :class:`Tensor`).

Examples:
    >>> text = Text("a = 1\\nb = 2")
    >>> text == "a = 1\\nb = 2", "b = 2" in text
    (True, True)
    >>> text
    a = 1
    b = 2
    >>> print(text._repr_html_())
    <pre class="tinygrad-nn-text">a = 1
    b = 2</pre>
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

FULL = 1000  # elements shown in full on hover or in a Tensor's table; numpy's own threshold


class Text(str):
    """A ``str`` that shows as preformatted text in a notebook, and as itself in a REPL.

    Examples:
        >>> Text("x < 1")._repr_html_()
        '<pre class="tinygrad-nn-text">x &lt; 1</pre>'
    """

    __slots__ = ()

    def __repr__(self) -> str:  # the REPL's and IPython's plain text: the text, not '...\n...'
        return str(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        return f'<pre class="tinygrad-nn-text">{html.escape(self)}</pre>'


def array_text(values: Any, threshold: int = FULL) -> str:
    """An array written out in full up to ``threshold`` elements (summarised with ``...``
    past that), at six significant digits.

    Examples:
        >>> print(array_text(np.array([[1.0, 2.5], [3.0, 4.0]])))
        [[1. , 2.5],
         [3. , 4. ]]
    """
    return np.array2string(np.asarray(values), separator=", ", precision=6, threshold=threshold)


def tensor_html(tensor: Any) -> str:
    """A tensor as a small HTML table (name, shape, dtype, the op that made it, its grad)
    and its values; every piece is escaped. Used by ``Tensor._repr_html_``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> page = tensor_html(tg.Tensor([1.0, 2.0], requires_grad=True, name="<w>"))
        >>> "&lt;w&gt;" in page, "<w>" in page, "requires grad" in page
        (True, False, True)
    """
    op = tensor.op
    if op is not None:
        made = f"{op.name} (computed)"
    else:
        made = "leaf" + (" (requires grad)" if tensor.requires_grad else "")
    if not tensor.requires_grad:
        grad = "no (requires_grad=False)"
    elif tensor._grad is None and op is not None:
        grad = "requires grad; gradients pass through it (.grad: see retain_grad())"
    elif tensor._grad is None:
        grad = "requires grad; .grad is None (no backward yet)"
    else:
        grad = "requires grad; .grad holds a gradient"
    rows = [("name", tensor.name)] if tensor.name else []
    shape = "scalar ()" if tensor.ndim == 0 else str(tuple(tensor.shape))
    rows += [("shape", shape), ("dtype", str(tensor.dtype)), ("device", str(tensor.device))]
    rows += [("made by", made), ("grad", grad)]
    cells = "".join(
        f'<tr><th style="text-align:left;padding-right:1em">{html.escape(k)}</th>'
        f'<td style="text-align:left">{html.escape(str(v))}</td></tr>'
        for k, v in rows
    )
    values = html.escape(array_text(tensor.detach().numpy()))
    return (
        '<div class="tinygrad-nn-tensor"><b>Tensor</b>'
        f'<table style="margin:0.2em 0">{cells}</table>'
        f'<pre style="margin:0">{values}</pre></div>'
    )


__all__ = ["Text", "array_text", "tensor_html"]
