"""The lecture slides: slide metadata kept by rules, and every deck checked in a browser.

* The slide types stored in the notebooks are exactly what
  ``tools/slide_metadata.py`` computes (rules + ``tools/slide_overrides.toml``),
  so they cannot drift from the rules after an edit or a merge.
* The decks are built into a temporary folder with ``tools/build_slides.py``
  (what ``make slides`` runs; the repository is left untouched), served on
  127.0.0.1 and opened in headless Chromium (Playwright). In each deck:
  reveal.js initialises; it has one slide per ``slide`` and ``subslide`` cell;
  math is typeset by MathJax, with no TeX error and no raw TeX left; no
  solution is shown; and the browser requests nothing from any host but
  127.0.0.1, and nothing local is missing.

Chromium is Debian's ``/usr/bin/chromium``. Without it the browser tests are
skipped, except under ``CI=true``, where they fail (as in tests/test_book.py).
Building the decks needs npm (reveal.js is installed with ``npm ci``).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import time
from pathlib import Path

import pytest
from conftest import serve

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
IDS = [nb.stem for nb in NOTEBOOKS]

# Raw TeX that MathJax should have replaced: $...$, $$, \( \) \[ \], environments, commands.
RAW_TEX = re.compile(r"\$[^$\s][^$\n]*\$|\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\\end\{|\\[A-Za-z]{2,}")


def _tool(name: str):
    """Import tools/<name>.py (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


slide_metadata = _tool("slide_metadata")
build_slides = _tool("build_slides")


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _slide_type(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type")


# ------------------------------------------------------------------------ metadata


def test_slide_metadata_matches_the_rules():
    """What `python tools/slide_metadata.py --check` checks (and `make slides` runs)."""
    overrides = slide_metadata.load_overrides()
    problems = [p for nb in NOTEBOOKS for p in slide_metadata.differences(nb, overrides)]
    assert not problems, (
        "slide types differ from tools/slide_metadata.py's rules; run "
        "`python tools/slide_metadata.py` and commit the notebooks:\n" + "\n".join(problems)
    )
    assert slide_metadata.main(["--check"]) == 0


def test_overrides_name_existing_cells():
    overrides = slide_metadata.load_overrides()
    stems = {nb.stem for nb in NOTEBOOKS}
    assert set(overrides) <= stems, f"overrides for missing notebooks: {set(overrides) - stems}"
    for stem, cells in overrides.items():
        ids = {cell["id"] for cell in _cells(ROOT / "notebooks" / f"{stem}.ipynb")}
        assert set(cells) <= ids, f"{stem}: overrides for missing cells {set(cells) - ids}"


def test_rules_on_a_made_up_notebook():
    """The rules do what their docstring says, on a notebook made for the purpose."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    figure = new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "fig"})
    printed = new_output("stream", name="stdout", text="42\n")
    cells = {
        "title": new_markdown_cell("# 1. A title\n\nOne sentence."),
        "setup-head": new_markdown_cell("## Setup"),
        "imports": new_code_cell("import numpy as np\n\nnp.set_printoptions(precision=3)"),
        "section": new_markdown_cell("## An idea"),
        "intro": new_markdown_cell("This cell prints a number."),
        "code": new_code_cell("print(6 * 7)", outputs=[printed]),
        "check": new_code_cell("assert 6 * 7 == 42"),
        "check-2": new_code_cell(
            "for n in [6]:\n    check_stored(n * 7 == 42, 'six sevens')\n"
            "_ = check_stored(6 * 7 == 42, 'the answer')"
        ),
        "fig-intro": new_markdown_cell("The figure shows it."),
        "figure": new_code_cell("plt.show()", outputs=[figure]),
        "big-intro": new_markdown_cell("A table follows."),
        "big": new_code_cell("\n".join(f"x{i} = {i}" for i in range(30)), outputs=[printed]),
        "sub": new_markdown_cell("### A detail"),
        "exercises": new_markdown_cell("## Exercises\n\n**Exercise 1.** Do it."),
        "text-solution": new_markdown_cell("<details><summary>Solution</summary>\n\nIt.</details>"),
        "exercise-2": new_markdown_cell("**Exercise 2.** Do more."),
        "solution": new_code_cell("# Solution to exercise 2\nprint(1)", outputs=[printed]),
        "footer": new_markdown_cell("---\n\nPackage functions used here: none."),
    }
    for cell_id, cell in cells.items():
        cell.id = cell_id
    cells["solution"].metadata["tags"] = ["hide-cell"]
    notebook = new_notebook(cells=list(cells.values()))
    nbformat.validate(notebook)
    assert slide_metadata.slide_types(notebook) == {
        "title": "slide",
        "setup-head": "skip",
        "imports": "skip",
        "section": "slide",
        "intro": "-",  # a short heading is not left alone on its slide
        "code": "-",
        "check": "skip",
        "check-2": "skip",  # check_stored in a loop, or assigned to _ so that no True is shown
        "fig-intro": "subslide",  # the figure does not fit: a sub-slide, with its sentence
        "figure": "-",
        "big-intro": "subslide",
        "big": "-",
        "sub": "subslide",
        "exercises": "slide",
        "text-solution": "skip",
        "exercise-2": "-",  # the exercises share one slide
        "solution": "skip",
        "footer": "notes",
    }


# --------------------------------------------------------------------------- build


@pytest.fixture(scope="module")
def decks(tmp_path_factory) -> Path:
    """Build every deck into a temporary folder, as `make slides` does; return the folder."""
    out = tmp_path_factory.mktemp("slides")
    start = time.monotonic()
    try:
        build_slides.build(out, NOTEBOOKS)
    except build_slides.SlidesError as error:
        pytest.fail(f"the slides did not build: {error}")
    print(f"decks built in {time.monotonic() - start:.0f} s")
    return out


def test_every_notebook_has_a_deck(decks):
    missing = [nb.stem for nb in NOTEBOOKS if not (decks / f"{nb.stem}.slides.html").exists()]
    assert not missing, f"no deck for {missing}"
    assert (decks / "reveal.js" / "dist" / "reveal.js").exists()
    assert (decks / "reveal.js" / "plugin" / "notes" / "notes.js").exists()
    assert (decks / "mathjax" / "tex-chtml.js").exists()


def test_reveal_is_the_pinned_version(decks):
    lock = json.loads((ROOT / "tools" / "slides" / "package-lock.json").read_text("utf-8"))
    pinned = lock["packages"]["node_modules/reveal.js"]["version"]
    declared = json.loads((ROOT / "tools" / "slides" / "package.json").read_text("utf-8"))
    assert declared["dependencies"]["reveal.js"] == pinned, "package.json pins an exact version"
    installed = build_slides.NPM_DIR / "node_modules" / "reveal.js" / "package.json"
    assert json.loads(installed.read_text("utf-8"))["version"] == pinned


def test_decks_name_no_other_host(decks):
    """No script, stylesheet, image or font of a deck (or of its CSS) comes from elsewhere."""
    problems = []
    for deck in sorted(decks.glob("*.slides.html")):
        remote = build_slides.remote_resources(deck.read_text(encoding="utf-8"))
        problems += [f"{deck.name}: {url}" for url in remote]
    for sheet in sorted(decks.rglob("*.css")):
        remote = build_slides.remote_resources(f"<style>{sheet.read_text('utf-8')}</style>")
        problems += [f"{sheet.relative_to(decks)}: {url}" for url in remote]
    assert not problems, "remote resources:\n" + "\n".join(problems)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_deck_holds_the_cells_it_should(decks, notebook):
    """Every cell not skipped is in the deck (nbconvert tags each with its id); the
    skipped ones, solutions among them, are not."""
    html = (decks / f"{notebook.stem}.slides.html").read_text(encoding="utf-8")
    shown = set(re.findall(r'id="cell-id=([^"]+)"', html))
    cells = _cells(notebook)
    skipped = {c["id"] for c in cells if _slide_type(c) == "skip"}
    assert shown == {c["id"] for c in cells} - skipped
    solutions = [
        c["id"]
        for c in cells
        if "hide-cell" in c.get("metadata", {}).get("tags", [])
        or "".join(c["source"]).lstrip().startswith("<details")
    ]
    assert not shown & set(solutions), f"{notebook.name}: solutions in the deck"


# ------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def site(decks):
    """Serve the decks on 127.0.0.1 at a free port; yield its base URL."""
    with serve(decks) as url:
        yield url


_STATE = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const slides = document.querySelector('.reveal .slides');
  const copy = slides.cloneNode(true);
  copy.querySelectorAll(
    'pre, code, .jp-CodeCell .jp-InputArea, .jp-OutputArea, mjx-container, script, style'
  ).forEach(n => n.remove());
  return {
    ready: !!window.Reveal && Reveal.isReady(),
    total: window.Reveal ? Reveal.getTotalSlides() : 0,
    mathjax: !!window.MathJax && !!MathJax.startup,
    typeset: document.querySelectorAll('.reveal mjx-container').length,
    errors: [...document.querySelectorAll('mjx-merror')].map(e => e.textContent),
    prose: copy.textContent,
  };
}"""


def _has_math(notebook: Path) -> bool:
    text = "\n".join(
        "".join(cell["source"])
        for cell in _cells(notebook)
        if cell["cell_type"] == "markdown" and _slide_type(cell) != "skip"
    )
    return bool(re.search(r"\$[^$]+\$", text))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_deck_in_browser(browser, site, notebook):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    requests, failed, errors = [], [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    page.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text}"))
    try:
        url = f"{site}/{notebook.stem}.slides.html"
        response = page.goto(url, wait_until="load")
        assert response is not None and response.ok, f"{url}: {response and response.status}"
        page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=20_000)
        state = page.evaluate(_STATE)
        # Move through a few slides: reveal.js and MathJax keep working.
        for _ in range(3):
            page.evaluate("() => Reveal.next()")
        page.wait_for_load_state("networkidle")
    finally:
        context.close()

    problems = []
    outside = [u for u in requests if not u.startswith(site + "/") and not u.startswith("data:")]
    problems += [f"requested from another host: {u}" for u in outside]
    problems += [f"failed to load: {f}" for f in failed]
    problems += [f"script error: {e}" for e in errors]

    expected = sum(_slide_type(c) in ("slide", "subslide") for c in _cells(notebook))
    if not state["ready"]:
        problems.append("reveal.js did not initialise")
    if state["total"] != expected or state["total"] < 5:
        problems.append(
            f"{state['total']} slides, expected {expected} (slide + subslide cells), at least 5"
        )
    if _has_math(notebook):
        if not state["mathjax"] or state["typeset"] == 0:
            problems.append("the notebook has math, the deck typeset none")
        problems += [f"MathJax error: {e!r}" for e in state["errors"]]
        for match in RAW_TEX.finditer(state["prose"]):
            text = state["prose"][max(0, match.start() - 40) : match.end() + 40]
            problems.append(f"raw TeX in the slides: ...{' '.join(text.split())}...")
    assert not problems, f"{notebook.name}:\n  " + "\n  ".join(problems)
