"""The website: build the Jupyter Book, then check every page in a real browser.

The book is built into a temporary folder (the repository is left untouched)
with warnings as errors, served on 127.0.0.1, and every page is opened in
headless Chromium (Playwright). On each page:

* math is typeset by MathJax (served from the site itself), with no TeX error
  and no raw TeX left in the text;
* every image of the page has loaded;
* the sidebar lists every chapter in course order: the notebooks, sorted by
  file name, under their own titles;
* exercise solutions are folded away (``hide-cell`` code cells and
  ``<details>`` text solutions render collapsed);
* the browser requests nothing from any host but 127.0.0.1, and nothing local
  is missing (no 404).

A full-page screenshot of every page is saved outside the repository, in
``$NMF_TEACH_SCREENSHOTS`` or a new temporary folder (printed at the end).

Chromium is Debian's ``/usr/bin/chromium``. Without it the browser tests are
skipped, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from conftest import serve

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
# Pages that are not notebooks, in sidebar order: root first, reference last.
ROOT_PAGE = "intro"
REFERENCE_PAGES = ["api", "movielens_data", "instructors"]
NOTEBOOK_PAGES = [f"notebooks/{nb.stem}" for nb in NOTEBOOKS]
ALL_PAGES = [ROOT_PAGE, *NOTEBOOK_PAGES, *REFERENCE_PAGES]
# Every public module of the package has a section on the API page.
API_MODULES = sorted(p.stem for p in (ROOT / "nmf_teach").glob("[!_]*.py"))

# Raw TeX that MathJax should have replaced: delimiters, environments, commands.
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\\end\{|\\[A-Za-z]{2,}")


def _jupyter_book() -> str:
    beside_python = Path(sys.executable).parent / "jupyter-book"
    found = str(beside_python) if beside_python.exists() else shutil.which("jupyter-book")
    if found is None:
        pytest.fail("jupyter-book is not installed (it is in the `test` extra)")
    return found


def _notebook_title(path: Path) -> str:
    """The text of the first '# ' heading of a notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        source = "".join(cell["source"])
        for line in source.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    pytest.fail(f"{path.name}: no '# Title' heading (CONTRIBUTING.md asks for one)")


SMART_QUOTES = str.maketrans("\u2018\u2019\u201c\u201d", "''\"\"")  # Sphinx's smartquotes


def _comparable(title: str) -> str:
    """A title without math and markup, for comparing Markdown with rendered text."""
    title = re.sub(r"\$[^$]*\$", " ", title)  # Markdown math
    title = re.sub(r"[`*_]", "", title)
    title = title.translate(SMART_QUOTES)
    return " ".join(title.split())


