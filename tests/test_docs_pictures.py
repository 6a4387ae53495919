"""The built docs site as a reader sees it: headless chromium at 1280x800 measures each
graph picture's node text and each typeset formula (issue 27).

Method: each page of the built site (site/, from `make docs`) is copied with a small
script added that, once the page has loaded, writes every image's rendered box and every
<math> element's box into the page; `chromium --headless --dump-dom` prints the page after
it ran. A graph SVG's node text renders at (its font size in SVG units) x (rendered width)
/ (viewBox width); a slide PNG's at (its node text in the PNG's pixels, which the build
records in generated/pictures.json) x (rendered width) / (natural width).

Run as a script to print the table for any built site: python tests/test_docs_pictures.py site
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
WINDOW = "1280,800"
READABLE_PX = 11.0

MEASURE = """<script>
window.addEventListener("load", () => {
  const box = (e) => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
  const article = document.querySelector("article") || document.body;
  const out = {
    images: [...article.querySelectorAll("img")].map((i) =>
      [i.getAttribute("src"), ...box(i), i.naturalWidth]),
    math: [...article.querySelectorAll("math")].map(box),
  };
  const pre = document.createElement("pre");
  pre.id = "tgnn-measure";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def browser() -> str | None:
    names = ("chromium", "chromium-browser", "google-chrome")
    return next((p for p in map(shutil.which, names) if p), None)


def svg_facts(path: Path) -> tuple[float, float]:
    """(smallest node text size, viewBox width), in the SVG's own units."""
    svg = path.read_text()
    width = float(re.search(r'viewBox="\S+ \S+ ([\d.]+)', svg).group(1))
    nodes = re.findall(r'<g id="[^"]*" class="node">.*?</g>', svg, re.DOTALL)
    return min(float(f) for n in nodes for f in re.findall(r'font-size="([\d.]+)"', n)), width


def measure_page(page: Path, chromium: str) -> dict:
    """The page's images and formulas as chromium lays them out at WINDOW."""
    probe = page.with_name(f"_measure_{page.name}")
    probe.write_text(page.read_text().replace("</body>", MEASURE + "</body>"))
    try:
        with tempfile.TemporaryDirectory() as profile:
            flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
            flags += ["--disable-background-networking", f"--user-data-dir={profile}"]
            flags += [f"--window-size={WINDOW}", "--virtual-time-budget=10000", "--dump-dom"]
            dom = subprocess.run(
                [chromium, *flags, probe.resolve().as_uri()],
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            ).stdout
    finally:
        probe.unlink()
    found = re.search(r'<pre id="tgnn-measure">(.*?)</pre>', dom, re.DOTALL)
    assert found, f"{page.name}: the measuring script did not run"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def node_text_px(site: Path, src: str, width: float, natural: float) -> float | None:
    """The rendered height of a graph picture's smallest node text; None for a picture
    that is not a graph drawing (a plot, or a slide whose text size is not recorded).
    ``src`` is relative to the site's root (a course page's ``../generated/`` resolved)."""
    path = site / src
    if not src.startswith("generated/") or not path.exists():
        return None
    if path.suffix == ".svg":
        font, box = svg_facts(path)
        return font * width / box
    facts = site / "generated" / "pictures.json"
    known = json.loads(facts.read_text()).get(path.name) if facts.exists() else None
    return known["node_font_px"] * width / natural if known else None


def measure_site(site: Path, chromium: str) -> dict[str, dict]:
    """Per page: its graph pictures' node text in px, and its formulas' boxes."""
    results = {}
    for page in sorted([*site.glob("*.html"), *site.glob("course/*.html")]):  # pages
        html = page.read_text()
        if "generated/" not in html and "<math" not in html:
            continue
        measured = measure_page(page, chromium)
        pictures = {}
        for src, width, _, natural in measured["images"]:
            from_root = (page.parent / src).resolve().relative_to(site.resolve()).as_posix()
            px = node_text_px(site, from_root, width, natural)
            if px is not None:
                pictures[from_root] = round(px, 1)
        results[page.relative_to(site).as_posix()] = {
            "pictures": pictures,
            "math": measured["math"],
        }
    return results


@pytest.fixture(scope="module")
def measured() -> dict[str, dict]:
    chromium = browser()
    if chromium is None:
        pytest.skip("chromium is not installed (CI has it: make browser)")
    if not (SITE / "seed.html").exists():
        pytest.skip("the site is not built (make docs; make test builds it first)")
    with tempfile.TemporaryDirectory() as tmp:  # measure a copy: site/ stays as built
        copy = Path(tmp) / "site"
        shutil.copytree(SITE, copy)
        return measure_site(copy, chromium)


def test_every_graph_picture_has_readable_node_text(measured: dict[str, dict]) -> None:
    sizes = {(page, src): px for page, m in measured.items() for src, px in m["pictures"].items()}
    assert ("seed.html", "generated/seed_graph.svg") in sizes
    assert ("visualising.html", "generated/slide_seed.png") in sizes
    assert len(sizes) >= 15
    small = {key: px for key, px in sizes.items() if px < READABLE_PX}
    assert not small, f"node text under {READABLE_PX} px at {WINDOW}: {small}"


def test_the_seed_derivation_and_every_op_formula_render_as_math(
    measured: dict[str, dict],
) -> None:
    from tinygrad_nn import ops

    seed = measured["seed.html"]["math"]
    assert len(seed) >= 10
    shown = sum(1 + len(getattr(ops, n).derivatives) for n in ops.__all__ if n != "Op")
    assert len(measured["backprop.html"]["math"]) >= shown
    for page, m in measured.items():
        empty = [box for box in m["math"] if box[0] <= 0 or box[1] <= 0]
        assert not empty, (page, len(empty))


def test_the_built_pages_load_no_math_or_style_from_the_internet() -> None:
    if not (SITE / "seed.html").exists():
        pytest.skip("the site is not built (make docs)")
    external = re.compile(r'<(?:script|link)[^>]*(?:src|href)="(?:https?:)?//')
    for page in SITE.glob("*.html"):
        assert not external.search(page.read_text()), page.name
    assert "<math" in (SITE / "seed.html").read_text()


if __name__ == "__main__":  # the table for a built site: python tests/test_docs_pictures.py site
    chromium = browser()
    assert chromium, "needs chromium"
    for page, m in measure_site(Path(sys.argv[1] if len(sys.argv) > 1 else SITE), chromium).items():
        for src, px in m["pictures"].items():
            print(f"{page:28} {src:45} {px:5.1f} px")
        print(f"{page:28} {len(m['math'])} formulas")
