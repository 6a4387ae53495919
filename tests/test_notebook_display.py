"""Jupyter display, tested without Jupyter: each object's _repr_* methods called as IPython
would, notebook-only code paths run against a stand-in IPython, and the HTML measured in
headless chromium."""

from __future__ import annotations

import html
import io
import os
import re
import sys
import types

import numpy as np
import pytest
from test_hardening import EVIL_NAMES, evil_graph
from test_viz import browser_boxes, chromium, require, typeset_text

import tinygrad_nn as tg
from tinygrad_nn import nn, optim, progress, tutorial, viz
from tinygrad_nn.training import fit


class Printer:
    """What IPython hands to ``_repr_pretty_``: text goes in, nothing else."""

    def __init__(self) -> None:
        self.written = ""

    def text(self, text: str) -> None:
        self.written += text


def pretty(value: object) -> str:
    printer = Printer()
    value._repr_pretty_(printer, False)  # type: ignore[attr-defined]
    return printer.written


# ---------------------------------------------------------------- text as preformatted text


def texts():
    loss = tutorial.named_seed_graph()
    compiled = tg.compile(lambda w: (w * w).sum())
    compiled(tg.Tensor([1.0, 2.0], requires_grad=True))
    return {
        "to_text": viz.to_text(loss),
        "explanation": viz.explanation(loss),
        "compiled source": compiled.source,
    }


@pytest.mark.parametrize("which", ["to_text", "explanation", "compiled source"])
def test_text_results_show_as_preformatted_text_and_stay_strings(which) -> None:
    text = texts()[which]
    plain = str(text)
    assert isinstance(text, str) and type(plain) is str and "\n" in plain
    assert text == plain and plain == text and hash(text) == hash(plain)
    assert plain.splitlines()[0] in text and text.splitlines() == plain.splitlines()
    assert repr(text) == plain and pretty(text) == plain  # no '...\\n...' wall
    assert "\\n" not in repr(text)
    page = text._repr_html_()
    assert page.startswith("<pre") and page.endswith("</pre>")
    assert typeset_text(page[page.index(">") + 1 : -len("</pre>")]) == plain  # math as text
    buffer = io.StringIO()
    print(text, file=buffer)
    assert buffer.getvalue() == plain + "\n"


def test_text_html_escapes_every_name() -> None:
    for text in (viz.to_text(evil_graph()), viz.explanation(evil_graph())):
        page = text._repr_html_()
        assert "<script>" not in page and "<x>" not in page
        for name in EVIL_NAMES:
            assert html.escape(name.splitlines()[0]) in page


def test_the_explanation_in_a_notebook_typesets_each_formula_and_derivative() -> None:
    loss = tutorial.named_seed_graph()
    steps = viz.backward_steps(loss)
    text = viz.explanation(loss)
    page = text._repr_html_()
    formulas = [html.unescape(f) for f in re.findall(r'<math alttext="([^"]*)"', page)]
    expected = []
    for step in steps:
        expected += [viz.steps.definition_parts(step)[0], *(c.formula for c in step.contributions)]
    assert formulas == expected and len(formulas) == 11
    assert page.count("<mfrac>") >= 6  # each dz/dx, and the sigmoid's 1 / (1 + e^-x)
    assert "  to output:  local dz/doutput = 2 (output - y)\n" in text  # str() as before
    assert "[z = 1 / (1 + exp(-x)), with x = matmul_out]" in text and "<" not in text
    tags = set(re.findall(r"<(\w+)", page))
    assert tags <= {"pre", "math", "mrow", "mi", "mo", "mn", "mfrac", "msup", "msub", "mspace"}
    assert tags >= {"pre", "math", "mfrac"}


def test_the_explanation_without_latex2mathml_is_its_text(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "latex2mathml", None)  # import raises ImportError
    monkeypatch.setitem(sys.modules, "latex2mathml.converter", None)
    text = viz.explanation(tutorial.named_seed_graph())
    page = text._repr_html_()
    assert "<math" not in page and page.count('<code class="formula">') == 11
    assert typeset_text(page[page.index(">") + 1 : -len("</pre>")]) == text


def test_the_explanations_html_keeps_names_as_text() -> None:
    page = viz.explanation(evil_graph())._repr_html_()
    text = typeset_text(page)
    for name in EVIL_NAMES:
        assert name.splitlines()[0] in text, name
    tags = set(re.findall(r"</?(\w+)", page))
    assert all(tag == "pre" or tag.startswith("m") for tag in tags), tags  # MathML's own
    attributes = set(re.findall(r"\s([\w-]+)=", page))
    assert not any(a.startswith("on") or "href" in a for a in attributes), attributes


