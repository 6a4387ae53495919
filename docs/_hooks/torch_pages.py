"""mkdocs hook: the PyTorch pages' generated parts.

- docs/pytorch.md: the marker ``<!-- torch-names-table -->`` becomes
  ``tinygrad_nn.torch_names.table()``, so the table of supported names is the mapping.
- docs/pytorch-programs.md: before the build, ``python -m tinygrad_nn run --explain``
  runs examples/gpt_pytorch.py --quick; its output, the collapsed drawing, an excerpt of
  the explanation and a link to the step-through page (or why there is none) go to
  docs/generated/gpt_explain/, which the page includes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "generated" / "gpt_explain"
MARKER = "<!-- torch-names-table -->"
EXAMPLE = ("examples/gpt_pytorch.py", "--quick")
EXCERPT_STEPS = 4  # the explanation's first steps shown on the page


def explain_gpt() -> None:
    """Run the example under the microscope and write what the page includes."""
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    ran = subprocess.run(
        [sys.executable, "-m", "tinygrad_nn", "run", "--explain", str(OUT), *EXAMPLE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    (OUT / "run_output.txt").write_text(ran.stdout + ran.stderr.replace(str(ROOT) + "/", ""))
    explanation = (OUT / "explain.txt").read_text()
    steps = explanation.split("\nstep ")
    excerpt = "\nstep ".join(steps[: EXCERPT_STEPS + 1])
    total = len(steps) - 1
    (OUT / "explain_excerpt.txt").write_text(
        excerpt.rstrip() + f"\n\n... ({total} steps in all: explain.txt)\n"
    )
    if (OUT / "backprop.html").exists():
        link = "[The step-through page](generated/gpt_explain/backprop.html) of this backward pass."
    else:
        notes = [ln for ln in ran.stderr.splitlines() if "no backprop.html" in ln]
        why = notes[0].split("note: ", 1)[-1] if notes else "it was not written"
        link = f"The step-through page was not written for this program: {why}."
    (OUT / "step_page.txt").write_text(link + "\n")
    if not (OUT / "graph.svg").exists():
        (OUT / "graph.svg").write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" width="420" height="40"><text x="4" '
            'y="24">install graphviz (the dot program) to draw this graph</text></svg>'
        )


def on_pre_build(config: Any, **kwargs: Any) -> None:
    explain_gpt()


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    if MARKER not in markdown:
        return markdown
    sys.path.insert(0, str(ROOT))
    from tinygrad_nn.torch_names import table

    return markdown.replace(MARKER, table())
