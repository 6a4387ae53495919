"""A learner's notebook, run for real (issue 27): built here cell by cell, executed by
nbclient in a fresh kernel, its outputs' MIME types checked, then exported to HTML and
measured in headless chromium at 1280x800: the whole graph within the page width.

The notebook: the seed network trained with ``fit`` (its progress line), the loss's graph
drawn, the backward pass explained and stepped through, a weight shown.

The HTML export is written here from the outputs, the way nbconvert's HTML exporter
chooses among them (its default ``display_data_priority``: HTML first, then SVG, then
plain text) and lays them out (a prompt column, and an output area that scrolls sideways
rather than growing: ``overflow-x: auto``, as JupyterLab's), so what is measured is what
a reader of the exported page sees, without nbconvert's dependencies.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from test_viz import chromium, png_is_not_blank, require

ROOT = Path(__file__).resolve().parent.parent
CELLS = {
    "imports": """\
import tinygrad_nn as tg
from tinygrad_nn import nn, optim, tutorial, viz
from tinygrad_nn.training import fit""",
    "train": """\
tg.manual_seed(0)
model = nn.Sequential(
    nn.Linear(3, 4, bias=False), nn.Sigmoid(), nn.Linear(4, 1, bias=False), nn.Sigmoid()
)
optimizer = optim.SGD(model.parameters(), lr=1.0)
history = fit(model, nn.SSE(), optimizer, tutorial.X, tutorial.y, steps=1500)""",
    "graph": """\