# ---------------------------------------------------------------- Tensor


def test_a_tensor_shows_as_an_html_table() -> None:
    w = tg.Tensor([[1.0, 2.0], [3.0, 4.5]], requires_grad=True, name="W1")
    page = w._repr_html_()
    for expected in ("W1", "(2, 2)", "float64", "leaf (requires grad)", ".grad is None"):
        assert expected in page, expected
    assert "[[1. , 2. ],\n [3. , 4.5]]" in page
    loss = (w * w).sum()
    loss.backward()
    assert ".grad holds a gradient" in w._repr_html_()
    shown = loss._repr_html_()
    assert "sum (computed)" in shown and "scalar ()" in shown and "<pre" in shown
    data = tg.Tensor(np.arange(3, dtype=np.int32))._repr_html_()
    assert "int32" in data and "requires_grad=False" in data and "[0, 1, 2]" in data


def test_a_tensor_table_escapes_its_name() -> None:
    for name in EVIL_NAMES:
        page = tg.Tensor([1.0], name=name)._repr_html_()
        assert html.escape(name) in page
        assert "<script>" not in page and "<x>" not in page and "<y>" not in page


# ---------------------------------------------------------------- drawings


def test_a_drawing_shows_as_a_scaling_svg_with_its_text_as_plain_text() -> None:
    require("dot")
    loss = tutorial.named_seed_graph()
    drawing = viz.draw_graph(loss)
    bundle = drawing._repr_mimebundle_()
    assert bundle["text/plain"] == viz.to_text(loss) == pretty(drawing)
    svg = bundle["text/html"]
    assert svg.startswith('<svg style="max-width: 100%; height: auto"') and "viewBox=" in svg
    assert bundle["image/svg+xml"] == svg
    assert "<?xml" not in svg  # inline: no prologue in the middle of a page


def test_without_dot_a_drawing_shows_its_text_and_how_to_install_dot(monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    _, _, _, f = named()
    bundle = viz.draw_graph(f)._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    assert "apt-get install graphviz" in bundle["text/html"] and "<pre" in bundle["text/html"]


def named():
    x = tg.Tensor(2.0, requires_grad=True, name="x")
    y = tg.Tensor(3.0, requires_grad=True, name="y")
    z = tg.Tensor(4.0, requires_grad=True, name="z")
    return x, y, z, x * y + z


def test_a_drawing_fits_a_narrow_cell_without_cutting_anything_off(tmp_path) -> None:
    """In a 600 px cell the seed graph (about 1,650 px wide) scales down as a whole: its
    box fits the cell, its proportions are the viewBox's, every text inside the cell."""
    require("dot")
    svg = viz.draw_graph(tutorial.named_seed_graph())._repr_mimebundle_()["text/html"]
    script = """
    const cell = document.getElementById("cell").getBoundingClientRect();
    const svg = document.querySelector("svg");
    const box = svg.getBoundingClientRect();
    const texts = Array.from(svg.querySelectorAll("text")).map((t) => {
      const b = t.getBoundingClientRect(); return [b.left, b.right, b.bottom]; });
    const result = { cell: [cell.left, cell.right], box: [box.width, box.height],
                     viewBox: svg.getAttribute("viewBox").split(" ").map(Number),
                     bottom: box.bottom, texts: texts };"""
    found = browser_boxes(tmp_path, f'<div id="cell" style="width: 600px">{svg}</div>', script)
    left, right = found["cell"]
    width, height = found["box"]
    *_, view_width, view_height = found["viewBox"]
    assert 590 <= width <= 600.5  # scaled down to the cell, not cut off at it
    assert height == pytest.approx(width * view_height / view_width, abs=2)
    assert len(found["texts"]) > 20
    for text_left, text_right, text_bottom in found["texts"]:
        assert left - 0.5 <= text_left and text_right <= right + 0.5
        assert text_bottom <= found["bottom"] + 0.5


# ---------------------------------------------------------------- the step-through page


def test_the_step_page_shows_inline_and_still_writes_its_file(tmp_path) -> None:
    require("dot")
    loss = tutorial.named_seed_graph()
    inline = viz.animate_backward(loss)  # no path: nothing written
    with pytest.raises(TypeError, match="no path"):
        os.fspath(inline)
    frame = inline._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in frame
    srcdoc = re.search(r'srcdoc="([^"]*)"', frame).group(1)  # one attribute: all escaped
    assert html.unescape(srcdoc) == inline.read_text()
    assert "<svg" not in frame and "<script" not in frame
    path = tmp_path / "steps.html"
    page = viz.animate_backward(loss, path)
    assert os.fspath(page) == str(path) and page.exists() and page == path
    assert page.read_text() == path.read_text() == inline.read_text()
    assert page.as_uri().startswith("file://")
    with open(page) as file:  # os.PathLike: open() takes it
        assert file.read(15) == "<!DOCTYPE html>"


def test_the_inline_step_frame_is_tall_enough_for_a_step_of_the_seed(tmp_path) -> None:
    """The page in chromium 1000 px wide (a notebook cell, the frame's width): heading,
    controls, the tallest (typeset) caption and the drawing fit the frame's height, so a
    first look needs no scrolling inside the frame."""
    require("dot")
    inline = viz.animate_backward(tutorial.named_seed_graph())
    height = float(re.search(r"height: (\d+)px", inline._repr_html_()).group(1))
    probe = (
        '<script>window.addEventListener("load", () => { document.body.dataset.result = '
        "String(document.documentElement.scrollHeight); });</script></body>"
    )
    page = tmp_path / "steps.html"
    page.write_text(inline.read_text().replace("</body>", probe))
    dom = chromium("--window-size=1000,800", "--dump-dom", page.as_uri(), user_data=tmp_path).stdout
    needed = float(re.search(r'data-result="(\d+)"', dom).group(1))
    assert needed <= height - 2, (needed, height)  # the frame's border is inside its height


def test_the_inline_step_page_escapes_every_name() -> None:
    require("dot")
    frame = viz.animate_backward(evil_graph())._repr_html_()
    srcdoc = re.search(r'srcdoc="([^"]*)"', frame).group(1)
    assert "<" not in srcdoc and '"' not in srcdoc  # nothing can leave the attribute
    page = html.unescape(srcdoc)
    assert page.count("<script>") == 1 and "alert(1)</script>" not in page


# ---------------------------------------------------------------- fit's progress


class FakeHandle:
    def __init__(self, shown: list) -> None:
        self.shown = shown

    def update(self, bundle, raw=False) -> None:
        self.shown.append(bundle)


def fake_notebook(monkeypatch) -> list:
    """IPython as a Jupyter kernel has it: a ZMQ shell, and display() with handles."""
    shown: list = []

    class ZMQInteractiveShell:
        pass

    ipython = types.ModuleType("IPython")
    ipython.get_ipython = ZMQInteractiveShell  # type: ignore[attr-defined]
    display = types.ModuleType("IPython.display")

    def show(bundle, raw=False, display_id=False):
        shown.append(bundle)
        return FakeHandle(shown)

    display.display = show  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    monkeypatch.setattr(progress, "_has_widgets", lambda: False)
    return shown


def seed_fit(steps: int):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 1), nn.Sigmoid())
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    return fit(model, nn.SSE(), optimizer, tutorial.X, tutorial.y, steps=steps)