def _hidden_cells(path: Path) -> list[str]:
    """The sources of the code cells a hide-* tag folds away."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [
        "".join(cell["source"])
        for cell in nb["cells"]
        if cell["cell_type"] == "code"
        and any(tag.startswith("hide-") for tag in cell.get("metadata", {}).get("tags", []))
    ]


def _hidden_cell_count(path: Path) -> int:
    return len(_hidden_cells(path))


# --------------------------------------------------------------------------- build


@pytest.fixture(scope="module")
def built_book(tmp_path_factory) -> dict:
    """Build the book into a temporary folder; return the html folder and the log."""
    out = tmp_path_factory.mktemp("book")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")  # no __pycache__ in book/_ext
    start = time.monotonic()
    result = subprocess.run(
        [
            _jupyter_book(),
            "build",
            str(BOOK),
            "--path-output",
            str(out),
            "--warningiserror",
            "--keep-going",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    log = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)  # no colour codes
    return {
        "returncode": result.returncode,
        "log": log,
        "html": out / "_build" / "html",
        "seconds": time.monotonic() - start,
    }


def test_book_builds_without_warnings(built_book):
    warnings = [line for line in built_book["log"].splitlines() if "WARNING" in line]
    assert built_book["returncode"] == 0 and not warnings, (
        "jupyter-book build failed or warned:\n"
        + "\n".join(warnings or built_book["log"].splitlines()[-40:])
    )
    print(f"book built in {built_book['seconds']:.0f} s")


def test_every_page_is_built(built_book):
    html = built_book["html"]
    missing = [page for page in ALL_PAGES if not (html / f"{page}.html").exists()]
    assert not missing, f"pages not built: {missing}"


# Attributes that make the browser load something at view time.
_LOADING_ATTRS = re.compile(
    r"<(script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?"
    r"\b(src|href|data|srcset)\s*=\s*[\"']([^\"']+)[\"']",
    re.IGNORECASE,
)
_CSS_URL = re.compile(r"url\(\s*[\"']?([^\"')]+)|@import\s+[\"']([^\"']+)", re.IGNORECASE)


def _is_remote(url: str) -> bool:
    url = url.strip()
    return url.startswith("//") or bool(re.match(r"[a-z][a-z0-9+.-]*://", url, re.I))


def test_built_html_loads_nothing_from_other_hosts(built_book):
    """No <script src>, <link href>, <img src>... and no CSS url() points off-site."""
    html = built_book["html"]
    problems = []
    for page in html.rglob("*.html"):
        text = page.read_text(encoding="utf-8", errors="replace")
        for match in _LOADING_ATTRS.finditer(text):
            tag, url = match.group(1).lower(), match.group(3)
            if not _is_remote(url):
                continue
            tag_text = text[match.start() : text.find(">", match.end()) + 1]
            # A <link> that is not a stylesheet, preload or icon (rel="next", ...)
            # loads nothing.
            if tag == "link" and not re.search(
                r"rel=[\"'][^\"']*(stylesheet|preload|icon|prefetch|manifest)", tag_text
            ):
                continue
            problems.append(f"{page.relative_to(html)}: {tag_text}")
        # Inline scripts naming a remote script or stylesheet to load.
        for script in re.findall(r"<script\b[^>]*>(.*?)</script>", text, re.S | re.I):
            for url in re.findall(r"[\"'](https?://[^\"']+\.(?:js|css|woff2?|ttf))", script):
                problems.append(f"{page.relative_to(html)}: inline script names {url}")
    for sheet in html.rglob("*.css"):
        text = sheet.read_text(encoding="utf-8", errors="replace")
        for url, imported in _CSS_URL.findall(text):
            if _is_remote(url or imported):
                problems.append(f"{sheet.relative_to(html)}: {url or imported}")
    assert not problems, "remote resources in the built site:\n" + "\n".join(problems)


def test_mathjax_is_served_locally(built_book):
    html = built_book["html"]
    assert (html / "_static" / "mathjax" / "tex-chtml.js").exists()
    page = (html / "intro.html").read_text(encoding="utf-8")
    assert 'src="_static/mathjax/tex-chtml.js"' in page


def test_launch_buttons_use_the_one_repository_setting(built_book):
    config = yaml.safe_load((BOOK / "_config.yml").read_text(encoding="utf-8"))
    repo = config["repository"]["url"].rstrip("/")
    org_repo = urlparse(repo).path.strip("/")
    branch = config["repository"]["branch"]
    if not NOTEBOOKS:
        pytest.skip("no notebooks yet")
    nb = NOTEBOOKS[0]
    text = (built_book["html"] / "notebooks" / f"{nb.stem}.html").read_text(encoding="utf-8")
    expected = [
        f"https://mybinder.org/v2/gh/{org_repo}/{branch}?urlpath=lab/tree/notebooks/{nb.name}",
        f"https://colab.research.google.com/github/{org_repo}/blob/{branch}/notebooks/{nb.name}",
        f'href="{repo}"',
        f"../_sources/notebooks/{nb.name}",  # download the .ipynb
    ]
    missing = [url for url in expected if url not in text]
    assert not missing, f"{nb.stem}.html lacks the launch/repository/download links {missing}"
    assert (built_book["html"] / "_sources" / "notebooks" / nb.name).exists()


# ------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def site(built_book):
    """Serve the built html on 127.0.0.1 at a free port; yield its base URL."""
    # With --keep-going the pages are written even when the build warns; check
    # them anyway (test_book_builds_without_warnings reports the warnings).
    if not (built_book["html"] / "intro.html").exists():
        pytest.fail("the book did not build; see test_book_builds_without_warnings")
    with serve(built_book["html"]) as url:
        yield url


@pytest.fixture(scope="module")
def screenshot_dir(request) -> Path:
    folder = os.environ.get("NMF_TEACH_SCREENSHOTS")
    path = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="nmf-teach-screenshots-"))
    path.mkdir(parents=True, exist_ok=True)
    yield path
    message = f"\nbook screenshots: {path}"
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print(message, flush=True)
    else:
        print(message)


# Console errors that are not problems: the theme's first visit has no stored
# light/dark mode yet.
_HARMLESS_CONSOLE = ["Got invalid theme mode"]


def _open(browser, site: str, page_name: str, screenshot_dir: Path | None = None) -> dict:
    """Open a page, let MathJax finish, record every request; return what was seen."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    seen = {"requests": [], "failed": [], "errors": []}
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on(
        "response",
        lambda r: r.status >= 400 and seen["failed"].append(f"{r.status} {r.url}"),
    )
    page.on("requestfailed", lambda r: seen["failed"].append(f"failed {r.url}"))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and not any(harmless in m.text for harmless in _HARMLESS_CONSOLE)
            and seen["errors"].append(f"console: {m.text}")
        ),
    )
    url = f"{site}/{page_name}.html"
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    has_math = page.evaluate("() => document.querySelector('.math') !== null")
    if has_math:
        page.wait_for_function(
            "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20_000
        )
        page.evaluate("() => MathJax.startup.promise")
    page.wait_for_load_state("networkidle")
    seen["page"] = page
    seen["context"] = context
    seen["has_math"] = has_math
    if screenshot_dir is not None:
        page.screenshot(
            path=str(screenshot_dir / (page_name.replace("/", "__") + ".png")), full_page=True
        )
    return seen


