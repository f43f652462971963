"""Learners change things: every notebook still runs to its end after a change.

The README promises notebooks to "run, change and break". The first thing a learner
changes is a seed or a parameter; the numbers then move, and the notebooks' checks of
the numbers their text quotes (``nmf_teach.stored_run.check_stored``) must print a
note instead of stopping the notebook. Invariants (factors >= 0, the loss never
increases) are plain ``assert`` statements and must hold for any seed.

Each case executes a changed copy of a notebook (kept in memory; nothing is written
to the repository) in a fresh kernel of this Python, working directory
``notebooks/`` (as nbval and ``tools/execute_notebooks.py`` run them), with
``NMF_TEACH_STRICT`` unset, as in a learner's kernel. The outputs are not compared:
the test passes when every cell runs.

The seed change ("every ``random_state=0`` becomes ``random_state=1``") covers every
way the notebooks fix a seed to 0 in code cells: ``random_state=0`` (the package's
models and splitters, Surprise, scikit-learn), ``seed=0`` (``nmf_teach.spark.fit_als``,
helper functions' defaults), ``np.random.default_rng(0)`` and
``np.random.RandomState(0)``, and ``SEED = 0`` where one seed is named because several
cells must share it (notebooks 06, 07). Seeds that are not 0 (loops over ``range(6)`` seeds, a
second seed 1 next to seed 0) and keys of stored benchmark tables (``{"random_state": 0}``
in a JSON string) are left alone: they are not the stored run's seed.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

from nmf_teach.stored_run import STRICT_VARIABLE

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))

# (pattern, replacement): every seed 0 of a code cell becomes seed 1.
SEED_CHANGES = [
    (re.compile(r"\brandom_state=0\b"), "random_state=1"),
    (re.compile(r"\bseed=0\b"), "seed=1"),
    (re.compile(r"\bdefault_rng\(0\)"), "default_rng(1)"),
    (re.compile(r"\bRandomState\(0\)"), "RandomState(1)"),
    (re.compile(r"^SEED = 0\b", re.MULTILINE), "SEED = 1"),
]

# Further changes a learner makes, by notebook: (what, pattern, replacement, stale),
# where stale is text that must no longer appear in any text output (a label typed
# by hand instead of taken from the parameter). The pattern must match in the
# notebook's code, so that a renamed parameter fails here instead of testing nothing.
PARAMETER_CHANGES = {
    "08_movielens_small": [
        (
            "n_factors 15 -> 5",
            re.compile(r"\bNMF\(n_factors=15, random_state=0\)"),
            "NMF(n_factors=5, random_state=0)",
            ["k=15", "k = 15"],
        ),
    ],
}


def _load_executor():
    """tools/execute_notebooks.py: runs a notebook on this Python's kernel."""
    spec = importlib.util.spec_from_file_location(
        "execute_notebooks", ROOT / "tools" / "execute_notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _changed(path: Path, changes) -> tuple[nbformat.NotebookNode, int]:
    """The notebook with every change applied to its code cells, and the number of edits."""
    notebook = nbformat.read(path, as_version=4)
    edits = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for pattern, replacement in changes:
            cell.source, n = pattern.subn(replacement, cell.source)
            edits += n
    return notebook, edits


def _text_outputs(notebook: nbformat.NotebookNode) -> list[str]:
    """Every printed or displayed text of the executed notebook."""
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                texts.append(output.get("text", ""))
            elif "data" in output:
                texts.append(output["data"].get("text/plain", ""))
    return texts


def _run(notebook: nbformat.NotebookNode, monkeypatch) -> list[str]:
    """Execute in a learner's kernel (not strict); return the check_stored notes printed."""
    from nbclient import NotebookClient

    monkeypatch.delenv(STRICT_VARIABLE, raising=False)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    executor = _load_executor()
    NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        kernel_manager_class=executor.CurrentPythonKernelManager,
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
    ).execute()
    return [
        line
        for text in _text_outputs(notebook)
        for line in text.splitlines()
        if line.startswith("Note: the text was written for the stored run")
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_to_its_end_with_seed_1(path, monkeypatch):
    notebook, edits = _changed(path, SEED_CHANGES)
    if edits == 0:
        pytest.skip(f"{path.name} fixes no seed to 0")
    notes = _run(notebook, monkeypatch)
    print(f"{path.name}: {edits} seeds changed, {len(notes)} notes", *notes, sep="\n")


@pytest.mark.parametrize(
    "name, what, pattern, replacement, stale",
    [(name, *change) for name, changes in PARAMETER_CHANGES.items() for change in changes],
    ids=[f"{name}: {c[0]}" for name, changes in PARAMETER_CHANGES.items() for c in changes],
)
def test_notebook_runs_to_its_end_with_a_changed_parameter(
    name, what, pattern, replacement, stale, monkeypatch
):
    path = ROOT / "notebooks" / f"{name}.ipynb"
    notebook, edits = _changed(path, [(pattern, replacement)])
    assert edits > 0, f"{path.name} no longer contains {pattern.pattern!r}: update this test"
    notes = _run(notebook, monkeypatch)
    print(f"{path.name}, {what}: {len(notes)} notes", *notes, sep="\n")
    left = [s for s in stale if any(s in text for text in _text_outputs(notebook))]
    assert not left, f"after {what}, outputs still show {left}: take the label from the parameter"
