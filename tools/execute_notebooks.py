"""Re-execute course notebooks in place, the way nbval will re-run them.

Runs each notebook top to bottom in a fresh kernel (working directory: the
notebook's folder), with the environment `make test` uses, then removes the
per-cell execution timestamps that nbconvert records, so that a re-run changes
only what really changed.

    python tools/execute_notebooks.py notebooks/05_learning_u_and_v.ipynb ...
    python tools/execute_notebooks.py            # every notebook in notebooks/
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def execute(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": path.parent}}
    ).execute()
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(notebook, path)


def main(arguments: list[str]) -> None:
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    paths = [Path(a) for a in arguments] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    for path in paths:
        print(f"executing {path}", flush=True)
        execute(path)


if __name__ == "__main__":
    main(sys.argv[1:])
