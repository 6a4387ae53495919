"""mkdocs hook: before each build, draw and compute everything the pages show.

The pictures and listings in the docs are produced here by tinygrad_nn itself (viz,
compile, the tutorial), so they cannot drift from the code. They go to docs/generated/,
which git ignores.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "generated"


def svg(root: Any, name: str, **options: Any) -> None:
    from tinygrad_nn import viz

    if viz.dot_available():
        (OUT / name).write_text(viz.render_svg(root, **options))
    else:  # the pages still build; say how to get the real pictures
        print(
            f"docs: 'dot' missing, {name} is a placeholder; apt-get install graphviz",
            file=sys.stderr,
        )
        (OUT / name).write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" width="420" height="40"><text x="4" '
            'y="24">install graphviz (the dot program) to draw this graph</text></svg>'
        )


def _example(name: str) -> Any:
    """An example script of examples/, imported as a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generate() -> None:
    sys.path.insert(0, str(ROOT))
    import numpy as np

    import tinygrad_nn as tg
    from tinygrad_nn import nn, tutorial, viz
    from tinygrad_nn.__main__ import write_loss_files

    OUT.mkdir(parents=True, exist_ok=True)

    # The seed network: its graph, its explanation, its step-through page, its loss curve.
    loss = tutorial.named_seed_graph()
    svg(loss, "seed_graph.svg")
    svg(loss, "seed_graph_collapsed.svg", collapse=True, legend=False)
    (OUT / "seed_explain.txt").write_text(
        viz.explanation(loss) + "\n\n" + tutorial.seed_formulas_check(loss)
    )
    (OUT / "seed_graph.mmd").write_text(viz.to_mermaid(loss, show_data=False, show_grad=False))
    if viz.dot_available():
        viz.animate_backward(loss, OUT / "backprop.html")
    result = tutorial.train_side_by_side(1500, compiled=True)
    write_loss_files(OUT, result.hand_losses, result.auto_losses)
    assert result.compiled is not None
    (OUT / "seed_compiled.py").write_text(result.compiled.source + "\n")
    gradient_flow = _example("gradient_flow")
    try:  # the vanishing-gradient picture (needs matplotlib, as loss.png does)
        gradient_flow.main(["--out", str(OUT / "gradient_flow.png")])
    except ImportError:
        print("docs: matplotlib missing, no gradient_flow.png", file=sys.stderr)

    # How backprop generalises: one small graph per idea.
    x, y, z = (
        tg.Tensor(v, requires_grad=True, name=n) for v, n in [(2.0, "x"), (3.0, "y"), (4.0, "z")]
    )
    f = x * y + z
    f.name = "f"
    svg(f, "chain_rule.svg", legend=False)
    g = x + z * f * f
    g.name = "g"
    svg(g, "fan_out.svg", legend=False)
    (OUT / "fan_out_steps.txt").write_text(viz.to_text(g))
    svg(g, "topological.svg", legend=False, show_data=False, show_grad=False, rankdir="TB")
    steps = viz.backward_steps(g)
    (OUT / "backward_order.txt").write_text(
        "\n".join(f"step {s.index}: {s.title}" for s in steps) + "\n"
    )
    W = tg.Tensor(np.ones((2, 3)), requires_grad=True, name="W")
    b = tg.Tensor(np.zeros(3), requires_grad=True, name="b")
    broadcast = (W + b).sum()
    broadcast.name = "loss"
    svg(broadcast, "broadcasting.svg", legend=False)
    A = tg.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="A")
    B = tg.Tensor(np.ones((3, 2)), requires_grad=True, name="B")
    product = (A @ B).sum()
    product.name = "loss"
    svg(product, "matmul.svg", legend=False)
    t = tg.Tensor(0.5, requires_grad=True, name="t")
    (dy,) = tg.grad(t.tanh(), [t], create_graph=True)
    dy.name = "dy_dt"
    svg(dy, "second_order.svg", legend=False, show_grad=False)

    # Forward and reverse mode: the double-VJP graph behind jvp.
    x = tg.Tensor([0.5, -1.0], requires_grad=True, name="x")
    u = tg.Tensor([0.0, 0.0, 0.0], requires_grad=True, name="u")
    y = tg.stack([x[0] * x[1], x[0].sin(), x[1].exp()])
    (vjp,) = tg.grad(y, [x], grad_outputs=u, create_graph=True)
    vjp.name = "J_T_u"
    svg(vjp, "double_vjp.svg", legend=False, show_grad=False)

    # A gallery of models.
    tg.manual_seed(0)
    classifier = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 3))
    labels = np.array([0, 2])
    ce = nn.CrossEntropy()(classifier(tg.Tensor(np.ones((2, 2)), name="X")), labels)
    ce.name = "loss"
    svg(ce, "gallery_classifier.svg")
    svg(ce, "gallery_classifier_collapsed.svg", collapse=True, legend=False)
    (OUT / "gallery_classifier.txt").write_text(viz.to_text(ce))
    tg.manual_seed(0)
    block = nn.Sequential(nn.Linear(4, 4), nn.Tanh())
    deep = nn.Sequential(*[block] * 12)(tg.Tensor(np.ones((2, 4)), name="X")).sum()
    deep.name = "loss"
    svg(deep, "repeated_blocks.svg", collapse=True, legend=False)
    (OUT / "after_backward.txt").write_text(after_backward())
    screenshots(loss)
    next_models(OUT)
    op_formulas(OUT)


