"""Set the slide type of every notebook cell from rules, for the reveal.js decks.

``make slides`` turns each notebook into a reveal.js deck (nbconvert's slides
exporter), and JupyterLab's RISE presents a notebook live; both read the
``slideshow.slide_type`` of each cell. This script computes those slide types
from the notebooks' structure, so that nobody maintains them by hand and a
re-run after an edit or a merge gives the same answer:

    python tools/slide_metadata.py            # write the slide types into every notebook
    python tools/slide_metadata.py --check    # exit 1 (and list them) if any differ
    python tools/slide_metadata.py notebooks/05_learning_u_and_v.ipynb   # some notebooks

Only cell metadata changes (``slideshow``, and the notebook's ``rise`` settings);
sources and outputs are left as they are, so nothing needs re-executing.
``tests/test_slides.py`` checks that the notebooks hold what this script
computes.

The rules, in order (a reveal.js deck is a row of slides, each with a column of
sub-slides below it):

1. The title cell (``# N. Title``) opens the deck: ``slide``.
2. Each ``## Section`` heading starts a new ``slide``; each ``### Subsection``
   heading a ``subslide``. A ``## Setup`` section that holds only imports is
   left out (``skip``).
3. Exercise solutions are left out (``skip``): code cells tagged ``hide-cell``
   and ``<details>`` text solutions. The exercise statements stay together on
   the Exercises slide (``-``: continue the current slide).
4. Pure set-up code (imports and print options, with no output) and bare
   checks (only ``assert`` or ``check_stored(...)`` statements, also as
   ``_ = check_stored(...)`` and in ``for`` loops, with no output) are left out
   (``skip``): they matter to the tests, not to a lecture.
5. The closing ``---`` cell (the package functions used) becomes speaker notes
   (``notes``).
6. Everything else is content, grouped into units: a text cell together with
   the code cell it introduces (CONTRIBUTING.md: a sentence before each code
   cell). A unit stays on the current slide while the slide's estimated height
   fits; otherwise it starts a ``subslide``. So a key figure or a big table
   gets a sub-slide of its own, with the sentence that introduces it, and
   short steps share one; a slide never holds a short heading alone. A long
   text (a derivation) and its code cell are two units when they do not fit
   one slide together.

A cell that the rules get wrong is fixed in ``tools/slide_overrides.toml``, by
notebook and cell id (cell ids are stable). An override that names a cell that
no longer exists is an error, so stale overrides do not pile up.
"""

from __future__ import annotations

import argparse
import ast
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

if sys.version_info >= (3, 11):
    import tomllib
else:  # tomli is in the test extra for Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
OVERRIDES = Path(__file__).resolve().with_name("slide_overrides.toml")

SLIDE_TYPES = ("slide", "subslide", "fragment", "skip", "notes", "-")

# Notebook-level RISE settings (JupyterLab's live slideshow), the same as the
# decks that make slides builds: long slides scroll instead of being cut off.
RISE_SETTINGS = {"scroll": True}

# Height budget of one (sub-)slide, in lines of body text. tools/build_slides.py
# builds the decks at 1280 x 800 pixels with scrolling on, so a slide that
# overruns still shows everything; the budget only decides where to cut.
BUDGET = 22.0
CHARS_PER_LINE = 95  # of prose on a 1280-pixel-wide slide
FIGURE_LINES = 14.0  # a matplotlib figure, scaled to the slide width
MAX_OUTPUT_LINES = 20.0  # a long printout counts like a figure-sized block
LONG_TEXT = BUDGET / 3  # a text cell this tall is not just a sentence introducing code

# Statements that only prepare the kernel: imports and display options.
SETUP_CALLS = re.compile(r"^(np\.set_printoptions|pd\.set_option|warnings\.\w+|plt\.rcParams)")
CHECK_CALLS = re.compile(r"^(check_stored|np\.testing\.\w+|pd\.testing\.\w+)\b")


@dataclass
class Cell:
    """One cell as the rules see it."""

    id: str
    # title, section, setup-section, subsection, solution, setup, check, notes, text, code
    kind: str
    lines: float  # estimated height on a slide
    figure: bool = False


# ----------------------------------------------------------------------------- classify