@pytest.fixture(scope="module")
def pages(browser, site, screenshot_dir):
    """Every page, opened once (lazily) and shared by the checks below."""
    cache: dict[str, dict] = {}

    def get(page_name: str) -> dict:
        if page_name not in cache:
            cache[page_name] = _open(browser, site, page_name, screenshot_dir)
        return cache[page_name]

    yield get
    for seen in cache.values():
        seen["context"].close()


_MATH_STATE = """() => {
  const math = [...document.querySelectorAll('.bd-main .math, .bd-sidebar-primary .math')];
  return {
    total: math.length,
    untypeset: math.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent),
    errors: [...document.querySelectorAll('mjx-merror')].map(e => e.textContent),
  };
}"""

# The article text outside code, code output and typeset math.
_PROSE_TEXT = """() => {
  const article = document.querySelector('article.bd-article') || document.body;
  const copy = article.cloneNode(true);
  copy.querySelectorAll(
    'pre, code, .highlight, .cell_output, .output, mjx-container, script, style, textarea'
  ).forEach(n => n.remove());
  return copy.innerText;
}"""

_IMAGES = """() => [...document.querySelectorAll('.bd-main img')].map(img => ({
  src: img.getAttribute('src'), ok: img.complete && img.naturalWidth > 0,
}))"""

_SIDEBAR = """() => {
  const nav = document.querySelector('nav.bd-docs-nav');
  const links = [...nav.querySelectorAll('li.toctree-l1 > a.reference')].map(a => {
    const copy = a.cloneNode(true);
    copy.querySelectorAll('.math, mjx-container').forEach(n => n.remove());
    return {href: new URL(a.getAttribute('href'), location.href).pathname,
            text: copy.textContent.replace(/\\s+/g, ' ').trim()};
  });
  const captions = [...nav.querySelectorAll('p.caption')].map(c => c.textContent.trim());
  return {links, captions};
}"""