def screenshots(seed_loss: Any) -> None:
    """Slide-sized pictures (1280x720): the seed graph, a collapsed 3-layer MLP, and one
    step of the step-through page as a browser shows it (headless chromium)."""
    import shutil
    import subprocess
    import tempfile

    import numpy as np

    import tinygrad_nn as tg
    from tinygrad_nn import nn, viz

    if not viz.dot_available():
        return
    slides = {"slide_seed.png": viz.draw_graph(seed_loss, size="1280x720")}
    tg.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2))
    X = tg.Tensor(np.ones((3, 4)), name="X")
    loss = nn.MSELoss()(mlp(X), tg.Tensor(np.zeros((3, 2)), name="y"))
    slides["slide_mlp_collapsed.png"] = viz.draw_graph(loss, collapse=True, size="1280x720")
    facts = {}
    for name, drawing in slides.items():
        drawing.save(OUT / name)
        facts[name] = slide_facts(drawing, OUT / name)
    (OUT / "pictures.json").write_text(json.dumps(facts, indent=1) + "\n")
    shot = OUT / "slide_step_page.png"
    browser = next(
        (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p),
        None,
    )
    if browser is None:  # the page still builds; the picture says what is missing
        print("docs: chromium missing, no screenshot of the page", file=sys.stderr)
        note = viz.dot.drawing_class()("missing")
        note.node("note", "install chromium to capture the step-through page", shape="note")
        note.save(shot)
        return
    with tempfile.TemporaryDirectory() as profile:
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
        flags += ["--disable-background-networking", f"--user-data-dir={profile}"]
        url = (OUT / "backprop.html").resolve().as_uri() + "#step=3"
        subprocess.run(
            [browser, *flags, "--window-size=1280,720", f"--screenshot={shot}", url],
            capture_output=True,
            timeout=120,
            check=True,
        )


def slide_facts(drawing: Any, png: Path) -> dict[str, float]:
    """A slide's width in pixels and its node text's height in them: the drawing's own
    SVG gives the text's size in layout units, and the PNG is the layout scaled to fit."""
    import re

    svg = drawing.pipe(format="svg").decode()
    layout_width = float(re.search(r'viewBox="\S+ \S+ ([\d.]+)', svg).group(1))
    nodes = re.findall(r'<g id="[^"]*" class="node">.*?</g>', svg, re.DOTALL)
    font = min(float(f) for n in nodes for f in re.findall(r'font-size="([\d.]+)"', n))
    width = int.from_bytes(png.read_bytes()[16:20], "big")  # the PNG header's IHDR width
    return {"width_px": width, "node_font_px": round(font * width / layout_width, 2)}


