"""Assignments and the instructor's guide (tools/assignments.py, tools/notebook_timings.py).

The grading round trip, with nbgrader, in a temporary folder (the repository is untouched):
the student notebooks and the autograder are built from the course notebooks; the course
notebooks, which hold the solutions, are graded as a submission and score full marks; blank
student notebooks score less; no solution reaches a student notebook. Grading executes
notebooks, so only the course notebooks are all graded; of the blank student notebooks the
fastest few (book/notebook_timings.csv) are graded for real, and for every one a static
check shows that each check cell needs a name that only the solution defines, so a blank
notebook cannot pass it.
"""

from __future__ import annotations

import ast
import csv
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import notebook_timings  # noqa: E402

import assignments  # noqa: E402

COURSE = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CHECKS = assignments.load_checks()
BLANK_GRADED = 3  # blank student notebooks graded for real (the fastest ones)
# nbgrader's gradebook code warns under SQLAlchemy 2 (its own session handling, not ours).
pytestmark = pytest.mark.filterwarnings("ignore:Object of type:sqlalchemy.exc.SAWarning")


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _assigned(source: str) -> set[str]:
    """Names a cell binds (assignments, loops, imports, functions)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _used(source: str) -> set[str]:
    return {
        n.id
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("assignments")
    assignments.build(out)
    return out


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.stem)
def test_every_code_exercise_is_graded_or_listed_ungraded(path):
    with open(assignments.CHECKS, encoding="utf-8") as f:
        ungraded = yaml.safe_load(f).get("ungraded") or {}
    exercises = {n for _, n in assignments.solution_cells(_read(path))}
    listed = set(CHECKS.get(path.stem, {})) | {int(n) for n in ungraded.get(path.stem, {})}
    assert exercises <= listed, f"exercises {sorted(exercises - listed)} have no check"


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.stem)
def test_each_check_needs_what_only_the_solution_defines(path):
    nb = _read(path)
    solutions = dict(assignments.solution_cells(nb))
    in_solutions, elsewhere = set(), set()
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            (in_solutions if i in solutions else elsewhere).update(_assigned(cell.source))
    only_solution = in_solutions - elsewhere
    for n, spec in CHECKS.get(path.stem, {}).items():
        assert _used(spec["check"]) & only_solution, (
            f"the visible check of exercise {n} uses no name that only a solution defines: "
            "a blank notebook could pass it"
        )


def _solution_lines(nb) -> dict[int, list[str]]:
    """Lines of each code solution (after its first line) that no other code cell has."""
    solutions = dict(assignments.solution_cells(nb))
    other = {
        line.strip()
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and i not in solutions
        for line in c.source.splitlines()
    }
    return {
        n: [
            s
            for line in nb.cells[i].source.splitlines()[1:]
            if (s := line.strip()) and s not in other
        ]
        for i, n in solutions.items()
    }


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.stem)
def test_no_solution_in_the_student_notebook(built, path):
    course = _read(path)
    student = _read(built / "student" / path.name)
    student_lines = {line.strip() for c in student.cells for line in c.source.splitlines()}
    for n, lines in _solution_lines(course).items():
        leaked = [line for line in lines if line in student_lines]
        assert not leaked, f"exercise {n}: solution lines in the student notebook: {leaked}"
    text = "\n".join(c.source for c in student.cells)
    assert "<summary>Solution" not in text, "a text solution was left in"
    for cell in course.cells:
        if cell.cell_type == "markdown" and "<summary>Solution" in cell.source:
            body = cell.source.split("<summary>", 1)[1].split("</details>")[0]
            for line in body.splitlines():
                if len(line.strip()) > 30:
                    assert line.strip() not in text, f"text solution line left in: {line!r}"


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.stem)
def test_student_notebook_has_a_check_after_each_graded_solution(built, path):
    cells = _read(built / "student" / path.name).cells
    stubs = [i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("solution")]
    assert len(stubs) == len(assignments.solution_cells(_read(path)))
    for i in stubs:
        assert "raise NotImplementedError()" in cells[i].source
    checks = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(checks) == len(CHECKS.get(path.stem, {}))
    for cell in checks:
        assert cell.source.startswith("# Check your answer to exercise")
        assert "BEGIN HIDDEN TESTS" not in cell.source


def _fastest(n: int) -> list[Path]:
    with open(notebook_timings.CSV_PATH, encoding="utf-8") as f:
        seconds = {r["notebook"]: int(r["execution_seconds"]) for r in csv.DictReader(f)}
    graded = [p for p in COURSE if p.stem in CHECKS]
    return sorted(graded, key=lambda p: seconds.get(p.stem, 10**6))[:n]


@pytest.fixture(scope="module")
def grades(built, tmp_path_factory) -> list[dict]:
    submissions = tmp_path_factory.mktemp("submissions")
    (submissions / "course").mkdir()
    (submissions / "blank").mkdir()
    for path in COURSE:
        shutil.copy(path, submissions / "course" / path.name)
    for path in _fastest(BLANK_GRADED):
        shutil.copy(built / "student" / path.name, submissions / "blank" / path.name)
    out = assignments.grade(submissions, built / "autograder")
    with open(out, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_course_notebooks_score_full_marks(grades):
    course = {r["notebook"]: r for r in grades if r["student"] == "course"}
    assert set(course) == {p.stem for p in COURSE}
    for name, row in course.items():
        expected = sum(spec["points"] for spec in CHECKS.get(name, {}).values())
        assert float(row["max_score"]) == expected, name
        assert float(row["score"]) == expected, f"{name}: {row['score']} of {expected}"


def test_blank_student_notebooks_score_less(grades):
    blank = [r for r in grades if r["student"] == "blank"]
    assert len(blank) == BLANK_GRADED
    for row in blank:
        assert float(row["max_score"]) > 0
        assert float(row["score"]) < float(row["max_score"]), row["notebook"]


def test_grades_csv_columns(grades):
    assert {"notebook", "score", "max_score"} <= set(grades[0])


# --- the instructor's guide -------------------------------------------------------------


def test_guide_tables_are_in_sync_with_the_timings_csv():
    page = notebook_timings.PAGE.read_text(encoding="utf-8")
    assert notebook_timings.render_page(page, notebook_timings.read_csv()) == page, (
        "book/instructors.md is out of sync: run python tools/notebook_timings.py --page-only"
    )


def test_timings_csv_measures_the_current_notebooks():
    rows = {r["notebook"]: r for r in notebook_timings.read_csv()}
    assert set(rows) == {p.stem for p in COURSE}, (
        "notebooks were added or removed: run python tools/notebook_timings.py"
    )
    for path in COURSE:
        now = notebook_timings.static_measures(path)
        words = int(rows[path.stem]["markdown_words"])
        assert abs(now["markdown_words"] - words) <= 0.1 * words, (
            f"{path.stem} changed a lot since it was measured: run tools/notebook_timings.py"
        )


def test_guide_is_in_the_book_and_pointed_to():
    toc = (ROOT / "book" / "_toc.yml").read_text(encoding="utf-8")
    assert "file: instructors" in toc
    assert "book/instructors.md" in (ROOT / "INSTRUCTORS.md").read_text(encoding="utf-8")