X = tg.Tensor(tutorial.X, name="X")
loss = nn.SSE()(model(X), tg.Tensor(tutorial.y, name="y"))
loss.name = "loss"
loss""",
    "draw": "viz.draw_graph(loss)",
    "explain": "viz.explanation(loss)",
    "steps": "viz.animate_backward(loss)",
    "tensor": "model[0].weight",
}
# nbconvert's default order of preference among an output's forms
PRIORITY = ("text/html", "image/svg+xml", "image/png", "text/plain")
STYLE = """
  body { font-family: Helvetica, Arial, sans-serif; margin: 0; }
  main { max-width: 1100px; margin: 0 auto; padding: 8px; }
  .cell { display: flex; margin: 6px 0; }
  .prompt { flex: none; width: 64px; color: #555; font-family: monospace; }
  .area { flex: 1; min-width: 0; }
  .input { background: #f5f5f5; margin: 0; padding: 4px; }
  .output { overflow-x: auto; padding: 4px 0; }
"""
MEASURE = """<script>
window.addEventListener("load", () => {
  const box = (e) => { const r = e.getBoundingClientRect();
                       return [r.left, r.right, r.width, r.height]; };
  const out = (name) => document.querySelector(`[data-cell="${name}"] .output`);
  const draw = out("draw");
  const svg = draw.querySelector("svg");
  const result = {
    page: document.documentElement.clientWidth,
    area: box(draw), scroll: [draw.scrollWidth, draw.clientWidth],
    svg: box(svg), viewBox: svg.getAttribute("viewBox").split(" ").map(Number),
    texts: [...svg.querySelectorAll("text")].map(box),
    math: [...out("explain").querySelectorAll("math")].map(box),
    frame: box(out("steps").querySelector("iframe")),
    frameScroll: [out("steps").scrollWidth, out("steps").clientWidth],
  };
  document.body.dataset.result = JSON.stringify(result);
});
</script>"""


def executed_notebook() -> Any:
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code, metadata={"name": k}) for k, code in CELLS.items()]
    client = nbclient.NotebookClient(
        nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()  # a failing cell raises CellExecutionError with its traceback
    nbformat.validate(nb)
    return nb


@pytest.fixture(scope="module")
def notebook() -> Any:
    return executed_notebook()


def outputs(nb: Any, name: str) -> list[Any]:
    (cell,) = [c for c in nb.cells if c.metadata.get("name") == name]
    return cell.outputs


def result(nb: Any, name: str) -> dict[str, Any]:
    """The data of a cell's one output (its last line's value, or a display)."""
    (output,) = outputs(nb, name)
    assert output.output_type in ("execute_result", "display_data"), output
    return output.data


def test_fit_leaves_one_clean_final_line(notebook: Any) -> None:
    (output,) = outputs(notebook, "train")  # one display, updated in place; no stderr bar
    assert output.output_type == "display_data"
    line = output.data["text/plain"]
    assert re.fullmatch(r"training: 1500/1500 steps, epoch 1, loss \d\.\d+(e-\d+)?", line), line
    assert output.data["text/html"] == f"<pre>{html.escape(line)}</pre>"


def test_the_drawing_is_a_scaling_svg_with_its_text_tree_as_plain_text(notebook: Any) -> None:
    data = result(notebook, "draw")
    assert data["image/svg+xml"] == data["text/html"]
    svg = data["text/html"]
    assert svg.startswith('<svg style="max-width: 100%; height: auto"') and "viewBox=" in svg
    assert "<title>" in svg or "xlink:title=" in svg  # hover: full values and gradients
    assert data["text/plain"].startswith("loss = sse(")  # its to_text, not <...Drawing at 0x>
    assert "0x" not in data["text/plain"]


def test_explain_is_plain_text_without_escaped_newlines_and_typeset_html(notebook: Any) -> None:
    data = result(notebook, "explain")
    text = data["text/plain"]
    assert text.startswith("Backward pass of loss, one op at a time")
    assert "\\n" not in text and text.count("\n") > 30 and not text.startswith("'")
    assert "\n  to 0.weight:  local dL/dW = g.T @ x\n" in text  # the caller's layer names
    page = data["text/html"]
    assert page.startswith('<pre class="tinygrad-nn-text tinygrad-nn-typeset">')
    assert page.count("<math ") >= 9 and "<mfrac>" in page


def test_the_step_page_and_the_tensor_are_html(notebook: Any) -> None:
    steps = result(notebook, "steps")
    assert steps["text/html"].startswith("<iframe srcdoc=") and "<math" not in steps["text/html"]
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', steps["text/html"]).group(1))
    assert srcdoc.count('class="frame"') == 5 and srcdoc.count("<math ") >= 10  # typeset rules
    assert steps["text/plain"] == "StepPage(not written to a file)"
    computed = result(notebook, "graph")["text/html"]  # the loss: a computed scalar
    assert "sse (computed)" in computed and "scalar ()" in computed
    tensor = result(notebook, "tensor")
    page = tensor["text/html"]
    assert page.startswith('<div class="tinygrad-nn-tensor">')
    for expected in ("(4, 3)", "float64", "leaf (requires grad)", ".grad holds a gradient"):
        assert expected in page, expected
    assert tensor["text/plain"].startswith("Parameter([[")  # PyTorch's repr, as plain text


def output_html(output: Any) -> str:
    """One output as the exported page shows it: its preferred form."""
    if output.output_type == "stream":
        return f"<pre>{html.escape(output.text)}</pre>"
    kind = next(k for k in PRIORITY if k in output.data)
    value = output.data[kind]
    if kind in ("text/html", "image/svg+xml"):
        return value
    if kind == "image/png":
        return f'<img src="data:image/png;base64,{value}">'
    return f"<pre>{html.escape(value)}</pre>"


def export_html(nb: Any) -> str:
    cells = []
    for count, cell in enumerate(nb.cells, 1):
        shown = "".join(output_html(o) for o in cell.outputs)
        cells.append(
            f'<div class="cell" data-cell="{cell.metadata["name"]}">'
            f'<div class="prompt">[{count}]:</div><div class="area">'
            f'<pre class="input">{html.escape(cell.source)}</pre>'
            f'<div class="output">{shown}</div></div></div>'
        )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>notebook</title><style>{STYLE}</style></head>"
        f"<body><main>{''.join(cells)}</main></body></html>"
    )


def test_the_exported_page_shows_the_whole_graph_within_its_width(
    notebook: Any, tmp_path: Path
) -> None:
    """In chromium at 1280x800 the drawing's rendered box lies inside its output area (no
    sideways scroll, nothing cut off), every text of it inside that box, in proportion
    to its viewBox; the explanation's formulas are drawn; the step page's frame fits."""
    require("chromium")
    page = tmp_path / "notebook.html"
    page.write_text(export_html(notebook).replace("</body>", MEASURE + "</body>"))
    flags = ["--window-size=1280,800", "--virtual-time-budget=5000"]
    dom = chromium(*flags, "--dump-dom", page.as_uri(), user_data=tmp_path / "profile").stdout
    found = re.search(r'data-result="([^"]*)"', dom)
    assert found is not None, dom[-800:]
    measured = json.loads(html.unescape(found.group(1)))
    left, right, area_width, _ = measured["area"]
    svg_left, svg_right, width, height = measured["svg"]
    assert left - 0.5 <= svg_left and svg_right <= right + 0.5 <= measured["page"] + 0.5
    assert width > 0.9 * area_width  # scaled down to the cell, not to a thumbnail
    scroll_width, client_width = measured["scroll"]
    assert scroll_width <= client_width  # nothing past the edge to scroll to
    *_, view_width, view_height = measured["viewBox"]
    assert height == pytest.approx(width * view_height / view_width, abs=2)
    assert len(measured["texts"]) > 20
    for text_left, text_right, _, _ in measured["texts"]:
        assert svg_left - 0.5 <= text_left and text_right <= svg_right + 0.5
    assert len(measured["math"]) >= 9
    assert all(w > 5 and h > 5 for *_, w, h in measured["math"]), measured["math"]
    frame_left, frame_right, *_ = measured["frame"]
    assert left - 0.5 <= frame_left and frame_right <= right + 0.5  # its border too
    assert measured["frameScroll"][0] <= measured["frameScroll"][1]  # no sideways scrollbar
    shot = tmp_path / "notebook.png"
    flags = ["--window-size=1280,800", "--virtual-time-budget=5000", f"--screenshot={shot}"]
    chromium(*flags, page.as_uri(), user_data=tmp_path / "p2")  # time for the frame to draw
    assert png_is_not_blank(shot)


if __name__ == "__main__":  # write the exported page to look at: python tests/... OUT.html
    import sys

    Path(sys.argv[1]).write_text(export_html(executed_notebook()))