def _source(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def _markdown_lines(text: str) -> float:
    """Estimated rendered height of Markdown, in lines of body text."""
    height = 0.0
    in_math = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("$$"):
            # A display-math block: about two lines however it is typed.
            if not in_math:
                height += 2.0
            if not (stripped.endswith("$$") and len(stripped) > 2) or stripped == "$$":
                in_math = not in_math
            continue
        if in_math or stripped.startswith(("\\begin", "\\end")):
            height += 0.5 if in_math else 0.0
            continue
        if not stripped:
            height += 0.4
        elif stripped.startswith("#"):
            height += 1.6
        elif stripped.startswith("|"):
            height += 0.0 if set(stripped) <= set("|-: ") else 1.0
        else:
            height += max(1.0, math.ceil(len(stripped) / CHARS_PER_LINE))
    return height


def _output_lines(output) -> tuple[float, bool]:
    """Estimated height of one output, and whether it is a figure."""
    data = output.get("data", {})
    if any(key.startswith("image/") for key in data):
        return FIGURE_LINES, True
    if "text/html" in data:
        html = data["text/html"]
        html = html if isinstance(html, str) else "".join(html)
        rows = html.count("<tr")
        if rows:
            return min(float(rows) + 1.0, MAX_OUTPUT_LINES), False
    text = output.get("text") or data.get("text/plain") or ""
    text = text if isinstance(text, str) else "".join(text)
    return min(float(len(text.splitlines())), MAX_OUTPUT_LINES), False


def _statements_only(source: str, keep) -> bool:
    """True if the code parses and every top-level statement passes `keep`."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics and the like: not set-up, show it
        return False
    return bool(tree.body) and all(keep(statement) for statement in tree.body)


def _is_setup(statement: ast.stmt) -> bool:
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        return bool(SETUP_CALLS.match(ast.unparse(statement.value.func)))
    if isinstance(statement, (ast.Assign, ast.AugAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return all(SETUP_CALLS.match(ast.unparse(t)) for t in targets)
    return False


def _is_check(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Assert):
        return True
    if isinstance(statement, ast.For):  # a loop of checks, e.g. one claim per row of a table
        return all(_is_check(s) for s in statement.body) and not statement.orelse
    # `check_stored(...)`, or `_ = check_stored(...)` (so that Jupyter does not display True)
    is_call = isinstance(statement, ast.Expr) or (
        isinstance(statement, ast.Assign) and [ast.unparse(t) for t in statement.targets] == ["_"]
    )
    if is_call and isinstance(statement.value, ast.Call):
        return bool(CHECK_CALLS.match(ast.unparse(statement.value.func)))
    return False


def classify(cell, index: int) -> Cell:
    """What a cell is, for the slide rules."""
    text = _source(cell)
    stripped = text.strip()
    if cell.cell_type == "markdown":
        lines = _markdown_lines(text)
        first = stripped.splitlines()[0] if stripped else ""
        if index == 0 and first.startswith("# "):
            return Cell(cell.id, "title", lines)
        if first.startswith("## "):
            return Cell(cell.id, "section", lines)
        if first.startswith("### "):
            return Cell(cell.id, "subsection", lines)
        if stripped.startswith("<details"):
            return Cell(cell.id, "solution", lines)
        if first == "---":
            return Cell(cell.id, "notes", lines)
        return Cell(cell.id, "text", lines)
    if cell.cell_type != "code":  # raw cells: not part of a lecture
        return Cell(cell.id, "setup", 0.0)
    if "hide-cell" in cell.metadata.get("tags", []):
        return Cell(cell.id, "solution", 0.0)
    outputs = cell.get("outputs", [])
    if not outputs and _statements_only(text, _is_setup):
        return Cell(cell.id, "setup", 0.0)
    if not outputs and _statements_only(text, _is_check):
        return Cell(cell.id, "check", 0.0)
    lines = float(len(stripped.splitlines())) + 0.8  # the code box's padding
    figure = False
    for output in outputs:
        height, is_figure = _output_lines(output)
        lines += height
        figure = figure or is_figure
    return Cell(cell.id, "code", lines, figure)


# ----------------------------------------------------------------------------- rules


def _heading(cell) -> str:
    return _source(cell).strip().splitlines()[0].lstrip("#").strip()


def slide_types(notebook) -> dict[str, str]:
    """The slide type of every cell of a notebook (by cell id), from the rules above."""
    cells = [classify(cell, i) for i, cell in enumerate(notebook.cells)]
    # A "## Setup" section with nothing to show (only set-up code) is left out.
    for i, cell in enumerate(cells):
        if cell.kind == "section" and _heading(notebook.cells[i]).lower() == "setup":
            rest = []
            for later in cells[i + 1 :]:
                if later.kind in ("section", "subsection", "title"):
                    break
                rest.append(later)
            if all(c.kind in ("setup", "check") for c in rest):
                cell.kind = "setup-section"

    types: dict[str, str] = {}
    used = 0.0  # estimated height of the current (sub-)slide so far
    content = False  # whether it holds more than its heading
    exercises = False
    i = 0
    while i < len(cells):
        cell = cells[i]
        if cell.kind in ("title", "section"):
            types[cell.id] = "slide"
            used, content = cell.lines, False
            exercises = cell.kind == "section" and _heading(notebook.cells[i]).lower().startswith(
                "exercises"
            )
            i += 1
            continue
        if cell.kind == "subsection":
            types[cell.id] = "subslide"
            used, content = cell.lines, False
            i += 1
            continue
        if cell.kind in ("solution", "setup", "check", "setup-section"):
            types[cell.id] = "skip"
            i += 1
            continue
        if cell.kind == "notes":
            types[cell.id] = "notes"
            i += 1
            continue
        # Content: a text cell and the code cell right after it make one unit,
        # unless the text is long (a derivation) and the two do not fit one slide.
        unit = [cell]
        if cell.kind == "text" and i + 1 < len(cells) and cells[i + 1].kind == "code":
            pair = cell.lines + cells[i + 1].lines
            if pair <= BUDGET or cell.lines <= LONG_TEXT:
                unit.append(cells[i + 1])
        height = sum(c.lines for c in unit)
        # A slide that holds only a short heading so far is not left on its own.
        heading_only = not content and used <= LONG_TEXT
        if exercises or heading_only or used + height <= BUDGET:
            types[unit[0].id] = "-"
            used += height
        else:
            types[unit[0].id] = "subslide"
            used = height
        content = True
        for later in unit[1:]:
            types[later.id] = "-"
        i += len(unit)
    return types


# ----------------------------------------------------------------------------- overrides


def load_overrides(path: Path = OVERRIDES) -> dict[str, dict[str, str]]:
    """Per-notebook {cell id: slide type} corrections; checked for valid slide types."""
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for stem, cells in data.items():
        if not isinstance(cells, dict):
            raise ValueError(f"{path.name}: [{stem}] must be a table of cell id = slide type")
        for cell_id, slide_type in cells.items():
            if slide_type not in SLIDE_TYPES:
                raise ValueError(
                    f"{path.name}: [{stem}] {cell_id} = {slide_type!r} is not a slide type; "
                    f"use one of {', '.join(SLIDE_TYPES)}"
                )
    return data


def expected_types(path: Path, notebook, overrides: dict[str, dict[str, str]]) -> dict[str, str]:
    """The rules' slide types with this notebook's overrides applied."""
    types = slide_types(notebook)
    for cell_id, slide_type in overrides.get(path.stem, {}).items():
        if cell_id not in types:
            raise ValueError(
                f"{OVERRIDES.name}: [{path.stem}] names cell {cell_id!r}, which "
                f"{path.name} no longer has; remove or update that override"
            )
        types[cell_id] = slide_type
    return types


def differences(path: Path, overrides: dict[str, dict[str, str]]) -> list[str]:
    """What differs between the notebook's slide metadata and what the rules give."""
    notebook = nbformat.read(path, as_version=4)
    types = expected_types(path, notebook, overrides)
    problems = []
    if notebook.metadata.get("rise") != RISE_SETTINGS:
        problems.append(f"{path.name}: notebook metadata 'rise' is not {RISE_SETTINGS}")
    for cell in notebook.cells:
        want = types[cell.id]
        have = cell.metadata.get("slideshow", {}).get("slide_type")
        if have != want:
            problems.append(f"{path.name} cell {cell.id}: slide_type {have!r}, rules give {want!r}")
    return problems


def apply(path: Path, overrides: dict[str, dict[str, str]]) -> bool:
    """Write the slide types into the notebook; True if the file changed."""
    before = path.read_text(encoding="utf-8")
    notebook = nbformat.read(path, as_version=4)
    types = expected_types(path, notebook, overrides)
    notebook.metadata["rise"] = dict(RISE_SETTINGS)
    for cell in notebook.cells:
        slideshow = dict(cell.metadata.get("slideshow", {}))
        slideshow["slide_type"] = types[cell.id]
        cell.metadata["slideshow"] = slideshow
    after = nbformat.writes(notebook)
    after += "" if after.endswith("\n") else "\n"  # as nbformat.write does
    if after != before:
        path.write_text(after, encoding="utf-8")
        return True
    return False


def course_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every course notebook")
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if any slide type differs"
    )
    args = parser.parse_args(arguments)
    paths = args.notebooks or course_notebooks()
    overrides = load_overrides()
    unknown = sorted(set(overrides) - {p.stem for p in course_notebooks()})
    if unknown:
        print(f"{OVERRIDES.name} names notebooks that do not exist: {unknown}", file=sys.stderr)
        return 1
    if args.check:
        problems = [problem for path in paths for problem in differences(path, overrides)]
        if problems:
            print("\n".join(problems), file=sys.stderr)
            print(
                f"{len(problems)} slide types differ from the rules: run "
                "`python tools/slide_metadata.py` and commit the notebooks",
                file=sys.stderr,
            )
            return 1
        print(f"slide metadata up to date in {len(paths)} notebooks")
        return 0
    changed = [path.name for path in paths if apply(path, overrides)]
    print(f"slide metadata written: {len(changed)} of {len(paths)} notebooks changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
