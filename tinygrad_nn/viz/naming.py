"""The user's own names in drawings: variables of the calling code, and formulas using them.

A notebook calls its tensors ``X``, ``W1``, ``loss``; a drawing should too. With no
``name=`` given, a tensor is named after the variable that holds it in the code that
asked for the drawing (the notebook's globals, or the calling function's locals), then
after its module parameter path (``fc1.weight``), then after the op that made it.

Formulas on the edges are written with the op's generic input names (``dL/dy = x.T @
g``); :func:`named_formula` puts the inputs' own short names in (``dL/dW1 = X.T @ g``).

Examples:
    >>> named_formula("dL/dy = x.T @ g", {"x": "X", "y": "W1"})
    'dL/dW1 = X.T @ g'
"""

from __future__ import annotations

import inspect
import os
import re
from typing import Any

import numpy as np

from tinygrad_nn.tensor import Tensor

SHORT = 8  # names up to this long go into formulas; longer ones would crowd the edge
VIZ = os.path.dirname(os.path.abspath(__file__)) + os.sep  # frames here are not the caller's


def caller_tensors() -> dict[str, Any]:
    """The tensors (and NumPy arrays: a target ``y`` passed to a loss as an array) held
    by variables of the code outside ``viz`` that is running now, by name: its locals
    first, then its module's (or notebook's) globals. Names starting with ``_`` (a
    notebook's ``_``, ``_3``) and names that are not identifiers (a tool's hidden
    variables) are skipped."""
    frame = inspect.currentframe()
    while frame is not None and frame.f_globals.get("__name__", "").startswith("tinygrad_nn.viz"):
        frame = frame.f_back
    if frame is None:
        return {}
    found: dict[str, Any] = {}
    try:
        for scope in (frame.f_locals, frame.f_globals):
            for name, value in list(scope.items()):
                wanted = isinstance(value, (Tensor, np.ndarray))
                if wanted and name.isidentifier() and name[0] != "_":
                    found.setdefault(name, value)
    finally:
        del frame  # a frame refers to its locals: do not keep them alive
    return found


def usable_names(formula: str, names: dict[str, str]) -> dict[str, str]:
    """The entries of ``names`` that :func:`named_formula` puts into ``formula``: short
    identifiers that do not already mean something else there (``g``, the upstream
    gradient)."""
    words = set(re.findall(r"[A-Za-z_]\w*", formula)) - set(names)
    return {
        k: v
        for k, v in names.items()
        if v == k or (v.isidentifier() and len(v) <= SHORT and {v, "d" + v}.isdisjoint(words))
    }


def named_formula(formula: str, names: dict[str, str]) -> str:
    """``formula`` with each generic input name (a whole word: ``x``, ``y``) replaced by
    its name in ``names`` (those of :func:`usable_names`)."""
    usable = usable_names(formula, names)
    if not usable:
        return formula
    head, equals, body = formula.partition(" = ")
    head = re.sub(r"/d(\w+)", lambda m: "/d" + usable.get(m.group(1), m.group(1)), head)
    pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, usable)) + r")\b")
    return head + equals + pattern.sub(lambda m: usable[m.group(1)], body)


def input_names(op: Any, inputs: list[str]) -> dict[str, str]:
    """The op's formula names (``x``, ``y``) -> the names of its inputs, all or none: a
    formula with some names put in and some generic letters left (``dz/df = x`` where the
    graph also has a tensor called ``x``) would mislead. None either when an input is a
    number, a name is long or clashes with the formula (``z`` in ``dz/dx``), or one
    tensor feeds two inputs (``x * x``: which is which?).

    Examples:
        >>> from tinygrad_nn import ops
        >>> input_names(ops.MatMul(), ["X", "W1"]), input_names(ops.Mul(), ["z", "f"])
        ({'x': 'X', 'y': 'W1'}, {})
    """
    names = {op.input_name(i): name for i, name in enumerate(inputs)}
    if len(set(inputs)) != len(inputs):
        return {}
    formulas = [op.definition, *op.derivatives]
    return names if all(usable_names(f, names) == names for f in formulas) else {}


__all__ = ["caller_tensors", "input_names", "named_formula", "usable_names"]