def op_formulas(out: Path) -> None:
    """Every op of the catalogue, what it computes and its local derivatives, typeset
    (MathML) from the op's own strings: a table the backprop page includes."""
    import html

    from tinygrad_nn import ops
    from tinygrad_nn.viz import typeset

    rows = []
    for name in ops.__all__:
        op = getattr(ops, name)
        if op is ops.Op or not op.formula:
            continue
        cells = [
            f'<span title="{html.escape(s)}">{typeset.mathml(s)}</span>'
            for s in (op.formula, *op.derivatives)
        ]
        rows.append(
            f"<tr><td><code>{op.name}</code></td><td>{cells[0]}</td>"
            f"<td>{'<br>'.join(cells[1:])}</td></tr>"
        )
    (out / "op_formulas.html").write_text(
        '<table class="op-formulas"><thead><tr><th>op</th><th>computes</th>'
        "<th>local derivatives</th></tr></thead><tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table>\n"
    )


def after_backward() -> str:
    """The notebook order: train, then draw the last step's graph (backward freed it)."""
    from tinygrad_nn import nn, optim, tutorial, viz

    model = tutorial.build_model(*tutorial.initial_weights(0))
    W1, W2 = model.parameters()  # noqa: RUF059 (the drawing names tensors after these)
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    X = tutorial.Tensor(tutorial.X)
    for _ in range(100):
        optimizer.zero_grad()
        layer1 = model[1](model[0](X))
        loss = nn.SSE()(model[3](model[2](layer1)), tutorial.y)
        loss.backward()
        optimizer.step()
    return viz.to_text(loss) + "\n"


def next_models(out: Path) -> None:
    """The next models' pictures: a convolution, an unrolled RNN, one attention head, and
    the gradient reaching each time step of an RNN and an LSTM."""
    import numpy as np

    import tinygrad_nn as tg
    from tinygrad_nn import nn, viz
    from tinygrad_nn.nn import functional as F

    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.normal(size=(1, 1, 4, 4)), requires_grad=True, name="image")
    w = tg.Tensor(rng.normal(size=(1, 1, 3, 3)), requires_grad=True, name="kernel")
    conv = F.conv2d(x, w).sum()
    conv.name = "loss"
    svg(conv, "conv.svg", legend=False, show_data=False)
    (out / "conv_explain.txt").write_text(viz.explanation(conv))

    tg.manual_seed(0)
    rnn = nn.RNN(2, 3)
    steps = tg.Tensor(rng.normal(size=(3, 1, 2)), requires_grad=True, name="xs")
    unrolled = rnn(steps)[0][-1].sum()
    unrolled.name = "loss"
    svg(unrolled, "rnn_unrolled.svg", legend=False, show_data=False, show_grad=False)

    q, k, v = (tg.Tensor(rng.normal(size=(3, 2)), requires_grad=True, name=n) for n in "qkv")
    head = F.scaled_dot_product_attention(q, k, v).sum()
    head.name = "loss"
    svg(head, "attention.svg", legend=False, show_data=False)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    remembering = nn.LSTM(4, 8)
    remembering.bias_ih_l0.data[8:16] = 3.0  # forget gates near sigmoid(3) = 0.95
    fig, ax = plt.subplots(figsize=(6, 3.4), dpi=150)
    layers = (
        ("RNN (tanh)", nn.RNN(4, 8)),
        ("LSTM, as initialised", nn.LSTM(4, 8)),
        ("LSTM, forget gates near 1", remembering),
    )
    for label, layer in layers:
        xs = tg.Tensor(rng.normal(size=(30, 1, 4)), requires_grad=True)
        layer(xs)[0][-1].sum().backward()
        ax.semilogy(np.linalg.norm(xs.grad.numpy(), axis=(1, 2)), marker=".", label=label)
    ax.set_xlabel("time step t")
    ax.set_ylabel("|d loss / d x_t|")
    ax.set_title("gradient reaching each step from a loss on the last")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "bptt.png")
    plt.close(fig)


def on_pre_build(config: Any, **kwargs: Any) -> None:
    generate()
