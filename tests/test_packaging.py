"""Consistency checks between the ways of installing and running the course.

pyproject.toml (pip / `make`) and environment.yml (conda / Binder) must list
the same runtime packages; the CI script and the README must use the two
documented commands; committed notebooks must be runnable by nbval.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the test extra installs tomli
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]

# Conda packages that are not runtime dependencies of nmf_teach.
CONDA_NOT_RUNTIME = {"python", "pip", "openjdk"}  # openjdk: Java for Spark, not on PyPI
# Conda packages for the course and the tests; each must be in the `test` extra.
CONDA_TEST_ONLY = {"jupyterlab", "nbval", "scikit-surprise", "pytest", "hypothesis", "pyspark"}
# conda-forge name -> PyPI name, where they differ (none so far).
CONDA_TO_PYPI: dict[str, str] = {}

_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*?)\s*$")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _split(requirement: str) -> tuple[str, str]:
    """'numpy>=1.24' -> ('numpy', '>=1.24'); 'python=3.11' -> ('python', '=3.11')."""
    match = _REQ.match(requirement)
    assert match, f"cannot parse requirement {requirement!r}"
    name, spec = match.groups()
    return _normalize(name), spec.replace(" ", "")


@pytest.fixture(scope="module")
def pyproject() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


@pytest.fixture(scope="module")
def conda_env() -> dict:
    with open(ROOT / "environment.yml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def _conda_packages(conda_env: dict) -> dict[str, str]:
    packages = {}
    for entry in conda_env["dependencies"]:
        if isinstance(entry, str):
            name, spec = _split(entry)
            packages[_normalize(CONDA_TO_PYPI.get(name, name))] = spec
    return packages


def test_environment_yml_basics(conda_env):
    assert conda_env["name"] == "nmf-teach"
    assert conda_env["channels"] == ["conda-forge"]
    pip_sections = [e["pip"] for e in conda_env["dependencies"] if isinstance(e, dict)]
    assert pip_sections == [["-e ."]], "environment.yml must install the package with pip -e ."
    assert _conda_packages(conda_env).get("python") == "=3.11"


def test_runtime_dependencies_match(pyproject, conda_env):
    pip_runtime = dict(_split(r) for r in pyproject["project"]["dependencies"])
    conda = _conda_packages(conda_env)
    conda_runtime = {
        name: spec
        for name, spec in conda.items()
        if name not in CONDA_NOT_RUNTIME | {_normalize(n) for n in CONDA_TEST_ONLY}
    }
    assert set(conda_runtime) == set(pip_runtime)
    assert conda_runtime == pip_runtime, "version bounds differ between the two files"


def test_conda_test_only_packages_are_in_test_extra(pyproject, conda_env):
    test_extra = {_split(r)[0] for r in pyproject["project"]["optional-dependencies"]["test"]}
    conda = _conda_packages(conda_env)
    for name in CONDA_TEST_ONLY:
        assert _normalize(name) in conda, f"{name} missing from environment.yml"
        assert _normalize(name) in test_extra, f"{name} missing from the test extra"


def test_ci_runs_make_test():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert script.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in script
    commands = [line.strip() for line in script.splitlines() if not line.strip().startswith("#")]
    assert "make test" in commands


def test_readme_gives_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make course" in readme
    assert "make test" in readme


NOTEBOOKS = sorted(
    p for p in (ROOT / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_kernel_and_no_errors(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb.get("metadata", {}).get("kernelspec", {}).get("name") == "python3"
    for i, cell in enumerate(nb.get("cells", [])):
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", f"cell {i} has a stored error output"


NO_JIT_SCRIPT = """
import json, sys
import numpy as np
sys.path.insert(0, "tests")
from helpers import random_ratings
from nmf_teach import NMF
from nmf_teach.biased_nmf import BiasedNMF
df = random_ratings(4)
out = {}
for name, model in [
    ("nmf", NMF(n_factors=3, n_epochs=4, random_state=0)),
    ("nmf_biased", NMF(n_factors=3, n_epochs=4, biased=True, random_state=0)),
    ("biased_nmf", BiasedNMF(n_factors=3, n_epochs=3, random_state=0)),
]:
    out[name] = model.fit(df).predict_frame(df).tolist()
