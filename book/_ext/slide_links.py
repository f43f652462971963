"""Sphinx extension of the nmf-teach website: every chapter links to its lecture slides.

1. Each notebook page gets, under its title, a line "This chapter as slides"
   whose link leads to ``slides/<notebook name>.slides.html`` in the site.

2. When the HTML build finishes, the decks are built into ``<site>/slides/``
   by ``tools/build_slides.py`` (the same code as ``make slides``), with their
   own copies of reveal.js and MathJax, so the links work in the built site,
   offline. A deck that cannot be built (npm missing, a notebook without slide
   types) is a warning, which fails ``make book``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
SLIDES_DIR = "slides"  # in the site, next to notebooks/


def deck_name(docname: str) -> str | None:
    """The deck file of a notebook page (``notebooks/05_x`` -> ``05_x.slides.html``)."""
    folder, _, stem = docname.partition("/")
    if folder != "notebooks" or not stem[:2].isdigit():
        return None
    return f"{stem}.slides.html"


def _add_slides_link(app, doctree, docname):
    deck = deck_name(docname)
    section = next(iter(doctree.findall(nodes.section)), None)
    if deck is None or section is None:
        return
    href = f"../{SLIDES_DIR}/{deck}"  # relative to notebooks/NN_name.html
    link = nodes.reference("", "as slides", refuri=href, classes=["nmf-slides-link"])
    paragraph = nodes.paragraph("", "", classes=["nmf-slides"])
    paragraph += nodes.Text("This chapter ")
    paragraph += link
    paragraph += nodes.Text(" (reveal.js; arrow keys to move, S for the speaker notes).")
    title_index = next(
        (i for i, child in enumerate(section.children) if isinstance(child, nodes.title)), -1
    )
    section.insert(title_index + 1, paragraph)


def _build_decks(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import build_slides
    finally:
        sys.path.pop(0)
    docnames = [name for name in app.env.found_docs if deck_name(name)]
    notebooks = [ROOT / f"{name}.ipynb" for name in sorted(docnames)]
    try:
        decks = build_slides.build(Path(app.outdir) / SLIDES_DIR, notebooks)
    except build_slides.SlidesError as error:
        logger.warning("lecture slides not built: %s", error)
        return
    logger.info("lecture slides: %d decks in %s/", len(decks), SLIDES_DIR)


def setup(app):
    app.connect("doctree-resolved", _add_slides_link)
    app.connect("build-finished", _build_decks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
