"""Gradable assignments from the course notebooks, with nbgrader.

The solutions live in one place, the course notebooks: a code solution is a cell whose
first line is ``# Solution to exercise N`` (CONTRIBUTING.md), a text solution a
``<details><summary>Solution ...</summary> ... </details>`` block. The tests that grade
the code exercises live in assignments/checks.yml. This script never edits the course
notebooks; it builds everything else from them.

``build`` (``make assignments``):

1. turns each course notebook into an nbgrader *source* notebook in the course directory
   assignments/autograder/source/<notebook>/<notebook>.ipynb (one nbgrader assignment per
   notebook): each code solution becomes an nbgrader solution cell (its body between
   ``### BEGIN SOLUTION`` and ``### END SOLUTION``), each text solution a solution region,
   and after each solution with a check in checks.yml comes a locked, graded "check your
   answer" cell (its ``hidden`` part between ``### BEGIN HIDDEN TESTS`` and
   ``### END HIDDEN TESTS``);
2. runs ``nbgrader generate_assignment``, which records the assignments in
   assignments/autograder/gradebook.db and writes the student versions (solutions replaced
   by a stub, hidden tests and outputs removed), copied to assignments/student/.

``grade DIR`` (``make grade SUBMISSIONS=DIR``): copies the autograder to a temporary course
directory, puts each submitted notebook there (matched to its assignment by file name;
``DIR/*.ipynb`` is one submission, ``DIR/<student>/*.ipynb`` one per student), runs
``nbgrader autograde`` (which executes the notebook in a fresh kernel with the original
check cells restored, so edited checks do not count) and writes DIR/grades.csv with the
columns student, notebook, score, max_score. A course notebook is a complete submission:
a notebook without nbgrader metadata is first converted the way ``build`` converts the
course notebooks, so its own solutions are what gets graded.

    python tools/assignments.py build [--out assignments] [NOTEBOOK ...]
    python tools/assignments.py grade DIR [--autograder assignments/autograder] [--keep GRADED]
"""

from __future__ import annotations

import argparse
import copy
import csv
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CHECKS = ROOT / "assignments" / "checks.yml"
OUT = ROOT / "assignments"

SOLUTION_FIRST_LINE = re.compile(r"^# Solution to exercise (\d+)\s*$")
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CHECK_FIRST_LINE = "# Check your answer to exercise {n}: run this cell; no error means it passed."

STUDENT_INTRO = """\
**Assignment version of this notebook.** The solutions are removed. Write your code where a
cell says `# YOUR CODE HERE` (delete the `raise NotImplementedError()` line), run it, then run
the *check your answer* cell below it: no error means the check passed. Text answers go
where a cell says *YOUR ANSWER HERE*. Run the whole notebook from the top before you submit,
since the grader runs it in a fresh kernel."""


# --- the course notebooks' format -------------------------------------------------------


def exercise_of(cell: dict) -> int | None:
    """The exercise number of a code solution cell, None for any other cell."""
    if cell["cell_type"] != "code" or not cell["source"]:
        return None
    match = SOLUTION_FIRST_LINE.match(cell["source"].splitlines()[0])
    return int(match.group(1)) if match else None


def solution_cells(nb) -> list[tuple[int, int]]:
    """(cell index, exercise number) of every code solution cell of a course notebook."""
    return [(i, n) for i, c in enumerate(nb.cells) if (n := exercise_of(c)) is not None]


def mark_text_solutions(source: str) -> str:
    """Put each <details><summary>Solution ...</summary> ... </details> block of a markdown
    cell between nbgrader's solution delimiters (generate_assignment replaces it with a stub)."""
    lines, out, inside = source.split("\n"), [], False
    for line in lines:
        if not inside and line.lstrip().startswith("<details><summary>Solution"):
            out.append(BEGIN_SOLUTION)
            inside = True
        out.append(line)
        if inside and line.strip().endswith("</details>"):
            out.append(END_SOLUTION)
            inside = False
    if inside:
        raise ValueError(f"a <details> solution block is not closed by </details>:\n{source}")
    return "\n".join(out)


def load_checks(path: Path = CHECKS) -> dict:
    """checks.yml as {notebook name: {exercise number: {"points", "check", "hidden"}}}."""
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    data.pop("ungraded", None)
    return {name: {int(n): spec for n, spec in ex.items()} for name, ex in data.items()}


def is_nbgrader(nb) -> bool:
    return any("nbgrader" in c.metadata for c in nb.cells)


