"""mkdocs hook: the course — each lesson is one page and one Jupyter notebook.

A lesson is one file, ``docs/course/<n>-<name>.md``, in jupytext's markdown format: its
``python`` fences are the notebook's code cells, everything else its markdown cells.
Before the site is built (``on_pre_build``) every lesson is executed as a notebook in a
fresh kernel (nbclient); the executed notebook is written beside the pictures
(``docs/generated/course/<lesson>.ipynb``, the page's download link), and the page is
rewritten from it (``on_page_markdown``): each code cell followed by what it printed,
each picture it drew saved as a file and shown, a download link on top, previous/next
links at the bottom. So a page shows exactly what its notebook prints and draws, and a
lesson that fails to run stops the build.

Solutions sit in collapsed ``??? note "Solution"`` blocks (pymdownx.details): in the
notebook they are markdown, so the learner reveals them; ``tests/test_course.py`` runs
them as code cells after their exercise (:func:`notebook` with ``solutions=True``).

Examples:
    >>> [p.name for p in lessons()][:1]
    ['0-the-seed-by-hand.md']
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "docs" / "course"
OUT = ROOT / "docs" / "generated" / "course"
CELL_TIMEOUT = 120  # seconds per cell: a lesson's cells each take well under one
SOLUTION = re.compile(r'^\?\?\? (?:note|tip) "Solution[^"]*"\n((?:\n|    .*\n?)*)', re.MULTILINE)
INDENTED_PYTHON = re.compile(r"^    ```python\n(.*?)^    ```", re.MULTILINE | re.DOTALL)

_pages: dict[str, str] = {}  # lesson stem -> its page, rendered from the executed notebook


def lessons() -> list[Path]:
    """The lessons, in course order (by their leading number)."""
    return sorted(COURSE.glob("[0-9]*.md"), key=lambda p: int(p.name.split("-")[0]))


def title(path: Path) -> str:
    """A lesson's title: its first heading."""
    for line in path.read_text().splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return path.stem


def solutions_in(markdown: str) -> list[str]:
    """The code of each collapsed solution in a markdown cell (dedented)."""
    found = []
    for block in SOLUTION.finditer(markdown):
        for code in INDENTED_PYTHON.finditer(block.group(1)):
            found.append("\n".join(line[4:] for line in code.group(1).splitlines()))
    return found


def notebook(path: Path, solutions: bool = False) -> Any:
    """The lesson as a notebook; with ``solutions``, each solution also as a code cell
    right after the markdown cell that holds it."""
    import jupytext
    import nbformat

    nb = jupytext.read(path)
    if solutions:
        cells = []
        for cell in nb.cells:
            cells.append(cell)
            if cell.cell_type == "markdown":
                cells += [nbformat.v4.new_code_cell(code) for code in solutions_in(cell.source)]
        nb.cells = cells
    return nb


def execute(nb: Any, timeout: int = CELL_TIMEOUT) -> Any:
    """Run every cell in a fresh kernel, in the repository's root (so the working tree's
    tinygrad_nn is the one imported); raises on the first failing cell."""
    from nbclient import NotebookClient

    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()
    return nb


def _outputs(cell: Any, stem: str, count: list[int]) -> list[str]:
    """A code cell's outputs as markdown: text in ``text`` fences, pictures as files."""
    pieces: list[str] = []
    text: list[str] = []

    def flush() -> None:
        if text:
            body = "".join(text).rstrip("\n")
            pieces.append(f"```text\n{body}\n```")
            text.clear()

    for output in cell.get("outputs", []):
        if output.output_type == "stream" and output.name == "stdout":
            text.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            data = output.data
            picture = next((kind for kind in ("image/svg+xml", "image/png") if kind in data), None)
            if picture is None:
                if "text/plain" in data:
                    text.append(data["text/plain"] + "\n")
                continue
            flush()
            count[0] += 1
            name = f"{stem}-{count[0]}.{'svg' if picture == 'image/svg+xml' else 'png'}"
            OUT.mkdir(parents=True, exist_ok=True)
            if picture == "image/svg+xml":
                (OUT / name).write_text(data[picture])
            else:
                (OUT / name).write_bytes(base64.b64decode(data[picture]))
            pieces.append(f"![drawn by the code above](../generated/course/{name})")
    flush()
    return pieces


def render(nb: Any, stem: str) -> str:
    """An executed notebook as the page's markdown: the cells, each code cell's outputs."""
    count = [0]
    pieces = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            pieces.append(cell.source)
        elif cell.cell_type == "code":
            pieces.append(f"```python\n{cell.source}\n```")
            pieces += _outputs(cell, stem, count)
    return "\n\n".join(pieces) + "\n"


def links(path: Path) -> tuple[str, str]:
    """The lesson's header (its place, the notebook) and its previous/next links."""
    order = lessons()
    k = order.index(path)
    before = (
        f"[← {title(order[k - 1])}]({order[k - 1].name})"
        if k > 0
        else "[← The seed network](../seed.md)"
    )
    after = (
        f"[{title(order[k + 1])} →]({order[k + 1].name})"
        if k + 1 < len(order)
        else "[The next models →](../next-models.md)"
    )
    header = (
        f"*Lesson {k} of {len(order) - 1}* · "
        f"[download this lesson as a notebook](../generated/course/{path.stem}.ipynb) "
        "(it runs as it is: `jupyter lab` beside tinygrad_nn)"
    )
    return header, f"---\n\n{before} · [the course](index.md) · {after}"


def on_pre_build(config: Any, **kwargs: Any) -> None:
    """Run every lesson; keep its notebook (with outputs) and its page."""
    import nbformat

    OUT.mkdir(parents=True, exist_ok=True)
    for path in lessons():
        executed = execute(notebook(path))
        nbformat.write(executed, OUT / f"{path.stem}.ipynb")
        _pages[path.stem] = render(executed, path.stem)


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    """A lesson's page: the executed notebook's cells and outputs, with its links."""
    src = Path(page.file.src_uri)
    if src.parent.name != "course" or src.stem not in _pages:
        return markdown
    path = COURSE / src.name
    header, footer = links(path)
    body = _pages[src.stem]
    first, _, rest = body.partition("\n")  # the title stays the first line
    return f"{first}\n\n{header}\n{rest}\n\n{footer}\n"
