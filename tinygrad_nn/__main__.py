"""Command line.

``python -m tinygrad_nn tutorial [--steps N] [--lr LR] [--seed S] [--out DIR] [--compiled]``
``python -m tinygrad_nn graph [--seed S] [--out DIR]``
``python -m tinygrad_nn run [--explain OUT] SCRIPT [ARGS...]``

``tutorial`` trains the seed network by hand and with autodiff from the same weights,
prints the seed's Predicted / Actual table and the largest difference between the two
weight trajectories, and writes ``DIR/loss.csv`` and ``DIR/loss.png``.

``run`` runs an unmodified PyTorch program with ``import torch`` answered by tinygrad_nn
(:func:`tinygrad_nn.install_as_torch`); with ``--explain OUT`` its first
``loss.backward()`` is drawn and explained into OUT first.
"""

from __future__ import annotations

import argparse
import io
import runpy
import sys
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from tinygrad_nn import tutorial
from tinygrad_nn.files import write_atomic


def write_loss_files(out: Path, hand: list[float], auto: list[float]) -> list[Path]:
    """Write loss.csv (always) and loss.png (when matplotlib is installed)."""
    out.mkdir(parents=True, exist_ok=True)
    csv = out / "loss.csv"
    rows = [f"{i},{h!r},{a!r}" for i, (h, a) in enumerate(zip(hand, auto), start=1)]
    write_atomic(csv, "iteration,loss_by_hand,loss_autodiff\n" + "\n".join(rows) + "\n")
    written = [csv]
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(
            "note: matplotlib is not installed, so no loss.png; "
            "pip install 'tinygrad-nn[plot]' to get it"
        )
        return written
    figure, axes = plt.subplots(figsize=(6, 4))
    iterations = np.arange(1, len(auto) + 1)
    axes.plot(iterations, auto, label="autodiff (tinygrad_nn)")
    axes.plot(iterations, hand, "--", label="hand-derived (the seed)")
    axes.set_xlabel("iteration")
    axes.set_ylabel("loss (sum of squared errors)")
    axes.set_title("The seed network: loss during training")
    axes.legend()
    figure.tight_layout()
    png = out / "loss.png"
    image = io.BytesIO()
    figure.savefig(image, format="png", dpi=150)
    write_atomic(png, image.getvalue())
    plt.close(figure)
    written.append(png)
    return written


def run_tutorial(args: argparse.Namespace) -> int:
    result = tutorial.train_side_by_side(
        args.steps, args.lr, args.seed, show_progress=True, compiled=args.compiled
    )
    if result.compiled is not None:
        print("The autodiff network was trained through tinygrad_nn.compile; its code is:")
        print()
        print(result.compiled.source)
        print()
    print(f"The seed network after {args.steps} steps (learning rate {args.lr}, seed {args.seed})")
    print()
    print("   Predicted  Predicted")
    print("   (by hand)  (autodiff)  Actual")
    for i, (hand, auto, actual) in enumerate(
        zip(result.hand.output[:, 0], result.auto_output[:, 0], tutorial.y[:, 0]), start=1
    ):
        print(f"{i}  {hand:9.3f}  {auto:10.3f}  {actual:6.0f}")
    print()
    print(
        f"largest difference between the two weight trajectories over all {args.steps} "
        f"steps: {result.max_difference:.3g}"
    )
    print(
        f"final loss: {result.auto_losses[-1]:.6g} (autodiff), "
        f"{result.hand_losses[-1]:.6g} (by hand)"
    )
    for path in write_loss_files(Path(args.out), result.hand_losses, result.auto_losses):
        print(f"wrote {path}")
    return 0


