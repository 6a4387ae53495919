"""Drawing, explaining and stepping through backward: exact graphs, real dot, a real browser."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn import nn, tutorial, viz
from tinygrad_nn.__main__ import main


def require(program: str) -> str:
    """The program's path; skipped when missing locally, a failure on CI (which installs it)."""
    for name in (program, *{"chromium": ["chromium-browser", "google-chrome"]}.get(program, [])):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail(f"{program} is missing on CI, where .ci/run installs it")
    pytest.skip(f"{program} is not installed")


def named_expression():
    x, y, z = (
        tg.Tensor(v, requires_grad=True, name=n) for v, n in [(2.0, "x"), (3.0, "y"), (4.0, "z")]
    )
    f = x * y + z
    return x, y, z, f


def test_graph_of_a_small_expression_exactly() -> None:
    x, _, _, f = named_expression()
    graph = viz.build_graph(f, grads=viz.gradients(f))
    assert {k: n.kind for k, n in graph.tensors.items()} == {
        "x": "leaf",  # requires grad, and no module owns it
        "y": "leaf",
        "mul_out": "intermediate",
        "z": "leaf",
        "f": "output",  # the caller's variable
    }
    assert {k: op.op.name for k, op in graph.ops.items()} == {"mul": "mul", "add": "add"}
    assert [(e.source, e.target, e.label) for e in graph.edges] == [
        ("x", "mul", "dz/dx = y"),
        ("y", "mul", "dz/dy = x"),
        ("mul", "mul_out", ""),
        ("mul_out", "add", "dz/dx = 1"),
        ("z", "add", "dz/dy = 1"),
        ("add", "f", ""),
    ]
    grads = {k: float(n.grad) for k, n in graph.tensors.items()}
    assert grads == {"x": 3.0, "y": 2.0, "mul_out": 1.0, "z": 1.0, "f": 1.0}
    assert x.grad is None  # drawing never touches .grad


def test_text_and_mermaid_and_dot_forms() -> None:
    x = tg.Tensor(3.0, requires_grad=True, name="x")
    assert viz.to_text(x * x) == (
        "mul_out = mul(x, x)  shape ()  value 9.  grad 1.\n"
        "├── x   leaf with grad  shape ()  value 3.  grad 6.\n"
        "└── x   (shown above)"
    )
    _, _, _, f = named_expression()
    mermaid = viz.to_mermaid(f)
    assert mermaid.startswith("flowchart LR")
    assert 'n0["x scalar<br/>value 2.<br/>grad 3."]:::leaf' in mermaid
    assert ' -- "dz/dx = y" --> ' in mermaid and "classDef output" in mermaid
    dot = viz.to_dot(f)
    assert dot.startswith("digraph") and re.search(r'n\d+ -> n\d+ \[label="  dz/dx = y  "\]', dot)
    assert "legend [label=<<table" in dot


def test_values_are_summarised_when_large() -> None:
    big = tg.Tensor(np.arange(100.0), requires_grad=True, name="big")
    text = viz.to_text(big.sum(), max_elements=6)
    assert "min 0, mean 49.5, max 99" in text
    assert "[1., 1., 1." not in text


def test_gradients_shown_equal_backward() -> None:
    loss = tutorial.named_seed_graph()  # it ran backward(retain_graph=True)
    shown = viz.gradients(loss)  # by graph node: leaf tensors, and ops for computed values
    for node in shown:
        if isinstance(node, tg.Tensor) and node.grad is not None:
            np.testing.assert_array_equal(shown[node], node.grad.data)
    graph = viz.build_graph(loss, grads=shown)
    w1 = graph.tensors["weights1"]
    np.testing.assert_array_equal(w1.grad, w1.tensor.grad.data)


def test_module_calls_are_clusters_and_can_collapse() -> None:
    model = tutorial.build_model(*tutorial.initial_weights(0))
    loss = nn.SSE()(model(tg.Tensor(tutorial.X)), tutorial.y)
    dot = viz.to_dot(loss)
    for title in ("Sequential", "Linear(3->4)", "Linear(4->1)", "Sigmoid", "SSE"):
        assert f"label={title}" in dot or f'label="{title}"' in dot, title
    collapsed = viz.build_graph(loss, collapse=(nn.Linear,))
    titles = sorted(op.title for op in collapsed.ops.values())
    assert titles == ["Linear(3->4)", "Linear(4->1)", "sigmoid", "sigmoid", "sse"]
    assert "0.weight" in collapsed.tensors and "linear_out" in collapsed.tensors


