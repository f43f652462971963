"""Build one reveal.js deck per course notebook, to be viewed offline.

    python tools/build_slides.py                         # -> book/_build/slides/
    python tools/build_slides.py --out DIR notebooks/05_learning_u_and_v.ipynb

Each notebook becomes ``<out>/<notebook name>.slides.html`` through nbconvert's
slides exporter, with the slide types that ``tools/slide_metadata.py`` keeps in
the notebooks' cell metadata. The decks load nothing from another host; the
output folder holds everything they need:

* ``reveal.js/``: reveal.js's ``dist/`` and ``plugin/`` folders, from the npm
  package ``reveal.js`` at the exact version that ``tools/slides/package-lock.json``
  pins, installed with ``npm ci`` into ``build/slides-npm/`` (re-installed only
  when the lock file changes). npm is needed for this step (Node.js >= 18).
  reveal.js's themes that import web fonts from another host are left out
  (the decks use ``white``, whose font ships with reveal.js).
* ``mathjax/``: MathJax 3, the same copy the website serves, taken from the
  files of the Python package ``sphinx-mathjax-offline``.

The decks use an nbconvert template of our own (``tools/slides/templates/nmf_slides``)
that drops the stock template's CDN scripts (jQuery, require.js, Mermaid,
MathJax 2) and loads reveal.js and MathJax from the two folders above. After
the build, every deck is scanned for a script, stylesheet, image or font that
names another host; one found fails the build.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[1]
SLIDES_SRC = ROOT / "tools" / "slides"
TEMPLATES = SLIDES_SRC / "templates"
NPM_DIR = ROOT / "build" / "slides-npm"
DEFAULT_OUT = ROOT / "book" / "_build" / "slides"
NPM_FILES = ("package.json", "package-lock.json", ".npmrc")

REVEAL_DIR = "reveal.js"  # folders next to the decks, named relative to them
MATHJAX_DIR = "mathjax"
WIDTH, HEIGHT = 1280, 800  # the slide size reveal.js scales to the screen

# What makes a browser load something: src/href/data attributes, CSS url() and
# @import. Plain links (<a href>) to other sites load nothing and are fine.
LOADING = re.compile(
    r"<(script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?"
    r"\b(?:src|href|data|srcset)\s*=\s*[\"']([^\"']+)[\"']",
    re.IGNORECASE,
)
CSS_URL = re.compile(r"url\(\s*[\"']?([^\"')]+)|@import\s+[\"']([^\"']+)", re.IGNORECASE)
IMPORT_URL = re.compile(r"\bimport\s*(?:[\w{}*,\s]+from\s*)?[\"']([^\"']+)[\"']")


class SlidesError(RuntimeError):
    """A deck cannot be built; the message says why and what to do."""


def _is_remote(url: str) -> bool:
    url = url.strip()
    return url.startswith("//") or bool(re.match(r"[a-z][a-z0-9+.-]*://", url, re.IGNORECASE))


def remote_resources(html: str) -> list[str]:
    """The URLs on another host that a page would load (scripts, styles, images, fonts)."""
    found = [m.group(2) for m in LOADING.finditer(html) if _is_remote(m.group(2))]
    for style in re.findall(r"<style\b[^>]*>(.*?)</style>", html, re.S | re.I):
        found += [u or i for u, i in CSS_URL.findall(style) if _is_remote(u or i)]
    for script in re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S | re.I):
        found += [u for u in IMPORT_URL.findall(script) if _is_remote(u)]
        found += re.findall(r"[\"'](https?://[^\"']+\.(?:m?js|css|woff2?|ttf))", script)
    return found


# ----------------------------------------------------------------------------- assets


def install_reveal() -> Path:
    """reveal.js at the version package-lock.json pins, installed with `npm ci`; its folder."""
    NPM_DIR.mkdir(parents=True, exist_ok=True)
    lock = (SLIDES_SRC / "package-lock.json").read_text(encoding="utf-8")
    stamp = NPM_DIR / "node_modules" / ".package-lock.json"
    installed = NPM_DIR / "package-lock.json"
    if not (stamp.exists() and installed.exists() and installed.read_text("utf-8") == lock):
        npm = shutil.which("npm")
        if npm is None:
            raise SlidesError(
                "npm not found: the slides need reveal.js from the npm registry. "
                "Install Node.js (>= 18) and npm (Debian/Ubuntu: apt-get install nodejs npm)."
            )
        for name in NPM_FILES:
            shutil.copy2(SLIDES_SRC / name, NPM_DIR / name)
        print(f"npm ci in {NPM_DIR.relative_to(ROOT)} (reveal.js, pinned by package-lock.json)")
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NPM_DIR,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise SlidesError(f"npm ci failed in {NPM_DIR}:\n{result.stdout}{result.stderr}")
    reveal = NPM_DIR / "node_modules" / "reveal.js"
    pinned = json.loads(lock)["packages"]["node_modules/reveal.js"]["version"]
    version = json.loads((reveal / "package.json").read_text("utf-8"))["version"]
    if version != pinned:
        raise SlidesError(f"{reveal} is reveal.js {version}, package-lock.json pins {pinned}")
    return reveal


def mathjax_source() -> Path:
    """MathJax 3 as shipped by sphinx-mathjax-offline (the website's copy)."""
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or not spec.submodule_search_locations:
        raise SlidesError("sphinx-mathjax-offline is not installed (it is in the `test` extra)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax"
    if not (folder / "tex-chtml.js").exists():
        raise SlidesError(f"no tex-chtml.js in {folder}")
    return folder


def copy_assets(out: Path) -> None:
    """reveal.js (dist/ and plugin/) and MathJax into the output folder."""
    reveal = install_reveal()
    ignore = shutil.ignore_patterns("*.map")
    for sub in ("dist", "plugin"):
        target = out / REVEAL_DIR / sub
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(reveal / sub, target, ignore=ignore)
    # Several of reveal.js's other themes @import fonts from a web font service;
    # they are left out, so that no stylesheet in the folder loads from another host.
    for theme in (out / REVEAL_DIR / "dist" / "theme").glob("*.css"):
        if remote_resources(f"<style>{theme.read_text(encoding='utf-8')}</style>"):
            theme.unlink()
    shutil.copy2(reveal / "LICENSE", out / REVEAL_DIR / "LICENSE")
    target = out / MATHJAX_DIR
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(mathjax_source(), target)


# ----------------------------------------------------------------------------- decks


def exporter() -> SlidesExporter:
    config = Config()
    config.TemplateExporter.extra_template_basedirs = [str(TEMPLATES)]
    config.SlidesExporter.template_name = "nmf_slides"
    config.SlidesExporter.reveal_url_prefix = REVEAL_DIR
    config.SlidesExporter.reveal_theme = "white"  # its font ships with reveal.js
    config.SlidesExporter.reveal_scroll = True
    config.SlidesExporter.reveal_number = "c/t"
    config.SlidesExporter.reveal_width = str(WIDTH)
    config.SlidesExporter.reveal_height = str(HEIGHT)
    config.SlidesExporter.mathjax_url = f"{MATHJAX_DIR}/tex-chtml.js"
    # The template drops these; empty so that no CDN address reaches it anyway.
    for trait in ("require_js_url", "jquery_url", "mermaid_js_url", "widget_renderer_url"):
        setattr(config.SlidesExporter, trait, "")
    config.SlidesExporter.jupyter_widgets_base_url = ""
    config.SlidesExporter.font_awesome_url = ""
    # In [3]: prompts take a tenth of the slide width for nothing.
    config.SlidesExporter.exclude_input_prompt = True
    config.SlidesExporter.exclude_output_prompt = True
    return SlidesExporter(config=config)


def build_deck(notebook: Path, out: Path, slides: SlidesExporter) -> Path:
    nb = nbformat.read(notebook, as_version=4)
    missing = [c.id for c in nb.cells if "slide_type" not in c.metadata.get("slideshow", {})]
    if missing:
        raise SlidesError(
            f"{notebook.name}: {len(missing)} cells have no slide type; "
            "run `python tools/slide_metadata.py`"
        )
    html, _ = slides.from_notebook_node(nb, resources={"metadata": {"name": notebook.stem}})
    remote = remote_resources(html)
    if remote:
        raise SlidesError(
            f"{notebook.name}: the deck would load from other hosts: {sorted(set(remote))}"
        )
    target = out / f"{notebook.stem}.slides.html"
    target.write_text(html, encoding="utf-8")
    return target


def build(out: Path = DEFAULT_OUT, notebooks: list[Path] | None = None) -> list[Path]:
    """Build the decks of `notebooks` (default: all) into `out`, with their assets; the decks."""
    notebooks = notebooks or course_notebooks()
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out)
    slides = exporter()
    return [build_deck(notebook, out, slides) for notebook in notebooks]


def course_notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every course notebook")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: %(default)s")
    args = parser.parse_args(arguments)
    try:
        decks = build(args.out, args.notebooks)
    except SlidesError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{len(decks)} decks in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
