"""Where a result file came from: every benchmark writes its CSV through :func:`write_csv`.

It appends the same columns to every row: the machine (processor and number of
cores), the versions of Python and of the libraries the benchmarks use, and the
git commit of the repository (with ``+dirty`` when the code in ``nmf_teach/`` or
``benchmarks/`` differed from it).
Timings are only comparable between rows that share these columns.
"""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
LIBRARIES = ["numpy", "pandas", "numba", "scikit-surprise", "scikit-learn", "pyspark", "nmf_teach"]


def _processor() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _commit() -> str:
    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip() if out.returncode == 0 else ""

    commit = git("rev-parse", "--short=12", "HEAD") or "unknown"
    code = ["nmf_teach/*.py", "benchmarks/*.py"]  # the code that ran; prose does not count
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", *code)
    return commit + ("+dirty" if dirty else "")


def provenance() -> dict[str, str]:
    """The columns :func:`write_csv` adds: machine, Python and library versions, commit."""
    columns = {
        "machine": f"{_processor()}, {os.cpu_count()} cores, {platform.system()}",
        "python": platform.python_version(),
    }
    for name in LIBRARIES:
        try:
            columns[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            columns[name] = "not installed"
    columns["commit"] = _commit()
    return columns


def write_csv(frame: pd.DataFrame, path: Path, **to_csv: object) -> None:
    """Write ``frame`` to ``path`` with the provenance columns appended to every row."""
    columns = provenance()
    clash = sorted(set(columns) & set(frame.columns))
    if clash:
        raise ValueError(f"the results already have provenance column(s) {clash}: rename them")
    stamped = frame.assign(**columns)
    path.parent.mkdir(parents=True, exist_ok=True)
    stamped.to_csv(path, index=False, **to_csv)