def test_backward_steps_show_fan_out_as_a_sum() -> None:
    x = tg.Tensor(3.0, requires_grad=True, name="x")
    y = x * x + x  # x feeds three places
    steps = viz.backward_steps(y)
    assert [s.title for s in steps] == ["y = mul_out + x", "mul_out = x * x"]
    shares = [
        (c.to, float(c.share), float(c.accumulated), c.earlier)
        for s in steps
        for c in s.contributions
    ]
    assert shares == [
        ("mul_out", 1.0, 1.0, 0),
        ("x", 1.0, 1.0, 0),
        ("x", 3.0, 4.0, 1),
        ("x", 3.0, 7.0, 2),
    ]
    (expected,) = tg.grad(x * x + x, [x])
    assert shares[-1][2] == expected.item()
    assert [c.formula for c in steps[1].contributions] == ["dz/dx = y", "dz/dy = x"]
    np.testing.assert_array_equal(steps[1].contributions[0].local, 3.0)  # dz/dx = y = 3


def test_explain_reconstructs_the_seeds_hand_derived_steps() -> None:
    loss = tutorial.named_seed_graph()
    text = viz.explanation(loss)
    assert "step 3: matmul_out_2 = layer1 @ weights2      [z = layer1 @ weights2]" in text
    assert "[z = 1 / (1 + exp(-x)), with x = matmul_out]" in text  # not the user's name
    # reverse mode's memory cost: every array a rule reads, each counted once
    from tinygrad_nn.graph_nodes import graph_nodes

    held = {
        id(a): a.nbytes
        for node in graph_nodes(loss)
        if isinstance(node, tg.ops.Op)
        for a in node.saved
        if hasattr(a, "nbytes")
    }
    total = f"Kept for backward until it runs: {sum(held.values()):,} bytes in {len(held)} arrays"
    assert total in text
    assert "kept for it  output: 32 bytes in 1 array" in text  # sigmoid: z alone (z (1 - z))
    assert "kept for it  layer1, weights2: 160 bytes in 2 arrays" in text  # matmul: x and y
    assert "[z = sum((output - y)**2)]" in text  # the data's y, not a generic y
    assert "to weights2:  local dL/dweights2 = layer1.T @ g" in text
    assert "d_weights2 = layer1.T @ d_matmul_out" in text
    assert "d_weights1 = X.T @ (d_layer1 * layer1 * (1 - layer1))" in text
    assert "d_matmul_out = d_output * output * (1 - output)" in text  # the seed's delta
    check = tutorial.seed_formulas_check(loss)
    differences = [float(v) for v in re.findall(r"= ([0-9.e+-]+)$", check, flags=re.MULTILINE)]
    assert len(differences) == 2 and max(differences) < 1e-12


def train_then_keep_the_last_graph(retain: bool):
    """The notebook order: train a few steps, then draw the last step's loss."""
    model = tutorial.build_model(*tutorial.initial_weights(0))
    optimizer = tg.optim.SGD(model.parameters(), lr=1.0)
    X = tg.Tensor(tutorial.X)
    for _ in range(3):
        optimizer.zero_grad()
        layer1 = model[1](model[0](X))
        loss = nn.SSE()(model[3](model[2](layer1)), tutorial.y)
        loss.backward(retain_graph=retain)
        optimizer.step()
    return model, X, layer1, loss


def drawn(model, X, layer1, loss):
    """The graph and steps of ``loss``, drawn from a scope with the same names each time."""
    W1, W2 = model.parameters()  # noqa: RUF059 (the drawing reads these names)
    return viz.build_graph(loss), viz.backward_steps(loss), viz.to_text(loss)


def test_drawings_work_after_backward_freed_the_graph() -> None:
    model, X, layer1, loss = train_then_keep_the_last_graph(retain=False)
    graph, freed_steps, text = drawn(model, X, layer1, loss)
    assert "linear_out = linear(X, W1)  shape (4, 4)  value not kept (no backward rule" in text
    assert "layer1 = sigmoid(linear_out)  shape (4, 4)  value min" in text  # held: alive
    W1 = model[0].weight
    np.testing.assert_array_equal(graph.tensors["W1"].grad, W1.grad.data)  # leaves' .grad
    assert graph.tensors["linear_out"].array is None
    # the same structure, steps and formulas as a graph drawn before it was freed
    kept_graph, kept_steps, _ = drawn(*train_then_keep_the_last_graph(retain=True))
    assert sorted(graph.tensors) == sorted(kept_graph.tensors)
    assert sorted((e.source, e.target, e.label) for e in graph.edges) == sorted(
        (e.source, e.target, e.label) for e in kept_graph.edges
    )
    assert [s.title for s in freed_steps] == [s.title for s in kept_steps]
    assert [[c.to for c in s.contributions] for s in freed_steps] == [
        [c.to for c in s.contributions] for s in kept_steps
    ]
    explained = viz.explanation(loss)
    assert "backward() has freed this graph" in explained and "final   dL/dW1 = " in explained
    assert "digraph" in viz.to_dot(loss) and "freed by backward()" in viz.to_mermaid(loss)
    with pytest.raises(RuntimeError, match="a second time"):
        loss.backward()  # drawing does not bring the saved arrays back