print(json.dumps(out))
"""


def test_the_package_runs_without_compilation():
    """With NUMBA_DISABLE_JIT=1 every model fits as plain Python, with the compiled results."""
    from helpers import random_ratings

    from nmf_teach import NMF
    from nmf_teach.biased_nmf import BiasedNMF

    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    result = subprocess.run(
        [sys.executable, "-c", NO_JIT_SCRIPT],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    uncompiled = json.loads(result.stdout.strip().splitlines()[-1])
    df = random_ratings(4)
    compiled = {
        "nmf": NMF(n_factors=3, n_epochs=4, random_state=0),
        "nmf_biased": NMF(n_factors=3, n_epochs=4, biased=True, random_state=0),
        "biased_nmf": BiasedNMF(n_factors=3, n_epochs=3, random_state=0),
    }
    for name, model in compiled.items():
        expected = model.fit(df).predict_frame(df)
        np.testing.assert_allclose(uncompiled[name], expected, rtol=0, atol=1e-12, err_msg=name)


def test_execute_notebooks_runs_the_kernel_of_this_python():
    """tools/execute_notebooks.py must not pick up another environment's "python3" kernelspec."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import execute_notebooks
    finally:
        sys.path.remove(str(ROOT / "tools"))
    manager = execute_notebooks.CurrentPythonKernelManager(kernel_name="python3")
    assert manager.kernel_spec.argv[0] == sys.executable


def test_license_covers_the_shipped_movielens_data(pyproject):
    """The package ships MovieLens (non-commercial terms): its license says so, names the file."""
    project = pyproject["project"]
    assert project["license"] == "MIT AND LicenseRef-MovieLens"
    assert "nmf_teach/data/ml-latest-small/README.txt" in project["license-files"]
    for name in project["license-files"]:
        assert (ROOT / name).is_file(), name
    shipped = pyproject["tool"]["setuptools"]["package-data"]["nmf_teach"]
    assert "data/ml-latest-small/*" in shipped  # the data the LicenseRef is about


def test_both_installs_pin_the_surprise_version_the_parity_tests_compare_with(pyproject, conda_env):
    test_extra = dict(_split(r) for r in pyproject["project"]["optional-dependencies"]["test"])
    assert test_extra["scikit-surprise"] == "==1.1.5"
    assert _conda_packages(conda_env)["scikit-surprise"].lstrip("=") == "1.1.5"


def test_version_comes_from_the_package_metadata(pyproject):
    import nmf_teach

    assert nmf_teach.__version__ == pyproject["project"]["version"]


def test_constraints_pin_every_dependency_within_its_bounds(pyproject):
    """constraints.txt (make install) must pin each requirement of pyproject.toml to an allowed
    version: adding or re-bounding a dependency without `make constraints` fails here."""
    from packaging.requirements import Requirement
    from packaging.version import Version

    lines = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    python = next(line.split()[-1] for line in lines if re.match(r"# Python \d", line))
    pins = {}
    for line in lines:
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[_normalize(name)] = Version(version)
    project = pyproject["project"]
    for text in project["dependencies"] + project["optional-dependencies"]["test"]:
        requirement = Requirement(text)
        if requirement.marker and not requirement.marker.evaluate({"python_version": python}):
            continue  # not needed on the Python the pins are for
        name = _normalize(requirement.name)
        assert name in pins, f"{name} is not in constraints.txt: run make constraints"
        assert pins[name] in requirement.specifier, f"{name}=={pins[name]} violates {text}"


def test_solution_cells_are_folded_in_jupyterlab_too():
    """A code cell the website hides (tag hide-cell / hide-input) is also folded in JupyterLab."""
    open_cells = []
    for path in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for number, cell in enumerate(cells):
            tags = cell.get("metadata", {}).get("tags", [])
            hidden = cell.get("metadata", {}).get("jupyter", {})
            if cell["cell_type"] == "code" and ("hide-cell" in tags or "hide-input" in tags):
                if not hidden.get("source_hidden") or (
                    "hide-cell" in tags and not hidden.get("outputs_hidden")
                ):
                    open_cells.append(f"{path.name} cell {number}")
    assert not open_cells, (
        "set metadata.jupyter.source_hidden (and outputs_hidden for hide-cell) on: "
        + ", ".join(open_cells)
    )
