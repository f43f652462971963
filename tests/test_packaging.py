"""Consistency checks between the ways of installing and running the course.

pyproject.toml (pip / `make`) and environment.yml (conda / Binder) must list
the same runtime and course packages; the course extra stays a learner's install
and the test extra contains it; the Makefile installs each where it should; the
CI script and the README must use the two documented commands; committed
notebooks must be runnable by nbval.
"""

import json
import os
import re
import shutil
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

# Conda packages that are on no list of pyproject.toml.
CONDA_NOT_ON_PYPI = {"python", "pip", "openjdk"}  # openjdk: Java for Spark, not on PyPI
# conda-forge name -> PyPI name, where they differ beyond "-" against "_" (none so far).
CONDA_TO_PYPI: dict[str, str] = {}
# The test and website toolchain: `make test` needs it, a learner does not.
NOT_FOR_LEARNERS = {
    "pytest", "hypothesis", "nbval", "ruff", "jupyter-book", "sphinx-mathjax-offline",
    "playwright", "pyyaml", "tomli",
}  # fmt: skip

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


def _extra(pyproject: dict, name: str) -> list[str]:
    """The requirements of an extra, with ``nmf_teach[a,b]`` replaced by those extras' own."""
    requirements = []
    for text in pyproject["project"]["optional-dependencies"][name]:
        match = re.fullmatch(r"nmf[-_]teach\[([\w,\s-]+)\]", text.strip())
        if match:
            for inner in match.group(1).split(","):
                requirements += _extra(pyproject, inner.strip())
        else:
            requirements.append(text)
    return requirements


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
    learner = {_split(r)[0] for r in _extra(pyproject, "course") + _extra(pyproject, "spark")}
    conda_runtime = {
        name: spec
        for name, spec in conda.items()
        if name not in CONDA_NOT_ON_PYPI and name not in learner
    }
    assert set(conda_runtime) == set(pip_runtime)
    assert conda_runtime == pip_runtime, "version bounds differ between the two files"


def test_environment_yml_installs_the_course_and_spark_extras(pyproject, conda_env):
    """Binder builds from environment.yml: it must hold what `pip install "nmf_teach[course,
    spark]"` adds to the runtime packages, with the same bounds, and no test tools."""
    conda = _conda_packages(conda_env)
    learner = dict(_split(r) for r in _extra(pyproject, "course") + _extra(pyproject, "spark"))
    for name, spec in learner.items():
        assert name in conda, f"{name} (course/spark extra) is missing from environment.yml"
        assert conda[name].lstrip("=") == spec.lstrip("="), f"{name}: bounds differ"
    runtime = {_split(r)[0] for r in pyproject["project"]["dependencies"]}
    extra_in_conda = set(conda) - runtime - set(learner) - CONDA_NOT_ON_PYPI
    assert not extra_in_conda, f"environment.yml has packages no extra lists: {extra_in_conda}"


def test_course_extra_is_a_learners_install(pyproject):
    """`make course` installs [course]: JupyterLab, a kernel, RISE, Surprise, not the toolchain."""
    course = {_split(r)[0] for r in _extra(pyproject, "course")}
    assert {"jupyterlab", "ipykernel", "jupyterlab-rise", "scikit-surprise"} <= course
    assert not course & NOT_FOR_LEARNERS, course & NOT_FOR_LEARNERS
    assert "pyspark" not in course  # about 500 MB: only with SPARK=1 or the spark extra


def test_test_extra_contains_the_course_and_spark_extras(pyproject):
    """`make test` runs every notebook: it needs all a learner has, with the same bounds.
    (The Makefile relies on this when an install of [test] also stamps [course].)"""
    test = dict(_split(r) for r in _extra(pyproject, "test"))
    for text in _extra(pyproject, "course") + _extra(pyproject, "spark"):
        name, spec = _split(text)
        assert test.get(name) == spec, f"{text} is not in the test extra"


def _make_dry_run(*arguments: str) -> list[str]:
    """The commands `make -n` would run, for a venv that does not exist yet. (Under `make
    test` this runs inside make: without its variables, the inner make prints only commands.)"""
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", "VENV=build/no-such-venv", *arguments],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return result.stdout.splitlines()


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_course_installs_the_course_extra_and_serves_the_repository_root():
    commands = _make_dry_run("course")
    installs = [c for c in commands if " install " in c and " -e " in c]
    assert installs == [
        'build/no-such-venv/bin/pip install --no-compile -c constraints.txt -e ".[course]"'
    ]
    (lab,) = [c for c in commands if "jupyter lab" in c]
    assert f'--ServerApp.root_dir="{ROOT}"' in lab
    # Jupyter refuses to start as root without --allow-root (containers, Codespaces).
    assert ("--allow-root" in lab.split()) == (os.getuid() == 0)
    spark = [c for c in _make_dry_run("course", "SPARK=1") if " -e " in c]
    assert spark[0].endswith('-e ".[course,spark]"')


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_test_installs_the_test_extra_and_stamps_the_course_too():
    commands = _make_dry_run("test")
    installs = [c for c in commands if " -e " in c]
    assert installs[0].endswith('-e ".[test]"')
    touch = commands[commands.index(installs[0]) + 1].split()
    assert touch[0] == "touch"
    assert {Path(t).name for t in touch[1:]} == {
        ".installed-test", ".installed-course", ".installed-course+spark"
    }  # fmt: skip
    # Upgrades an existing venv in place: python -m venv only when there is none.
    assert commands[0].startswith("test -x build/no-such-venv/bin/python || ")


def test_ci_runs_make_test():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert script.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in script
    commands = [line.strip() for line in script.splitlines() if not line.strip().startswith("#")]
    assert "make test" in commands
    # after it, the course from the built wheel alone (tools/check_wheel.py)
    assert commands.index("make check-wheel") > commands.index("make test")


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
    for extra in ("course", "test"):
        assert dict(_split(r) for r in _extra(pyproject, extra))["scikit-surprise"] == "==1.1.5"
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
    extras = [r for name in project["optional-dependencies"] for r in _extra(pyproject, name)]
    for text in project["dependencies"] + extras:
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