def test_in_a_notebook_fit_leaves_one_clean_final_line(monkeypatch) -> None:
    shown = fake_notebook(monkeypatch)
    assert progress.in_notebook()
    history = seed_fit(300)
    final = shown[-1]["text/plain"]
    assert final == f"training: 300/300 steps, epoch 1, loss {history[-1]:.4g}"
    assert shown[-1]["text/html"] == f"<pre>{html.escape(final)}</pre>"
    assert shown[0]["text/plain"] == "training: 0/300 steps"  # replaced, not left behind
    assert len(shown) <= 20  # updates are throttled, not one per step


def test_in_a_notebook_with_ipywidgets_fit_uses_tqdms_notebook_bar(monkeypatch) -> None:
    pytest.importorskip("tqdm")
    import tqdm.notebook

    fake_notebook(monkeypatch)
    monkeypatch.setattr(progress, "_has_widgets", lambda: True)
    made = []

    class Bar:
        def __init__(self, **options) -> None:
            self.options, self.steps, self.postfix, self.closed = options, 0, None, False
            made.append(self)

        def update(self, n) -> None:
            self.steps += n

        def set_postfix(self, values, refresh=True) -> None:
            self.postfix = values

        def close(self) -> None:
            self.closed = True

    monkeypatch.setattr(tqdm.notebook, "tqdm", Bar)
    history = seed_fit(60)
    (bar,) = made
    assert bar.options["leave"] is True and bar.steps == 60 and bar.closed
    assert bar.postfix == {"epoch": 1, "loss": f"{history[-1]:.4g}"}


def test_in_a_terminal_fit_leaves_one_final_line_with_the_last_loss(monkeypatch) -> None:
    pytest.importorskip("tqdm")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert not progress.in_notebook()
    history = seed_fit(60)
    final = terminal.getvalue().split("\r")[-1]
    assert "60/60" in final and f"loss={history[-1]:.4g}" in final and final.endswith("\n")
