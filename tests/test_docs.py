"""Every Python block in the docs runs (page by page, in order), so examples cannot drift."""

from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
FENCE = "```"


def python_blocks(page: Path) -> list[str]:
    blocks, current, inside = [], [], False
    for line in page.read_text().splitlines():
        if not inside and line.strip() == FENCE + "python":
            inside, current = True, []
        elif inside and line.strip() == FENCE:
            inside = False
            code = "\n".join(current)
            if not code.lstrip().startswith("--8<--"):  # an included generated listing
                blocks.append(code)
        elif inside:
            current.append(line)
    return blocks


PAGES = sorted(DOCS.glob("*.md"))


def test_every_page_is_in_the_site_navigation() -> None:
    nav = (DOCS.parent / "mkdocs.yml").read_text()
    assert all(page.name in nav for page in PAGES)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_python_blocks_run(page: Path) -> None:
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    for block in python_blocks(page):
        exec(compile(block, str(page), "exec"), namespace)


def test_the_built_site_loads_nothing_from_the_internet(tmp_path: Path) -> None:
    """Fonts, scripts and stylesheets all come with the site, so it works offline; page
    links end in .html, so it also works opened from disk; every picture in a page opens
    full size on click."""
    pytest.importorskip("mkdocs")
    import re
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", str(tmp_path)],
        cwd=DOCS.parent,
        check=True,
        env={**__import__("os").environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    loads = re.compile(r'<(?:script|link|img)[^>]*(?:src|href)="(?:https?:)?//')
    pages = sorted(tmp_path.glob("*.html"))
    assert len(pages) >= len(PAGES)
    for page in pages:
        html = page.read_text()
        assert not loads.search(html), (page.name, loads.search(html))
        assert 'class="mermaid"' not in html, page.name
        content = html[html.find('<article class="md-content__inner') :]
        for image in re.finditer(r'<img [^>]*src="([^"]+)"', content):
            before = content[: image.start()].rstrip()
            assert before.endswith(f'href="{image.group(1)}" title="open full size">'), (
                page.name,
                image.group(1),
            )
    assert (tmp_path / "generated" / "gradient_flow.png").stat().st_size > 10_000
    assert 'href="backprop.html"' in (tmp_path / "index.html").read_text()
