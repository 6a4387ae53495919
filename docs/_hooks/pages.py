"""mkdocs hook: what each page's text becomes, after the pictures are drawn (generate.py).

- Math: ``$...$`` (inline), ``$$...$$`` and fenced ``math`` blocks (display) are LaTeX,
  typeset to MathML while the site is built (tinygrad_nn.viz.typeset, latex2mathml), so
  browsers draw it natively and no page loads a renderer from the internet. Code blocks
  and inline code are left alone. A formula latex2mathml cannot read stops the build.
- Pictures: every image opens full size on click. A graph picture (a drawn SVG, a slide)
  is shown in a box that scrolls sideways, never shrunk below the scale where its node
  text is READABLE_PX pixels high: a wide graph keeps readable text instead of fitting
  the ~690 px text column at 4-6 px.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "docs" / "generated"
READABLE_PX = 13.0  # node text's smallest height on the page (edge labels: 12/14 of it)
TEXT_COLUMN_PX = 690  # mkdocs-material's text column at a 1280 px window
LARGEST_PX = 14.0  # and its largest: a small graph is not blown up past the page's text

FENCE = re.compile(r"^(```|~~~)([^\n]*)\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"(`+)[^`]+?\1")
DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
INLINE = re.compile(r"(?<![\\$\w])\$(?=\S)([^$\n]+?)(?<=\S)\$(?![\w$])")
PLACEHOLDER = re.compile(r"(<p>)?TGNNMATH(\d+)X(</p>)?")

_formulas: dict[str, list[str]] = {}  # page -> the MathML of its placeholders, in order


def _typeset(tex: str, display: bool, page: str, store: list[str]) -> str:
    from tinygrad_nn.viz import typeset

    try:
        mathml = typeset.tex_mathml(tex.strip(), display=display)
    except Exception as error:  # a typo in a page's LaTeX: say where, stop the build
        raise ValueError(f"docs: {page}: cannot typeset {tex.strip()!r}: {error!r}") from None
    if display:
        mathml = f'<div class="math-display">{mathml}</div>'
    store.append(mathml)
    token = f"TGNNMATH{len(store) - 1}X"
    return f"\n\n{token}\n\n" if display else token


def _outside_code(text: str, page: str, store: list[str]) -> str:
    """Math in running text, inline code spans skipped."""
    pieces, last = [], 0
    for code in INLINE_CODE.finditer(text):
        pieces.append(_math_in(text[last : code.start()], page, store))
        pieces.append(code.group(0))
        last = code.end()
    pieces.append(_math_in(text[last:], page, store))
    return "".join(pieces)


def _math_in(text: str, page: str, store: list[str]) -> str:
    text = DISPLAY.sub(lambda m: _typeset(m.group(1), True, page, store), text)
    return INLINE.sub(lambda m: _typeset(m.group(1), False, page, store), text)


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    """LaTeX -> placeholders now (markdown must not see MathML's text), MathML later."""
    name = page.file.src_uri
    store = _formulas[name] = []
    pieces, last = [], 0
    for fence in FENCE.finditer(markdown):
        pieces.append(_outside_code(markdown[last : fence.start()], name, store))
        if fence.group(2).strip() == "math":
            pieces.append(_typeset(fence.group(3), True, name, store))
        else:
            pieces.append(fence.group(0))
        last = fence.end()
    pieces.append(_outside_code(markdown[last:], name, store))
    return "".join(pieces)


IMAGE = re.compile(r'(<a [^>]*>\s*)?(<img [^>]*src="([^"]+)"[^>]*>)')


def _svg_scale(path: Path) -> tuple[float, float] | None:
    """(the smallest node text's size, the picture's width), in the SVG's own units."""
    svg = path.read_text()
    box = re.search(r'viewBox="[\d.\-]+ [\d.\-]+ ([\d.]+) [\d.]+"', svg)
    nodes = re.findall(r'<g id="[^"]*" class="node">.*?</g>', svg, re.DOTALL)
    sizes = [float(s) for n in nodes for s in re.findall(r'font-size="([\d.]+)"', n)]
    if not box or not sizes:
        return None
    return min(sizes), float(box.group(1))


def picture_scale(src: str) -> tuple[float | None, float] | None:
    """For a graph picture: (node text height per pixel of rendered width, natural width in
    CSS pixels); the first is None for a slide of unknown text (shown at its own size).
    None for other images: plots fit the column as they are."""
    while src.startswith("../"):  # a page in a folder (the course) links up to generated/
        src = src.removeprefix("../")
    if not src.startswith("generated/"):
        return None
    path = GENERATED / src.removeprefix("generated/")
    if path.suffix == ".svg" and path.exists():
        found = _svg_scale(path)
        if found is None:
            return None
        font, width = found
        return font / width, width * 4 / 3  # graphviz's SVG sizes are points
    slides = GENERATED / "pictures.json"
    if path.suffix == ".png" and slides.exists():
        known = json.loads(slides.read_text()).get(path.name)
        if known:
            return known["node_font_px"] / known["width_px"], known["width_px"]
    if path.name.startswith("slide_") and path.suffix == ".png" and path.exists():
        return None, int.from_bytes(path.read_bytes()[16:20], "big")  # the IHDR width
    return None


def on_page_content(html: str, page: Any, **kwargs: Any) -> str:
    """MathML in place of the placeholders; every picture a link to its own file, and each
    graph picture in a sideways-scrolling box at a readable scale."""
    store = _formulas.pop(page.file.src_uri, [])

    def formula(match: re.Match[str]) -> str:
        mathml = store[int(match.group(2))]
        if mathml.startswith('<div class="math-display">'):  # not inside a paragraph
            return mathml
        return (match.group(1) or "") + mathml + (match.group(3) or "")

    html = PLACEHOLDER.sub(formula, html)

    def picture(match: re.Match[str]) -> str:
        if match.group(1):  # already a link
            return match.group(0)
        src, img = match.group(3), match.group(2)
        link = f'<a class="full-size" href="{src}" title="open full size">{img}</a>'
        scale = picture_scale(src)
        if scale is None:
            return link
        per_px, natural = scale
        if per_px is None:  # a screenshot at slide size: as a slide shows it
            smallest = largest = natural
        else:
            smallest, largest = READABLE_PX / per_px, min(natural, LARGEST_PX / per_px)
        style = f"width: 100%; min-width: {smallest:.0f}px; max-width: {largest:.0f}px"
        img = img.replace("<img ", f'<img class="graph" style="{style}" ', 1)
        hint = ""
        if smallest > TEXT_COLUMN_PX:  # say that there is more than the box shows
            hint = '<p class="graph-hint">wider than the page: scroll sideways, or click it</p>'
        return (
            '<div class="graph-view" title="scroll sideways for the rest; click for full size">'
            f'<a class="full-size" href="{src}" title="open full size">{img}</a></div>{hint}'
        )

    return IMAGE.sub(picture, html)


if __name__ == "__main__":  # the scale each picture is shown at: python docs/_hooks/pages.py
    for svg in sorted(GENERATED.glob("*.svg")):
        print(svg.name, picture_scale(f"generated/{svg.name}"), file=sys.stdout)
