"""Re-execute course notebooks in place, the way nbval will re-run them.

Runs each notebook top to bottom in a fresh kernel (working directory: the
notebook's folder) of the Python running this script (`sys.executable`, as
nbval's --nbval-current-env does), whatever "python3" kernelspec the machine
has installed, with the environment `make test` uses, then removes the
per-cell execution timestamps that nbconvert records, so that a re-run changes
only what really changed.

    python tools/execute_notebooks.py notebooks/05_learning_u_and_v.ipynb ...
    python tools/execute_notebooks.py            # every notebook in notebooks/
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import ipykernel.kernelspec
import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from traitlets import default

ROOT = Path(__file__).resolve().parents[1]


class CurrentPythonKernelSpecs(KernelSpecManager):
    """Every kernel name means this Python's kernel: ``sys.executable -m ipykernel_launcher``."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(
            resource_dir=ipykernel.kernelspec.RESOURCES, **ipykernel.kernelspec.get_kernel_dict()
        )


class CurrentPythonKernelManager(KernelManager):
    """A kernel manager that starts this Python's kernel (see CurrentPythonKernelSpecs)."""

    @default("kernel_spec_manager")
    def _current_python_specs(self) -> KernelSpecManager:
        return CurrentPythonKernelSpecs()


def run(path: Path, timeout: int = 120) -> nbformat.NotebookNode:
    """The notebook at ``path`` executed in a fresh kernel of this Python (not saved)."""
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        kernel_manager_class=CurrentPythonKernelManager,
        resources={"metadata": {"path": path.parent}},
    ).execute()
    return notebook


def execute(path: Path) -> None:
    notebook = run(path)
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