def check_cell(name: str, n: int, spec: dict):
    if not isinstance(spec.get("points"), int) or not spec.get("check"):
        raise ValueError(f"checks.yml: {name} exercise {n} needs integer `points` and a `check`")
    source = CHECK_FIRST_LINE.format(n=n) + "\n" + spec["check"].rstrip()
    if spec.get("hidden"):
        source += f"\n{BEGIN_HIDDEN}\n{spec['hidden'].rstrip()}\n{END_HIDDEN}"
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata.update(
        deletable=False,
        editable=False,
        nbgrader={
            "grade": True,
            "grade_id": f"exercise_{n}_check",
            "locked": True,
            "points": spec["points"],
            "schema_version": 3,
            "solution": False,
            "task": False,
        },
    )
    return cell


def to_source(nb, name: str, checks: dict):
    """An nbgrader source notebook from a course notebook (a copy; `nb` is not changed)."""
    nb = copy.deepcopy(nb)
    own = checks.get(name, {})
    found = {n for _, n in solution_cells(nb)}
    unknown = sorted(set(own) - found)
    if unknown:
        raise ValueError(
            f"checks.yml: {name} has checks for exercises {unknown} without a solution cell"
        )
    last_cell = {n: i for i, n in solution_cells(nb)}  # a check goes after the exercise's last cell
    cells, seen = [], {}
    for i, cell in enumerate(nb.cells):
        n = exercise_of(cell)
        if cell["cell_type"] == "markdown" and "<details><summary>Solution" in cell.source:
            cell.source = mark_text_solutions(cell.source)
        if n is None:
            cells.append(cell)
            continue
        first, _, body = cell.source.partition("\n")
        cell.source = f"{first}\n{BEGIN_SOLUTION}\n{body}\n{END_SOLUTION}"
        seen[n] = seen.get(n, 0) + 1
        # Shown unfolded to the learner (the course folds solutions), and not tagged as one.
        cell.metadata.pop("jupyter", None)
        tags = [t for t in cell.metadata.get("tags", []) if t != "hide-cell"]
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
        suffix = "" if seen[n] == 1 else f"_{seen[n]}"
        cell.metadata["nbgrader"] = {
            "grade": False,
            "grade_id": f"exercise_{n}_solution{suffix}",
            "locked": False,
            "schema_version": 3,
            "solution": True,
            "task": False,
        }
        cells.append(cell)
        if n in own and last_cell[n] == i:
            cells.append(check_cell(name, n, own[n]))
    nb.cells = cells
    return nb


# --- running nbgrader ------------------------------------------------------------------