def test_the_step_through_page_works_after_backward(tmp_path) -> None:
    require("dot")
    _, _, _, loss = train_then_keep_the_last_graph(retain=False)
    page = viz.animate_backward(loss, tmp_path / "page.html").read_text()
    assert page.count('class="frame"') == 5 and "freed by backward()" in page


def test_rendering_svg_with_the_real_dot_program() -> None:
    require("dot")
    _, _, _, f = named_expression()
    svg = viz.render_svg(f)
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg[:300]
    assert "dz/dx = y" in svg and ">f = mul_out + z scalar<" in svg  # f: the variable's name


def test_drawings_show_inline_in_jupyter() -> None:
    require("dot")
    _, _, _, f = named_expression()
    bundle = viz.draw_graph(f)._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]


def test_missing_dot_says_how_to_install(monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    _, _, _, f = named_expression()
    with pytest.raises(viz.DotNotFound, match="apt-get install graphviz"):
        viz.render_svg(f)
    assert viz.to_dot(f).startswith("digraph")  # text forms still work


def test_a_graph_of_10000_nodes_is_summarised_and_still_draws() -> None:
    require("dot")
    x = tg.Tensor(np.ones(2), requires_grad=True)
    v = x
    for _ in range(10_000):
        v = v * 1.0001
    drawing = viz.draw_graph(v.sum(), max_nodes=200)
    assert "earlier values" in drawing.source
    assert drawing.source.count("->") < 1000
    assert "<svg" in drawing.pipe(format="svg", encoding="utf-8")


def png_is_not_blank(path: Path) -> bool:
    """True when the PNG's pixels are not all the same (decoded with zlib, no extra package)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, position = b"", 8
    while position < len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        if kind == b"IDAT":
            chunks += data[position + 8 : position + 8 + length]
        position += 12 + length
    pixels = np.frombuffer(zlib.decompress(chunks), dtype=np.uint8)
    return int(pixels.max()) - int(pixels.min()) > 50 and len(np.unique(pixels)) > 10


def chromium(*args: str, user_data: Path) -> subprocess.CompletedProcess:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={user_data}",
    ]
    return subprocess.run(
        [require("chromium"), *flags, *args], capture_output=True, text=True, timeout=120
    )


def test_the_step_through_page_in_a_real_browser(tmp_path) -> None:
    require("dot")
    loss = tutorial.named_seed_graph()
    steps = viz.backward_steps(loss)
    page = viz.animate_backward(loss, tmp_path / "backprop.html")
    text = page.read_text()
    assert text.count('class="frame"') == len(steps) == 5
    assert "http://" not in text.replace("http://www.w3.org", "") and "https://" not in text
    for step in (1, len(steps)):  # steps count from 1, in the address too
        url = f"{page.as_uri()}#step={step}"
        dom = chromium("--dump-dom", url, user_data=tmp_path / "profile").stdout
        title = re.search(r"<title>([^<]*)</title>", dom)
        assert title is not None and title.group(1) == "Backward pass of loss", dom[:500]
        assert f'data-ready="{len(steps)}"' in dom, dom[:800]  # the script ran
        assert f"step {step} of {len(steps)}" in dom
        assert 'id="fit"' in dom and 'id="zoom-in"' in dom
        frame = step - 1
        shot = tmp_path / f"frame{frame}.png"
        chromium("--window-size=1400,900", f"--screenshot={shot}", url, user_data=tmp_path / "p2")
        assert png_is_not_blank(shot)


def test_the_step_through_page_refuses_huge_graphs(tmp_path) -> None:
    x = tg.Tensor(1.0, requires_grad=True)
    v = x
    for _ in range(20):
        v = v * 1.5
    with pytest.raises(ValueError, match="20 backward steps"):
        viz.animate_backward(v, tmp_path / "page.html", max_frames=10)


def test_graph_command_writes_every_file(tmp_path, capsys) -> None:
    require("dot")
    assert main(["graph", "--out", str(tmp_path)]) == 0
    for name in ("graph.svg", "graph.dot", "graph.mmd", "explain.txt", "backprop.html"):
        assert (tmp_path / name).stat().st_size > 100, name
    assert "d_weights1" in (tmp_path / "explain.txt").read_text()


def test_graph_command_without_dot_falls_back_to_text_forms(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert main(["graph", "--out", str(tmp_path)]) == 0
    assert "dot' program is missing" in capsys.readouterr().out
    assert (tmp_path / "graph.dot").exists() and (tmp_path / "graph.mmd").exists()
    assert not (tmp_path / "graph.svg").exists()


def test_gradient_stats_measure_the_optimizers_next_step_without_taking_it() -> None:
    from tinygrad_nn import nn, optim

    w = nn.Parameter([1.0, -3.0])
    opt = optim.Adam([w], lr=0.1)
    for _ in range(2):  # some state first
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    before = (w.array.copy(), {k: np.copy(v) for k, v in opt.state[w].items()})
    opt.zero_grad()
    (w * w).sum().backward()
    (stat,) = viz.gradient_stats([("w", w)], opt)
    np.testing.assert_array_equal(w.data, before[0])  # nothing changed
    assert opt.state[w]["step"] == 2
    np.testing.assert_array_equal(opt.state[w]["exp_avg"], before[1]["exp_avg"])
    opt.step()  # the step it measured
    assert stat.update_ratio == pytest.approx(
        np.mean(np.abs(before[0] - w.detach().numpy())) / np.mean(np.abs(before[0])), rel=1e-12
    )
    assert stat.mean_abs_grad == pytest.approx(np.mean(np.abs(2 * before[0])))
    assert stat.name == "w" and stat.shape == (2,)


def test_gradient_flow_plots_and_says_when_there_is_nothing_to_plot() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from tinygrad_nn import nn

    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1))
    with pytest.raises(ValueError, match="no parameter has a gradient"):
        viz.gradient_flow(model)
    model(tg.Tensor([[1.0, 2.0]])).sum().backward()
    ax = viz.gradient_flow(model, lr=0.1, title="two layers")
    assert ax.get_yscale() == "log" and ax.get_title() == "two layers"
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
    ]


def test_drawings_use_the_callers_variable_names_and_put_them_in_formulas() -> None:
    model = tutorial.build_model(*tutorial.initial_weights(0))
    W1, _ = model.parameters()
    X = tg.Tensor(tutorial.X)
    layer1 = model[1](model[0](X))
    loss = (layer1 * layer1).sum()
    graph = viz.build_graph(loss)
    assert {"X", "W1", "layer1", "loss"} <= set(graph.tensors)
    assert graph.tensors["W1"].kind == "parameter"  # named by the user, owned by a module
    labels = {(e.source, e.label) for e in graph.edges}
    assert ("W1", "dL/dW1 = g.T @ X") in labels  # the formula with the inputs' names
    assert ("X", "") in labels  # X needs no gradient: no derivative on its edge
    dot = viz.to_dot(loss)
    assert "dL/dW1 = g.T @ X" in dot and "layer1" in dot

    def inside_a_function():
        hidden = (W1 * 2.0).sum()
        return viz.build_graph(hidden)

    assert "hidden" in inside_a_function().tensors  # the calling function's locals
    y = tutorial.y.copy()  # an array given to a loss is named after its variable too
    sse = nn.SSE()(model[1](model[0](X)).sum(-1, keepdims=True), y)
    assert "y" in viz.build_graph(sse).tensors
    named = (W1 * 3.0).sum()
    named.name = "total"
    assert "total" in viz.build_graph(named).tensors  # name= comes first


@pytest.mark.parametrize("shared", [True, False], ids=["one block 12 times", "12 blocks"])
def test_repeated_blocks_fold_into_one_box(shared: bool) -> None:
    tg.manual_seed(0)
    if shared:  # [block] * 12 repeats the same module: twelve calls of it
        blocks = [nn.Sequential(nn.Linear(4, 4), nn.Tanh())] * 12
    else:
        blocks = [nn.Sequential(nn.Linear(4, 4), nn.Tanh()) for _ in range(12)]
    model = nn.Sequential(*blocks)
    X = tg.Tensor(np.ones((2, 4)))
    loss = model(X).sum()
    graph = viz.build_graph(loss, collapse=True)
    assert len(graph.tensors) + len(graph.ops) <= 15
    assert sorted(op.title for op in graph.ops.values()) == ["Sequential ×12", "sum"]
    fold = next(key for key, op in graph.ops.items() if op.title == "Sequential ×12")
    # a straight spine: X -> box -> its result -> sum -> loss
    assert [(e.source, e.target) for e in graph.edges] == [
        ("X", fold),
        (fold, "tanh_out_12"),
        ("tanh_out_12", "sum"),
        ("sum", "loss"),
    ]
    assert "Sequential ×12" in viz.to_dot(loss, collapse=True)
    unfolded = viz.build_graph(loss)
    assert len(unfolded.tensors) + len(unfolded.ops) > 60


def test_different_neighbours_do_not_fold() -> None:
    model = tutorial.build_model(*tutorial.initial_weights(0))  # Linear, Sigmoid, Linear...
    loss = nn.SSE()(model(tg.Tensor(tutorial.X)), tutorial.y)
    titles = sorted(op.title for op in viz.build_graph(loss, collapse=True).ops.values())
    assert titles == ["Linear(3->4)", "Linear(4->1)", "SSE", "Sigmoid", "Sigmoid"]


def svg_size(svg: str) -> tuple[float, float]:
    width, height = re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
    return float(width), float(height)


def test_default_drawings_are_slide_shaped() -> None:
    """Aspect ratios between 1:2 and 2:1; the seed graph fitted into 1280x720 keeps node
    text of 14 px and edge labels of 12 px or more (1 pt = 4/3 px, so fitted text is
    font size x min(1280 / width, 720 / height) px)."""
    require("dot")
    tg.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2))
    mlp_loss = nn.MSELoss()(mlp(tg.Tensor(np.ones((3, 4)))), tg.Tensor(np.zeros((3, 2))))
    a = tg.Tensor(2.0, requires_grad=True, name="a")
    b = tg.Tensor(3.0, requires_grad=True, name="b")
    seed = tutorial.named_seed_graph()
    for root in (seed, mlp_loss, a * b + a):
        width, height = svg_size(viz.render_svg(root))
        assert 0.5 <= width / height <= 2.0, (width, height)
    svg = viz.render_svg(seed)
    width, height = svg_size(svg)
    scale = min(1280 / width, 720 / height)
    node_fonts = set(re.findall(r'font-size="([\d.]+)"', svg))
    assert min(float(f) for f in node_fonts) * scale >= 12  # edge labels, cluster titles
    assert max(float(f) for f in node_fonts) * scale >= 14  # node text
    assert svg.count("legend") <= 2  # one legend node: a single row
    legend_cells = re.findall(r">(parameter|leaf with grad|input|constant|output)<", svg)
    assert sorted(set(legend_cells)) == ["input", "output", "parameter"]  # those present


def test_drawings_fit_a_slide_and_save_as_pictures(tmp_path) -> None:
    require("dot")
    drawing = viz.draw_graph(tutorial.named_seed_graph(), size="1280x720", dpi=96)
    for suffix, magic in [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")]:
        path = tmp_path / f"seed{suffix}"
        assert drawing.save(path) == str(path)
        assert path.read_bytes().startswith(magic)
    png = (tmp_path / "seed.png").read_bytes()
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width <= 1280 and height <= 720 and (width == 1280 or height == 720)
    assert drawing.save(tmp_path / "seed.gv") and "digraph" in (tmp_path / "seed.gv").read_text()


def text_width(text: str, size: float) -> float:
    """About how wide Helvetica sets ``text`` (its advance widths, in ems)."""
    ems = 0.0
    for c in text:
        if c in " .,:;'[]()|!ijlIft":
            ems += 0.28
        elif c in "-r":
            ems += 0.34
        elif c.isdigit() or c in "=+*@<>_?$#":
            ems += 0.58
        elif c.isupper() or c in "mwMW%&":
            ems += 0.72
        else:
            ems += 0.56
    return ems * size


def test_no_label_overlaps_another_in_the_seed_drawing() -> None:
    require("dot")
    import html as html_module

    svg = viz.render_svg(tutorial.named_seed_graph())
    boxes = []
    pattern = r'<text text-anchor="(\w+)" x="([-\d.]+)" y="([-\d.]+)"[^>]*font-size="([\d.]+)">'
    for match in re.finditer(pattern + r"([^<]*)</text>", svg):
        anchor, x, y, size, raw = match.groups()
        text = html_module.unescape(raw)
        width = text_width(text, float(size))
        left = float(x) - {"middle": width / 2, "start": 0.0, "end": width}[anchor]
        top = float(y) - 0.8 * float(size)
        boxes.append((left, top, left + width, top + float(size), text))
    assert len(boxes) > 30
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            overlap = a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
            assert not overlap, (a[4], b[4])


def test_formulas_get_names_for_all_inputs_or_none() -> None:
    x, y, z = (
        tg.Tensor(v, requires_grad=True, name=n) for v, n in [(2.0, "x"), (3.0, "y"), (4.0, "z")]
    )
    f = x * y + z
    f.name = "f"
    g = z * f  # "z" cannot stand in dz/dx: so neither input is named in the formulas
    labels = {(e.source, e.label) for e in viz.build_graph(g).edges if e.label}
    assert ("z", "dz/dx = y") in labels and ("f", "dz/dy = x") in labels
    assert ("x", "dz/dx = y") in labels  # x * y: the names are the letters already


def test_a_value_no_rule_reads_is_drawn_as_not_kept() -> None:
    model = tutorial.build_model(*tutorial.initial_weights(0))
    loss = nn.SSE()(model(tg.Tensor(tutorial.X)), tutorial.y)
    lines = {line.split(" = ")[0].strip("│├└─ "): line for line in viz.to_text(loss).splitlines()}
    assert "value not kept (no backward rule reads it)" in lines["linear_out"]  # x @ W.T
    assert "value min 0.5007" in lines["sigmoid_out"]  # sigmoid keeps z, matmul its input
    assert "grad min -0.01137" in lines["linear_out"]  # gradients are computed all the same
    loss.backward()
    lines = {line.split(" = ")[0].strip("│├└─ "): line for line in viz.to_text(loss).splitlines()}
    assert "value freed by backward()" in lines["sigmoid_out"]
    assert "value not kept (no backward rule reads it)" in lines["linear_out"]


# ---------------------------------------------------------------- drawing details (issue 27)


def seed_graph_drawn_from_a_notebook(**options):
    """The seed as a notebook writes it: data X and y that want no gradient, the model's
    weights, ``loss = sse(output, y)``; then its graph and drawing, named from here."""
    model = tutorial.build_model(*tutorial.initial_weights(0))
    X, y = tg.Tensor(tutorial.X), tutorial.y
    output = model(X)
    loss = nn.SSE()(output, y)
    return loss, viz.build_graph(loss, **options), viz.draw_graph(loss, **options)


def test_a_scalar_is_written_scalar_not_as_a_call() -> None:
    dot = seed_graph_drawn_from_a_notebook()[2].source
    assert "loss = sse(output, y) scalar" in dot
    assert ") ()" not in dot  # "sse(output, y) ()" read like a call


def test_an_input_that_needs_no_gradient_gets_no_derivative_on_its_edge() -> None:
    _, graph, drawing = seed_graph_drawn_from_a_notebook()
    labels = {e.source: e.label for e in graph.edges if e.source in graph.tensors}
    assert labels["X"] == "" and labels["y"] == ""  # data: no gradient is computed for them
    assert labels["0.weight"] == "dL/dW = g.T @ x" and labels["output"].startswith("dz/doutput")
    assert "dL/dX" not in drawing.source and "dz/dy = -2" not in drawing.source
    assert graph.tensors["X"].grad is None


def test_caller_names_for_a_models_parameters_are_all_or_none() -> None:
    model = tutorial.build_model(*tutorial.initial_weights(0))
    X = tg.Tensor(tutorial.X)
    W1 = model[0].weight  # e.g. set in another notebook cell; nothing names the other weight
    loss = nn.SSE()(model(X), tutorial.y)
    names = set(viz.build_graph(loss).tensors)
    assert {"0.weight", "2.weight", "X", "loss"} <= names and "W1" not in names
    W2 = model[2].weight  # now every drawn parameter of the model has a caller's name
    names = set(viz.build_graph(loss).tensors)
    assert {"W1", "W2"} <= names and "0.weight" not in names
    del W1, W2
    model[2].weight.name = "out_w"  # name= always wins
    assert {"0.weight", "out_w"} <= set(viz.build_graph(loss).tensors)


def test_the_step_through_captions_bind_inputs_like_the_explanation(tmp_path) -> None:
    require("dot")
    loss = tutorial.named_seed_graph()
    page = viz.animate_backward(loss, tmp_path / "steps.html").read_text()
    binding = "[z = 1 / (1 + exp(-x)), with x = matmul_out]"
    assert binding in viz.explanation(loss) and binding in typeset_text(page)  # math as text


def test_nodes_show_their_full_value_and_gradient_on_hover() -> None:
    require("dot")
    w = tg.Tensor(np.arange(10.0) / 7, requires_grad=True, name="w")
    svg = viz.render_svg((w * w).sum())
    (tip,) = [t for t in tooltips(svg) if t.startswith("w\n")]
    assert "min 0, mean 0.6429, max 1.286" in svg  # the node itself summarises...
    assert "[0.      , 0.142857, 0.285714," in tip and "1.285714]" in tip  # ...hover: all
    assert "grad:\n[0.      , 0.285714," in tip and "shape (10,), dtype float64" in tip


def html_unescape(text: str) -> str:
    import html as html_module

    return html_module.unescape(text)


def tooltips(svg: str) -> list[str]:
    """The hover texts of an SVG drawn by dot (it writes runs of spaces as no-break ones)."""
    found = re.findall(r'<a xlink:title="([^"]*)"', svg)
    return [html_unescape(t).replace("\xa0", " ") for t in found]


def test_tooltips_escape_every_name() -> None:
    require("dot")
    from test_hardening import EVIL_NAMES, evil_graph

    dot = viz.to_dot(evil_graph())
    svg = viz.render_svg(evil_graph())
    assert "<script>" not in svg and "href" not in svg
    titles = tooltips(svg)
    for name in EVIL_NAMES:
        assert any(t.startswith(name) for t in titles), name
    tensors = viz.build_graph(evil_graph()).tensors
    assert dot.count("tooltip=") == len(titles) == len(tensors)  # each tensor node, no other


def test_graphviz_own_methods_work_with_their_own_signatures(tmp_path) -> None:
    require("dot")
    drawing = viz.draw_graph(named_expression()[3])
    rendered = drawing.render(tmp_path / "g", format="svg")  # graphviz: source, then picture
    assert rendered == str(tmp_path / "g.svg") and "<svg" in (tmp_path / "g.svg").read_text()
    assert (tmp_path / "g").read_text().startswith("digraph")  # the DOT source it saved
    assert drawing.render(outfile=tmp_path / "h.png").endswith("h.png")
    assert (tmp_path / "h.png").read_bytes().startswith(b"\x89PNG")
    saved = drawing.save("k.gv", directory=tmp_path, skip_existing=True)
    assert Path(saved).read_text().startswith("digraph")
    assert drawing.save(tmp_path / "k.svg").endswith("k.svg")  # ours: a picture by suffix
    assert (tmp_path / "k.svg").read_text().lstrip().startswith("<?xml")
    assert "<svg" in drawing.pipe(format="svg", encoding="utf-8")


def test_a_drawings_text_fallback_is_its_text_tree() -> None:
    _, _, _, f = named_expression()
    drawing = viz.draw_graph(f)
    assert repr(drawing) == viz.to_text(f) and "drawing_class" not in repr(drawing)
    collapsed = seed_graph_drawn_from_a_notebook(collapse=True)[2]
    assert "linear_out = Linear(3->4)(X, 0.weight)" in repr(
        collapsed
    )  # a module box is written by its title


def browser_boxes(tmp_path: Path, body: str, script: str) -> dict:
    """Run ``script`` (it sets ``result``) in headless chromium on a page with ``body``;
    returns ``result`` as JSON."""
    import json

    page = tmp_path / "measure.html"
    page.write_text(
        f"<!DOCTYPE html><html><body style='margin:0'>{body}<script>{script}\n"
        "document.body.dataset.result = JSON.stringify(result);</script></body></html>"
    )
    dom = chromium("--dump-dom", page.as_uri(), user_data=tmp_path / "profile").stdout
    found = re.search(r'data-result="([^"]*)"', dom)
    assert found is not None, dom[-800:]
    return json.loads(html_unescape(found.group(1)))


def test_edge_labels_have_room_between_them_in_a_browser(tmp_path) -> None:
    """The rendered text boxes (the browser's own font metrics) of the seed graph: no two
    edge labels closer than 4 px, and no edge label over a node's or cluster's text."""
    require("dot")
    svg = viz.render_svg(tutorial.named_seed_graph())
    script = """
    const box = (t) => { const b = t.getBoundingClientRect();
                         return [b.left, b.top, b.right, b.bottom, t.textContent]; };
    const result = {
      edges: Array.from(document.querySelectorAll("g.edge text")).map(box),
      others: Array.from(document.querySelectorAll("g.node text, g.cluster text")).map(box),
    };"""
    boxes = browser_boxes(tmp_path, svg[svg.index("<svg") :], script)
    edges, others = boxes["edges"], boxes["others"]
    assert len(edges) >= 5 and len(others) > 20

    def apart(a, b, gap):
        return a[2] + gap <= b[0] or b[2] + gap <= a[0] or a[3] <= b[1] or b[3] <= a[1]

    for i, a in enumerate(edges):
        for b in edges[i + 1 :]:
            assert apart(a, b, 4.0), (a, b)
        for b in others:
            assert apart(a, b, 0.0), (a, b)


def label_boxes(drawing) -> list[tuple[float, float, float, str]]:
    """Each edge label's visible text as dot laid it out (its own font metrics, which PNG
    and PDF are drawn with): (left, right, baseline, text), the padding spaces left out."""
    import graphviz

    def width(label: str) -> float:
        probe = f'digraph {{ a -> b [label="{label}" fontname=Helvetica fontsize=12] }}'
        xdot = graphviz.Source(probe).pipe(format="xdot", encoding="utf-8")
        edge = xdot[xdot.index("->") :]
        return float(re.search(r"T [\d.]+ [\d.]+ 0 ([\d.]+) ", edge).group(1))

    spaces = getattr(dot_module, "LABEL_PAD", "")
    pad = (width(f"{spaces}x{spaces}") - width("x")) / 2
    xdot = drawing.pipe(format="xdot", encoding="utf-8")
    boxes = []
    for edge in re.findall(r'\w+ -> \w+\s+\[[^\]]*?_ldraw_="([^"]*)"', xdot):
        x, y, w, text = re.search(r"T ([\d.]+) ([\d.]+) 0 ([\d.]+) \d+ -(.*?) ?$", edge).groups()
        half = float(w) / 2 - (pad if text.startswith(" ") else 0.0)
        boxes.append((float(x) - half, float(x) + half, float(y), text.strip()))
    return boxes


dot_module = viz.dot


def test_neighbouring_edge_labels_are_an_em_apart() -> None:
    """Two labels side by side (the seed's dL/dlayer1 and dL/dweights2, both into one
    matmul) were laid out 8 pt apart with an edge line between: they read as one."""
    require("dot")
    boxes = label_boxes(viz.draw_graph(tutorial.named_seed_graph()))
    assert len(boxes) >= 6
    rows = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if abs(a[2] - b[2]) < 6]
    assert rows  # the seed has labels side by side
    for a, b in rows:
        gap = max(b[0] - a[1], a[0] - b[1])
        assert gap >= float(viz.dot.EDGE_FONT), (a[3], b[3], gap)


# ---------------------------------------------------------------- typeset rules (issue 27)


def typeset_text(markup: str) -> str:
    """HTML with typeset formulas read back as text: each ``<math>`` as its ``alttext``
    (the formula's own string), every other tag dropped, entities unescaped."""
    markup = re.sub(r'<math alttext="([^"]*)".*?</math>', r"\1", markup, flags=re.DOTALL)
    assert "<math" not in markup  # every formula carries its text
    return html_unescape(re.sub(r"<[^>]*>", "", markup))


def step_captions(page: str) -> list[str]:
    return re.findall(r'<div class="caption" id="caption\d+">(.*?)</div>', page, re.DOTALL)


def test_the_step_page_typesets_each_rule_and_derivative() -> None:
    require("dot")
    loss = tutorial.named_seed_graph()
    steps = viz.backward_steps(loss)
    page = viz.animate_backward(loss).read_text()
    captions = step_captions(page)
    assert len(captions) == len(steps) == 5
    for step, caption in zip(steps, captions):
        formulas = re.findall(r'<math alttext="([^"]*)"', caption)
        expected = [viz.steps.definition_parts(step)[0], *(c.formula for c in step.contributions)]
        assert [html_unescape(f) for f in formulas] == expected
        assert caption.count("<mfrac>") >= len(step.contributions)  # each dz/dx a fraction
        assert typeset_text(caption).startswith(f"step {step.index}: {step.title}   [")
    assert "with x = matmul_out]" in typeset_text(captions[3])  # the binding stays text
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page


def test_the_step_page_without_latex2mathml_shows_the_rules_as_text(monkeypatch) -> None:
    require("dot")
    monkeypatch.setitem(sys.modules, "latex2mathml", None)  # import raises ImportError
    monkeypatch.setitem(sys.modules, "latex2mathml.converter", None)
    loss = tutorial.named_seed_graph()
    page = viz.animate_backward(loss).read_text()
    captions = step_captions(page)
    assert "<math" not in page and len(captions) == 5
    assert '<code class="formula">dz/dx = z * (1 - z)</code>' in captions[1]
    assert "[z = 1 / (1 + exp(-x)), with x = matmul_out]" in typeset_text(captions[3])


def test_the_step_page_escapes_names_in_typeset_captions() -> None:
    require("dot")
    from test_hardening import EVIL_NAMES, evil_graph

    page = viz.animate_backward(evil_graph()).read_text()
    text = "".join(typeset_text(caption) for caption in step_captions(page))
    for name in EVIL_NAMES:
        assert name.splitlines()[0] in text, name
    assert page.count("<script") == 1 and "<x>" not in page and "<y>" not in page


def test_typeset_captions_render_in_a_browser_and_the_layout_stays_put(tmp_path) -> None:
    """Each step shown in turn in headless chromium: only its caption visible, every
    formula in it drawn (MathML boxes of non-zero size), the drawing not moving."""
    require("dot")
    page = viz.animate_backward(tutorial.named_seed_graph()).read_text()
    probe = """<script>
    const seen = [];
    for (let i = 0; i < frames.length; i++) {
      show(i);
      const shown = captions.filter((c) => getComputedStyle(c).visibility === "visible");
      const maths = shown.flatMap((c) => Array.from(c.querySelectorAll("math")));
      seen.push({ visible: shown.map((c) => c.id),
                  math: maths.map((m) => { const b = m.getBoundingClientRect();
                                           return [b.width, b.height]; }),
                  view: document.getElementById("view").getBoundingClientRect().top });
    }
    document.body.dataset.result = JSON.stringify(seen);
    </script></body>"""
    path = tmp_path / "steps.html"
    path.write_text(page.replace("</body>", probe))
    dom = chromium("--dump-dom", path.as_uri(), user_data=tmp_path / "profile").stdout
    found = re.search(r'data-result="([^"]*)"', dom)
    assert found is not None, dom[-800:]
    import json

    seen = json.loads(html_unescape(found.group(1)))
    assert [s["visible"] for s in seen] == [[f"caption{i}"] for i in range(1, 6)]
    for step in seen:
        assert len(step["math"]) >= 2
        assert all(w > 10 and h > 8 for w, h in step["math"]), step["math"]
    assert len({round(s["view"]) for s in seen}) == 1  # captions share one cell