@pytest.mark.parametrize("page_name", ALL_PAGES)
def test_page_in_browser(pages, site, page_name):
    seen = pages(page_name)
    page = seen["page"]
    port_prefix = site + "/"
    problems = []

    # Nothing from another host; nothing missing locally; no script errors.
    remote = [
        url
        for url in seen["requests"]
        if not (url.startswith(port_prefix) or url.startswith(("data:", "blob:")))
    ]
    problems += [f"requested from another host: {url}" for url in remote]
    problems += [f"failed to load: {failure}" for failure in seen["failed"]]
    problems += [f"script error: {error}" for error in seen["errors"]]

    # Math: all typeset, no TeX errors, no raw TeX left in the prose.
    math = page.evaluate(_MATH_STATE)
    problems += [f"math not typeset: {tex!r}" for tex in math["untypeset"]]
    problems += [f"MathJax error: {err!r}" for err in math["errors"]]
    if seen["has_math"]:
        assert page.evaluate("() => document.querySelector('mjx-container') !== null")
    prose = page.evaluate(_PROSE_TEXT)
    for match in RAW_TEX.finditer(prose):
        context = prose[max(0, match.start() - 40) : match.end() + 40].replace("\n", " ")
        problems.append(f"raw TeX in the text: ...{context}...")

    # Images: every one loaded.
    problems += [
        f"image did not load: {img['src']}" for img in page.evaluate(_IMAGES) if not img["ok"]
    ]

    # Sidebar: every page, in course order, under its title.
    sidebar = page.evaluate(_SIDEBAR)
    hrefs = [link["href"] for link in sidebar["links"]]
    expected = [f"/{name}.html" for name in ALL_PAGES]
    if hrefs != expected:
        problems.append(f"sidebar order {hrefs} != expected {expected}")
    titles = {link["href"]: link["text"] for link in sidebar["links"]}
    for nb, name in zip(NOTEBOOKS, NOTEBOOK_PAGES, strict=True):
        want = _comparable(_notebook_title(nb))
        got = _comparable(titles.get(f"/{name}.html", ""))
        if got != want:
            problems.append(f"sidebar title of {nb.name}: {got!r} != notebook title {want!r}")
    captions = sidebar["captions"]
    part1 = any(n.name[:2] <= "07" for n in NOTEBOOKS)
    part2 = any(n.name[:2] >= "08" for n in NOTEBOOKS)
    for caption, wanted in [("Part 1", part1), ("Part 2", part2), ("Reference", True)]:
        if wanted and not any(c.startswith(caption) for c in captions):
            problems.append(f"sidebar caption {caption!r} missing: {captions}")

    assert not problems, f"{page_name}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_solutions_are_folded(pages, notebook):
    page = pages(f"notebooks/{notebook.stem}")["page"]
    state = page.evaluate(
        """() => ({
      hidden: [...document.querySelectorAll(
          '.cell.tag_hide-cell, .cell.tag_hide-input, .cell.tag_hide-output')].map(cell => {
        const d = cell.querySelector('details');
        const pre = cell.querySelector('.cell_input pre');
        const summary = d && d.querySelector('summary');
        return {folded: !!d && !d.open,
                label: summary ? summary.innerText.replace(/\\s+/g, ' ').trim() : '',
                visible: !!pre && pre.checkVisibility() &&
                         pre.getBoundingClientRect().height > 0};
      }),
      details: [...document.querySelectorAll('.bd-article details')]
        .filter(d => !d.closest('.cell'))
        .map(d => ({open: d.open,
                    summary: (d.querySelector('summary') || {}).textContent || ''})),
    })"""
    )
    assert len(state["hidden"]) == _hidden_cell_count(notebook), (
        f"{notebook.name}: {_hidden_cell_count(notebook)} cells tagged hide-cell, "
        f"{len(state['hidden'])} rendered as hidden"
    )
    assert all(c["folded"] and not c["visible"] for c in state["hidden"]), state["hidden"]
    # The site labels every folded cell "Show the solution" (book/_config.yml).
    labels = {c["label"] for c in state["hidden"]}
    assert labels <= {"Show the solution"}, labels
    not_solutions = [
        src[:60] for src in _hidden_cells(notebook) if not src.startswith("# Solution")
    ]
    assert not not_solutions, (
        f"{notebook.name}: cells folded as solutions that are not (first line "
        f"'# Solution to exercise N', CONTRIBUTING.md): {not_solutions}"
    )
    opened = [d["summary"].strip() for d in state["details"] if d["open"]]
    assert not opened, f"{notebook.name}: <details> rendered open: {opened}"


