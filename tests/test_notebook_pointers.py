"""The package's docstrings point to the notebooks that explain it, and those pointers hold.

CONTRIBUTING.md asks every docstring to name the notebook that explains the
function, and the notebook to name the function. These tests catch a pointer
left dangling by a renumbered notebook or a renamed section.
"""

import json
import re
from pathlib import Path

import pytest

import nmf_teach
from nmf_teach import biased_nmf

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_PATH = re.compile(r"notebooks/\d{2}_[a-z0-9_]+\.ipynb")


def notebook_cells(relative_path: str) -> list[dict]:
    return json.loads((ROOT / relative_path).read_text(encoding="utf-8"))["cells"]


def section(cells: list[dict], heading: str) -> list[dict]:
    """The cells from the markdown heading ``heading`` to the next heading of the same level."""
    for start, cell in enumerate(cells):
        first_line = "".join(cell["source"]).split("\n", 1)[0]
        if cell["cell_type"] == "markdown" and first_line.lstrip("#").strip() == heading:
            level = len(first_line) - len(first_line.lstrip("#"))
            end = start + 1
            while end < len(cells):
                line = "".join(cells[end]["source"]).split("\n", 1)[0]
                hashes = len(line) - len(line.lstrip("#"))
                if cells[end]["cell_type"] == "markdown" and 0 < hashes <= level:
                    break
                end += 1
            return cells[start:end]
    raise AssertionError(f"no markdown heading {heading!r}")


@pytest.mark.parametrize(
    "module", sorted(Path(nmf_teach.__file__).parent.glob("*.py")), ids=lambda p: p.name
)
def test_every_notebook_a_docstring_names_exists(module):
    text = module.read_text(encoding="utf-8")
    missing = [p for p in sorted(set(NOTEBOOK_PATH.findall(text))) if not (ROOT / p).is_file()]
    assert not missing, f"{module.name} points to notebooks that do not exist: {missing}"


def test_biased_nmf_points_to_the_from_scratch_section_and_back():
    docs = " ".join((biased_nmf.__doc__ + biased_nmf.BiasedNMF.__doc__).split())
    path = "notebooks/10_making_nmf_competitive.ipynb"
    heading = "Building the fit from scratch"
    assert path in docs and f'section "{heading}"' in docs
    cells = section(notebook_cells(path), heading)
    text = "\n".join("".join(cell["source"]) for cell in cells)
    assert "nmf_teach.biased_nmf.BiasedNMF" in text  # the notebook names the class it rebuilds
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "BiasedNMF(" in code and "assert_allclose" in code  # fitted and compared, not just named
    assert "np.diff(J) <= 0" in code  # the objective is checked to never increase
