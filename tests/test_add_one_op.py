"""The "Adding one op" walk-through of docs/architecture.md, run as written.

The code blocks of that section are extracted from the markdown and executed in order, in
one namespace, so the docs cannot drift from the library: the op they declare must work
as a Tensor method (with its docstring), eagerly, to second order, compiled, drawn and on
array-api-strict — each block asserts one of those.
"""

from __future__ import annotations

import doctest
import pathlib
import re
from collections.abc import Iterator

import pytest

from tinygrad_nn.ops import catalogue
from tinygrad_nn.tensor_methods import TensorMethods

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
HEADING = "## Adding one op"


def section() -> str:
    """The text of the section, from its heading to the next ``## `` heading."""
    text = DOC.read_text()
    assert HEADING in text, f"{DOC} has no {HEADING!r} section"
    body = text.split(HEADING, 1)[1]
    return re.split(r"\n## ", body, maxsplit=1)[0]


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", section(), re.S)


@pytest.fixture
def walk_through() -> Iterator[dict]:
    """Run every block; afterwards forget the op, so other tests see the library as it is."""
    before = catalogue.declared()
    namespace: dict = {"__name__": "add_one_op_walk_through"}
    try:
        for i, code in enumerate(blocks()):
            exec(compile(code, f"{DOC.name}: {HEADING} block {i + 1}", "exec"), namespace)
        yield namespace
    finally:
        for cls in catalogue.declared():
            if cls not in before:
                catalogue._declared.remove(cls)
                for name in catalogue.method_names(cls):
                    if name in vars(TensorMethods):
                        delattr(TensorMethods, name)


def test_the_section_shows_all_five_things_in_separate_blocks() -> None:
    code = blocks()
    assert len(code) == 6, "a declaration, then eager, second order, compiled, drawn, strict"
    assert "@catalogue.elementwise" in code[0]
    for needle, block in zip(
        ("backward()", "create_graph=True", "tg.compile", "viz.", "array_api_strict"), code[1:]
    ):
        assert needle in block and "assert" in block, needle


def test_the_walk_through_runs_and_its_op_has_every_door(walk_through: dict) -> None:
    import numpy as np

    import tinygrad_nn as tg

    softsign = walk_through["Softsign"]
    assert softsign in catalogue.declared()
    assert tg.Tensor.softsign.__doc__.startswith("x / (1 + |x|)")
    finder = doctest.DocTestFinder()
    (test,) = finder.find(softsign, "Softsign", globs={})
    result = doctest.DocTestRunner().run(test)
    assert result.failed == 0 and result.attempted > 0
    # the NumPy ufunc mapping has nothing to add (NumPy has no softsign), and the
    # Tensor method is a plain function of the op, as the hand-written ones were
    assert catalogue.ufunc_names(softsign) == ()
    assert np.allclose(tg.Tensor([1.0]).softsign().data, [0.5])


def test_the_op_is_forgotten_after_the_walk_through() -> None:
    assert "softsign" not in vars(TensorMethods)
