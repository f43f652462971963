"""Measure every course notebook and write the instructor's guide's timing tables.

For each notebook in notebooks/ (whatever notebooks exist), this script measures:

- ``markdown_words``: the words of its markdown cells (HTML tags removed; math counts as
  words, since it takes at least as long to read), and ``reading_minutes`` at
  ``READING_WPM`` words per minute;
- ``code_cells`` and ``exercises`` (the ``**Exercise N`` headings of its markdown);
- ``execution_seconds``: the wall-clock time to run it top to bottom in a fresh kernel
  (kernel start included), the way tools/execute_notebooks.py runs it, without saving it.

It writes them to book/notebook_timings.csv, then regenerates the two tables between the
``<!-- timings:... -->`` markers of book/instructors.md from that CSV: the per-notebook table
and the lecture plan (``SESSIONS``: which notebooks each 90-minute session covers, and
which are assigned as reading).
tests/test_assignments.py checks that the page is in sync with the CSV.

    python tools/notebook_timings.py               # measure, write the CSV, update the page
    python tools/notebook_timings.py --page-only   # update the page from the existing CSV
    python tools/notebook_timings.py --check       # exit 1 if the page is out of sync with the CSV

Execution times depend on the machine and on what else it is doing: the CSV records the
number of cores and the load average (the larger of the 1-minute load before and after the
run; above the number of cores, other work was slowing the run down), and times are rounded
to whole seconds.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CSV_PATH = ROOT / "book" / "notebook_timings.csv"
PAGE = ROOT / "book" / "instructors.md"

# Technical prose with formulas is read more slowly than ordinary text (about 200-250
# words per minute): we assume 130 words per minute for a first, careful reading.
READING_WPM = 130
# In class, running a code cell and commenting on its output: half a minute per cell.
MINUTES_PER_CODE_CELL = 0.5
SESSION_MINUTES = 90

# The lecture plan: (session title, notebooks taught in class, notebooks assigned as reading
# after it), notebooks by their number. Notebook 13 ("NMF on your own data") is planned
# before it exists; a missing notebook shows as "not written yet".
SESSIONS: list[tuple[str, list[str], list[str]]] = [
    ("The ratings matrix and its factors", ["01", "02", "03"], []),
    ("Latent factors, learning them, missing ratings", ["04", "05", "06"], []),
    ("Surprise's NMF, MovieLens", ["07", "08"], []),
    ("Against the baselines, making NMF competitive", ["09", "10"], []),
    ("What the factors mean, recommending, your own data", ["11", "12", "13"], ["14"]),
    ("Implicit feedback, Spark", ["15", "16"], []),
]
PLANNED_TITLES = {"13": "NMF on your own data"}

COLUMNS = [
    "notebook",
    "title",
    "markdown_words",
    "reading_minutes",
    "code_cells",
    "exercises",
    "execution_seconds",
    "cores",
    "load",
]


def notebook_paths() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def title_of(cells: list[dict]) -> str:
    for cell in cells:
        if cell["cell_type"] == "markdown":
            first = "".join(cell["source"]).strip().splitlines()[0]
            return re.sub(r"^#+\s*(\d+\.\s*)?", "", first).strip()
    return ""


def static_measures(path: Path) -> dict:
    """Words, reading time, code cells and exercises of one notebook (no execution)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    words = len(re.sub(r"<[^>]+>", " ", text).split())
    return {
        "notebook": path.stem,
        "title": title_of(cells),
        "markdown_words": words,
        "reading_minutes": round(words / READING_WPM, 1),
        "code_cells": sum(c["cell_type"] == "code" for c in cells),
        "exercises": len(set(re.findall(r"\*\*Exercise (\d+)", text))),
    }


def execution_seconds(path: Path) -> int:
    """Wall-clock seconds to run the notebook in a fresh kernel (not saved)."""
    sys.path.insert(0, str(ROOT / "tools"))
    from execute_notebooks import run

    start = time.perf_counter()
    run(path, timeout=300)
    return round(time.perf_counter() - start)


def measure(paths: list[Path]) -> list[dict]:
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    rows = []
    for path in paths:
        row = static_measures(path)
        print(f"executing {path.name}", flush=True)
        load = os.getloadavg()[0]  # other work on the machine slows the run down
        row["execution_seconds"] = execution_seconds(path)
        row["cores"] = os.cpu_count()
        row["load"] = round(max(load, os.getloadavg()[0]), 1)
        rows.append(row)
    return rows