def run_graph(args: argparse.Namespace) -> int:
    from tinygrad_nn import viz

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    loss = tutorial.named_seed_graph(args.seed)
    written = []
    write_atomic(out / "graph.dot", viz.to_dot(loss) + "\n")
    write_atomic(out / "graph.mmd", viz.to_mermaid(loss) + "\n")
    explanation = viz.explanation(loss)
    check = tutorial.seed_formulas_check(loss)
    write_atomic(out / "explain.txt", explanation + "\n\n" + check + "\n")
    written += [out / "graph.dot", out / "graph.mmd", out / "explain.txt"]
    if viz.dot_available():
        write_atomic(out / "graph.svg", viz.render_svg(loss))
        viz.animate_backward(loss, out / "backprop.html")
        written += [out / "graph.svg", out / "backprop.html"]
    else:
        print(
            "note: the graphviz 'dot' program is missing, so graph.svg and backprop.html "
            "were not written; graph.dot and graph.mmd were (render them elsewhere, or "
            "install graphviz: apt-get install graphviz / brew install graphviz)"
        )
    for path in written:
        print(f"wrote {path}")
    return 0


def run_script(args: argparse.Namespace) -> int:
    """Run ``args.script`` as ``python SCRIPT ARGS...`` would, with tinygrad_nn as torch."""
    from tinygrad_nn.torch_names import install_as_torch
    from tinygrad_nn.torch_names.explain import ExplainFirstBackward

    script = Path(args.script)
    if not script.is_file():
        print(f"error: run: no such script: {script}", file=sys.stderr)
        return 2
    saved = sys.argv, list(sys.path)
    sys.argv = [str(script), *args.args]
    sys.path.insert(0, str(script.resolve().parent))  # as `python SCRIPT` puts it first
    try:
        with ExitStack() as stack:
            stack.enter_context(install_as_torch())
            if args.explain is not None:
                stack.enter_context(ExplainFirstBackward(args.explain))
            runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.argv, sys.path[:] = saved[0], saved[1]
    return 0


HELP = """The seed network, by hand and with autodiff, from the command line.

  tutorial  train the seed network by hand and with autodiff from the same weights, print
            the seed's Predicted / Actual table and the largest difference between the
            two weight trajectories, write DIR/loss.csv and DIR/loss.png
  graph     draw and explain the seed network's backward pass into DIR
  run       run a PyTorch program unchanged, with `import torch` answered by tinygrad_nn;
            --explain OUT draws and explains its first loss.backward() into OUT

Run inside .venv: .venv/bin/python -m tinygrad_nn ... (or .venv/bin/tinygrad-nn ...).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tinygrad_nn",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    defaults_shown = argparse.ArgumentDefaultsHelpFormatter
    tutorial_parser = commands.add_parser(
        "tutorial",
        help="train the seed network by hand and with autodiff, side by side",
        formatter_class=defaults_shown,
    )
    tutorial_parser.add_argument("--steps", type=int, default=1500, help="training steps")
    tutorial_parser.add_argument("--lr", type=float, default=1.0, help="learning rate")
    tutorial_parser.add_argument("--seed", type=int, default=0, help="seed for the weights")
    tutorial_parser.add_argument("--out", default="tinygrad_nn_out", help="output folder")
    tutorial_parser.add_argument(
        "--compiled", action="store_true", help="train through tinygrad_nn.compile, show its code"
    )
    tutorial_parser.set_defaults(run=run_tutorial)
    graph_parser = commands.add_parser(
        "graph",
        help="draw and explain the seed network's backward pass",
        formatter_class=defaults_shown,
    )
    graph_parser.add_argument("--seed", type=int, default=0, help="seed for the weights")
    graph_parser.add_argument("--out", default="tinygrad_nn_out", help="output folder")
    graph_parser.set_defaults(run=run_graph)
    run_parser = commands.add_parser(
        "run", help="run a PyTorch program unchanged, with tinygrad_nn as torch"
    )
    run_parser.add_argument(
        "--explain", metavar="OUT", help="draw and explain the first loss.backward() into OUT"
    )
    run_parser.add_argument("script", help="the program (a .py file)")
    run_parser.add_argument("args", nargs=argparse.REMAINDER, help="its own arguments")
    run_parser.set_defaults(run=run_script)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "steps", 1) < 1:  # (graph has no --steps)
        print("error: --steps must be at least 1", file=sys.stderr)
        return 2
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
