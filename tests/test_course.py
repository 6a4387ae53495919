"""The course: every lesson runs as a notebook in a fresh kernel, its solutions included.

Each lesson (docs/course/<n>-<name>.md) is a jupytext notebook. Here it is executed with
its collapsed solutions turned into code cells right after their exercise, so one run
proves both that the lesson runs from a clean kernel and that every reference solution
passes the checker (each solution asserts its verdict). The page is then rendered from
the executed notebook as the docs hook renders it: it must show printed results and at
least one picture drawn by the page's own code.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("course_hook", ROOT / "docs" / "_hooks" / "course.py")
assert spec is not None and spec.loader is not None
course = importlib.util.module_from_spec(spec)
spec.loader.exec_module(course)

LESSONS = course.lessons()
EXPECTED = [
    "0-the-seed-by-hand",
    "1-the-chain-rule-on-a-graph",
    "2-tensors-and-broadcasting",
    "3-the-mlp-and-cross-entropy",
    "4-convolution",
    "5-recurrence",
    "6-attention",
    "7-what-the-machine-does",
]


def test_the_lessons_are_there_in_order_and_in_the_navigation() -> None:
    assert [p.stem for p in LESSONS] == EXPECTED
    nav = (ROOT / "mkdocs.yml").read_text()
    for path in LESSONS:
        assert f"course/{path.name}" in nav, path.name


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_a_lesson_is_a_notebook_with_math_and_exercises(path: Path) -> None:
    text = path.read_text()
    assert text.startswith("---\njupyter:\n  jupytext:"), "a jupytext header"
    assert "$$" in text and re.search(r"(?<!\$)\$[^$\n]+\$", text), "display and inline math"
    for number, line in enumerate(text.splitlines(), 1):  # the typesetter reads $...$ on one line
        assert line.replace("$$", "").count("$") % 2 == 0, f"line {number}: inline math split"
    solutions = course.solutions_in(text)
    assert 2 <= len(solutions) <= 4, f"{len(solutions)} solutions"
    for code in solutions:  # each solution asserts what the checker says
        assert "assert" in code and ("check(" in code or ".answer(" in code), code
    assert "viz.explain(" in text or "viz.explanation(" in text, "one backward pass, stepped"
    header, footer = course.links(path)
    assert ".ipynb" in header and "→" in footer and "←" in footer


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_a_lesson_runs_and_its_solutions_pass(path: Path) -> None:
    pytest.importorskip("jupytext")
    pytest.importorskip("nbclient")
    nb = course.execute(course.notebook(path, solutions=True), timeout=60)
    page = course.render(nb, f"test-{path.stem}")
    assert "```text\n" in page, "the page shows printed results"
    assert "![drawn by the code above](../generated/course/" in page, "a picture from its code"
    for picture in course.OUT.glob(f"test-{path.stem}-*"):
        picture.unlink()  # the test's copies; the docs build writes its own