def write_csv(rows: list[dict]) -> None:
    with open(CSV_PATH, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def read_csv() -> list[dict]:
    with open(CSV_PATH, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def class_minutes(row: dict) -> float:
    """Reading time plus MINUTES_PER_CODE_CELL per code cell, plus the execution time."""
    return (
        float(row["reading_minutes"])
        + MINUTES_PER_CODE_CELL * int(row["code_cells"])
        + int(row["execution_seconds"]) / 60
    )


def notebook_table(rows: list[dict]) -> str:
    lines = [
        "| Notebook | Words | Reading (min) | Code cells | Exercises | Run (s) | In class (min) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['notebook'][:2]}. {r['title']} | {r['markdown_words']} | {r['reading_minutes']}"
            f" | {r['code_cells']} | {r['exercises']} | {r['execution_seconds']}"
            f" | {class_minutes(r):.0f} |"
        )
    total_words = sum(int(r["markdown_words"]) for r in rows)
    total_run = sum(int(r["execution_seconds"]) for r in rows)
    total_class = sum(class_minutes(r) for r in rows)
    lines.append(
        f"| **All {len(rows)} notebooks** | {total_words} | {total_words / READING_WPM:.0f}"
        f" | {sum(int(r['code_cells']) for r in rows)}"
        f" | {sum(int(r['exercises']) for r in rows)} | {total_run} | {total_class:.0f} |"
    )
    return "\n".join(lines)


def plan_table(rows: list[dict]) -> str:
    by_prefix = {r["notebook"][:2]: r for r in rows}

    def name(p: str) -> str:
        if p in by_prefix:
            return f"{p}. {by_prefix[p]['title']}"
        return f"{p}. {PLANNED_TITLES.get(p, '?')} (not written yet)"

    lines = [
        "| Session | In class | Reading after it | In class (min) | Left for exercises (min) |",
        "| --- | --- | --- | ---: | ---: |",
    ]
    for number, (title, in_class, reading) in enumerate(SESSIONS, start=1):
        minutes = sum(class_minutes(by_prefix[p]) for p in in_class if p in by_prefix)
        more = " + notebook 13" if any(p not in by_prefix for p in in_class) else ""
        lines.append(
            f"| {number}. {title} | {'<br>'.join(map(name, in_class))}"
            f" | {'<br>'.join(map(name, reading))} | {minutes:.0f}{more}"
            f" | {SESSION_MINUTES - minutes:.0f}{more.replace('+', '-')} |"
        )
    planned = {p for _, in_class, reading in SESSIONS for p in in_class + reading}
    unplanned = sorted(set(by_prefix) - planned)
    if unplanned:
        lines.append(f"| (not in the plan yet) | {', '.join(unplanned)} | | | |")
    return "\n".join(lines)


def render_page(page: str, rows: list[dict]) -> str:
    for name, table in [("notebooks", notebook_table(rows)), ("plan", plan_table(rows))]:
        start, end = f"<!-- timings:{name}:start -->", f"<!-- timings:{name}:end -->"
        pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
        if not pattern.search(page):
            raise ValueError(f"{PAGE} has no {start} ... {end} markers: add them for the table")
        page = pattern.sub(lambda _m, s=start, t=table, e=end: f"{s}\n{t}\n{e}", page)
    return page


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--page-only", action="store_true", help="only regenerate the page")
    group.add_argument("--check", action="store_true", help="check the page against the CSV")
    args = parser.parse_args(argv)
    if not (args.page_only or args.check):
        write_csv(measure(notebook_paths()))
    page = PAGE.read_text(encoding="utf-8")
    rendered = render_page(page, read_csv())
    if args.check:
        if rendered != page:
            print(f"{PAGE} is out of sync with {CSV_PATH}: run {Path(__file__).name} --page-only")
            return 1
        return 0
    PAGE.write_text(rendered, encoding="utf-8")
    if not args.page_only:
        print(f"wrote {CSV_PATH.relative_to(ROOT)}")
    print(f"wrote the tables of {PAGE.relative_to(ROOT)} from {CSV_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