def test_hidden_solution_opens_on_click(pages):
    """The toggle works: a click shows the hidden solution code."""
    with_hidden = [nb for nb in NOTEBOOKS if _hidden_cell_count(nb)]
    if not with_hidden:
        pytest.skip("no notebook has a hide-cell solution yet")
    page = pages(f"notebooks/{with_hidden[0].stem}")["page"]
    summary = page.locator(".cell.tag_hide-cell details > summary").first
    summary.click()
    code = page.locator(".cell.tag_hide-cell .cell_input pre").first
    code.wait_for(state="visible", timeout=5_000)
    assert code.inner_text().strip()
    summary.click()  # fold it again for later checks


def test_api_page(pages, site):
    page = pages("api")["page"]
    problems = []
    for module in API_MODULES:
        if page.locator(f'[id="module-nmf_teach.{module}"]').count() != 1:
            problems.append(f"no section for nmf_teach.{module}")
    functions = page.locator("dl.py.function, dl.py.class").count()
    if functions < 10:
        problems.append(f"only {functions} functions/classes documented")
    source_links = page.locator("a .viewcode-link")
    if source_links.count() < functions:
        problems.append(f"{source_links.count()} [source] links for {functions} objects")
    assert not problems, "\n".join(problems)

    # [source] -> the code page -> [docs] back to the API page.
    href = page.locator("a:has(.viewcode-link)").first.get_attribute("href")
    source = pages(href.split("#")[0].removesuffix(".html"))
    code_page = source["page"]
    assert code_page.locator(".highlight").count() >= 1
    back = code_page.locator("a.viewcode-back").first.get_attribute("href")
    assert back.split("#")[0].endswith("api.html"), back


def test_notebooks_link_to_the_api(pages):
    """Inline code naming a package object links to its API entry, which exists."""
    anchors = set()
    for name in NOTEBOOK_PAGES:
        hrefs = pages(name)["page"].evaluate(
            """() => [...document.querySelectorAll('.bd-article a.reference.internal')]
                 .map(a => a.getAttribute('href')).filter(h => h.includes('api.html#'))"""
        )
        anchors.update(href.split("#", 1)[1] for href in hrefs)
    if not NOTEBOOKS:
        pytest.skip("no notebooks yet")
    assert anchors, "no notebook links to the API page"
    api = pages("api")["page"]
    missing = [
        a for a in sorted(anchors) if not api.evaluate(f"() => !!document.getElementById({a!r})")
    ]
    assert not missing, f"links from notebooks to missing API anchors: {missing}"


def test_intro_page(pages):
    page = pages("intro")["page"]
    text = page.locator("article.bd-article").inner_text()
    for needed in [
        "make course",
        "make test",
        "make book",
        "conda env create -f environment.yml",
        "Binder",
        "F. Maxwell Harper and Joseph A. Konstan",
        "https://doi.org/10.1145/2827872",
    ]:
        assert needed in text, f"intro lacks {needed!r}"
    toc_links = page.locator("article.bd-article .toctree-wrapper a.reference").count()
    assert toc_links >= len(NOTEBOOKS), "intro's table of contents misses notebooks"


def test_movielens_terms_are_shipped_text(pages):
    page = pages("movielens_data")["page"]
    shown = page.locator("article.bd-article pre").first.inner_text()
    readme = (ROOT / "nmf_teach" / "data" / "ml-latest-small" / "README.txt").read_text(
        encoding="utf-8"
    )
    assert " ".join(shown.split()) == " ".join(readme.split())