def _api(course: Path):
    """nbgrader's API on the course directory `course`, kernels on this Python."""
    from jupyter_client.manager import AsyncKernelManager
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        Execute,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )
    from traitlets import default
    from traitlets.config import Config

    sys.path.insert(0, str(ROOT / "tools"))
    from execute_notebooks import CurrentPythonKernelSpecs

    class CurrentPythonAsyncKernelManager(AsyncKernelManager):
        """Start this Python's kernel, whatever "python3" kernelspec the machine has."""

        @default("kernel_spec_manager")
        def _current_python_specs(self):
            return CurrentPythonKernelSpecs()

    class CurrentPythonExecute(Execute):
        def __init__(self, **kwargs):
            kwargs["kernel_manager_class"] = CurrentPythonAsyncKernelManager
            super().__init__(**kwargs)

    # nbgrader runs the `alembic` command of its environment to set up the gradebook.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.course_id = "nmf-teach"
    config.Execute.timeout = 300  # seconds per cell
    # Text solutions are solution regions in ordinary (ungraded) markdown cells.
    config.ClearSolutions.enforce_metadata = False
    config.Autograde.autograde_preprocessors = [
        CurrentPythonExecute,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    return NbGraderAPI(CourseDirectory(config=config), config=config)


def _run(result: dict, what: str) -> None:
    if not result["success"]:
        raise RuntimeError(f"nbgrader failed to {what}:\n{result['log']}\n{result.get('error')}")


NBGRADER_CONFIG = """\
# nbgrader course directory of nmf-teach, written by tools/assignments.py (make assignments).
# source/<notebook>/<notebook>.ipynb: the notebooks with solutions and check cells
# (built from notebooks/ and assignments/checks.yml: edit those, not these);
# gradebook.db: the assignments as nbgrader recorded them.
# Grade with `make grade SUBMISSIONS=DIR`, or with nbgrader itself from this folder.
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "nmf-teach"
"""


def build(out: Path = OUT, paths: list[Path] | None = None) -> list[Path]:
    """Write the autograder (nbgrader course directory) and the student notebooks."""
    paths = paths or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    checks = load_checks()
    missing = sorted(set(checks) - {p.stem for p in NOTEBOOKS.glob("*.ipynb")})
    if missing:
        raise ValueError(f"checks.yml names notebooks that do not exist: {missing}")
    course, student = out / "autograder", out / "student"
    for folder in (course, student):
        shutil.rmtree(folder, ignore_errors=True)
    student.mkdir(parents=True)
    (course / "source").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(NBGRADER_CONFIG, encoding="utf-8")
    for path in paths:
        nb = to_source(nbformat.read(path, as_version=4), path.stem, checks)
        nb.cells.insert(1, nbformat.v4.new_markdown_cell(STUDENT_INTRO))
        target = course / "source" / path.stem / path.name
        target.parent.mkdir()
        nbformat.write(nb, target)
    api = _api(course)
    written = []
    for path in paths:
        _run(api.generate_assignment(path.stem, force=True, create=True), f"generate {path.stem}")
        released = course / "release" / path.stem / path.name
        shutil.copy(released, student / path.name)
        written.append(student / path.name)
    shutil.rmtree(course / "release")
    print(f"{len(written)} student notebooks in {student}, autograder in {course}")
    return written


def submissions_in(folder: Path) -> dict[str, list[Path]]:
    """{student: notebooks}: DIR/*.ipynb is student "submission", DIR/<name>/*.ipynb is <name>."""
    found = {}
    top = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if top:
        found["submission"] = top
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        nbs = sorted(sub.glob("[0-9][0-9]_*.ipynb"))
        if nbs:
            found[sub.name] = nbs
    return found


def grade(
    submissions: Path, autograder: Path = OUT / "autograder", keep: Path | None = None
) -> Path:
    """Autograde every notebook in `submissions`; write and return submissions/grades.csv.

    With `keep`, the graded notebooks (executed, with each check's output or error) are
    copied to keep/<student>/<notebook>.ipynb, to show a learner what failed.
    """
    from nbgrader.api import Gradebook

    if not (autograder / "gradebook.db").exists():
        raise FileNotFoundError(f"no autograder in {autograder}: run `make assignments` first")
    found = submissions_in(submissions)
    if not found:
        raise ValueError(f"no notebooks NN_name.ipynb in {submissions} or its subfolders")
    checks = load_checks()
    assignments = {p.name for p in (autograder / "source").iterdir()}
    # The learner's kernel settings, not the test suite's strict ones.
    os.environ.pop("NMF_TEACH_STRICT", None)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    rows = []
    with tempfile.TemporaryDirectory(prefix="nmf-teach-grading-") as tmp:
        course = Path(tmp) / "course"
        shutil.copytree(autograder, course)
        api = _api(course)
        for student, paths in found.items():
            for path in paths:
                if path.stem not in assignments:
                    print(f"skipping {path}: no assignment of that name")
                    continue
                nb = nbformat.read(path, as_version=4)
                if not is_nbgrader(nb):  # a course notebook: its solutions are the answers
                    nb = to_source(nb, path.stem, checks)
                target = course / "submitted" / student / path.stem / path.name
                target.parent.mkdir(parents=True)
                nbformat.write(nb, target)
                print(f"grading {student}: {path.name}", flush=True)
                _run(api.autograde(path.stem, student, force=True, create=True), f"grade {path}")
                if keep is not None:
                    graded = course / "autograded" / student / path.stem / path.name
                    (keep / student).mkdir(parents=True, exist_ok=True)
                    shutil.copy(graded, keep / student / path.name)
                with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
                    result = gb.find_submission_notebook(path.stem, path.stem, student)
                    rows.append(
                        {
                            "student": student,
                            "notebook": path.stem,
                            "score": round(result.score, 6),
                            "max_score": round(result.max_score, 6),
                        }
                    )
    out = submissions / "grades.csv"
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["student", "notebook", "score", "max_score"])
        writer.writeheader()
        writer.writerows(rows)
    total = sum(r["score"] for r in rows), sum(r["max_score"] for r in rows)
    print(f"wrote {out}: {len(rows)} notebooks, {total[0]:g} of {total[1]:g} points")
    return out


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser("build", help="student notebooks and autograder")
    b.add_argument("--out", type=Path, default=OUT)
    b.add_argument("notebooks", nargs="*", type=Path, help="default: every course notebook")
    g = commands.add_parser("grade", help="grade a folder of submitted notebooks")
    g.add_argument("submissions", type=Path)
    g.add_argument("--autograder", type=Path, default=OUT / "autograder")
    g.add_argument("--keep", type=Path, help="copy the graded notebooks to this folder")
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.out, [p.resolve() for p in args.notebooks] or None)
    else:
        grade(args.submissions, args.autograder, args.keep)


if __name__ == "__main__":
    main(sys.argv[1:])
