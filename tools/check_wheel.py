"""Check that the course runs from the built wheel alone, outside the repository (as on Colab).

1. makes a fresh venv in a temporary folder (only this script's Python is needed, not .venv);
2. builds the wheel with that venv's pip (``pip wheel --no-deps``) from a copy of the files
   git tracks, so no ``build/`` or untracked file of the working tree can slip into it;
   installs ``nmf_teach[course]`` from the wheel with constraints.txt, as ``make course``
   does (``--no-compile``), and measures the venv with ``du`` (the course's budget:
   --max-course-mb, 800 MiB);
3. adds the spark extra (``nmf_teach[course,spark]``, what notebook 16 needs);
4. copies notebooks/[0-9]*.ipynb into an empty folder and executes each, top to bottom, in a
   fresh kernel of that venv (nbclient from the venv itself), as a learner's plain kernel:
   no NMF_TEACH_STRICT, no PYTHONPATH, the notebook's folder as working directory.

A notebook passes when every cell runs and no cell prints the stored-run note of
``nmf_teach.stored_run.check_stored`` (nothing was changed, so a number that moved means
the installed package does not behave as the repository's). Prints one line per notebook
and exits non-zero if the venv is too big or any notebook fails.

    python tools/check_wheel.py              # every notebook (make check-wheel)
    python tools/check_wheel.py 07 16        # only the notebooks whose names start so
    python tools/check_wheel.py --keep       # keep the temporary folder to look inside
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STORED_RUN_NOTE = "Note: the text was written for the stored run"

# Executed by the fresh venv's Python, in the notebooks' folder: runs one notebook in a
# kernel of that same Python, whatever "python3" kernelspec the machine has (as
# tools/execute_notebooks.py does), and prints a one-line verdict.
RUNNER = """
import sys
from pathlib import Path

import ipykernel.kernelspec
import nbformat
import nmf_teach
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets import default


class Specs(KernelSpecManager):
    def get_kernel_spec(self, kernel_name):
        return KernelSpec(
            resource_dir=ipykernel.kernelspec.RESOURCES, **ipykernel.kernelspec.get_kernel_dict()
        )


class Manager(KernelManager):
    @default("kernel_spec_manager")
    def _specs(self):
        return Specs()


package = Path(nmf_teach.__file__).resolve()
if not package.is_relative_to(Path(sys.prefix).resolve()):
    sys.exit(f"FAIL nmf_teach imported from {package}, not from the venv {sys.prefix}")
path = Path(sys.argv[1])
notebook = nbformat.read(path, as_version=4)
try:
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", kernel_manager_class=Manager,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
except CellExecutionError as error:
    lines = [line for line in str(error).splitlines() if line.strip()]
    sys.exit("FAIL " + (lines[-1] if lines else "cell error")[:300])
finally:
    nbformat.write(notebook, path)
notes = [
    text
    for cell in notebook.cells if cell.cell_type == "code"
    for output in cell.get("outputs", [])
    for text in [output.get("text", "")] if isinstance(text, str) and sys.argv[2] in text
]
if notes:
    sys.exit(f"FAIL {len(notes)} stored-run note(s): " + notes[0].strip()[:300])
print("PASS")
"""


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(str(c) for c in command), flush=True)
    return subprocess.run(command, check=True, **kwargs)


def tracked_copy(destination: Path) -> Path:
    """Copy the files git tracks (working-tree contents) into ``destination``."""
    listing = run(
        ["git", "ls-files", "-z", "--cached"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    for name in filter(None, listing.split("\0")):
        source = ROOT / name
        if source.is_file():  # tracked but deleted in the working tree: left out
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def build_wheel(work: Path, python: Path) -> Path:
    source = tracked_copy(work / "source")
    dist = work / "dist"
    run([str(python), "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), "."],
        cwd=source)  # fmt: skip
    (wheel,) = dist.glob("nmf_teach-*.whl")
    return wheel


def size_mib(folder: Path) -> float:
    """Disk usage as `du -sh` reports it (MiB)."""
    out = run(["du", "-sk", str(folder)], capture_output=True, text=True).stdout
    return int(out.split()[0]) / 1024


def clean_environment() -> dict[str, str]:
    """A learner's environment: nothing that points back into this repository or .venv, and
    Python writes its bytecode caches as usual (so the size after the run is a learner's)."""
    env = dict(os.environ)
    for name in (
        "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "MPLBACKEND", "NMF_TEACH_STRICT",
        "PYTHONDONTWRITEBYTECODE",
    ):  # fmt: skip
        env.pop(name, None)
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prefixes", nargs="*", help="only notebooks whose names start so")
    parser.add_argument("--constraints", default=str(ROOT / "constraints.txt"),
                        help="pins for the install ('' for none)")  # fmt: skip
    parser.add_argument("--max-course-mb", type=float, default=800.0,
                        help="largest allowed size of the course venv, in MiB")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    notebooks = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    if args.prefixes:
        notebooks = [p for p in notebooks if p.name.startswith(tuple(args.prefixes))]
    if not notebooks:
        print("no notebook to run", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="nmf-teach-wheel-"))
    print(f"working in {work}", flush=True)
    try:
        venv = work / "venv"
        python = venv / "bin" / "python"
        pins = ["-c", str(Path(args.constraints).resolve())] if args.constraints else []
        run([sys.executable, "-m", "venv", str(venv)])
        run([str(python), "-m", "pip", "install", "--quiet", "--no-compile", "--upgrade", "pip"])
        wheel = build_wheel(work, python)
        install = [str(python), "-m", "pip", "install", "--quiet", "--no-compile", *pins]
        run([*install, f"{wheel}[course]"])
        course_mib = size_mib(venv)
        run([*install, f"{wheel}[course,spark]"])
        with_spark_mib = size_mib(venv)

        folder = work / "notebooks"  # empty but for the copies: no nmf_teach/, no benchmarks/
        folder.mkdir()
        runner = work / "run_notebook.py"
        runner.write_text(RUNNER, encoding="utf-8")
        results = []
        for source in notebooks:
            copy = folder / source.name
            shutil.copy2(source, copy)
            start = time.perf_counter()
            done = subprocess.run(
                [str(python), str(runner), str(copy), STORED_RUN_NOTE],
                cwd=folder, env=clean_environment(), capture_output=True, text=True,
            )  # fmt: skip
            seconds = time.perf_counter() - start
            lines = (done.stdout + done.stderr).strip().splitlines()
            verdicts = [line for line in lines if line.startswith(("PASS", "FAIL"))]
            fallback = f"FAIL exit {done.returncode}: " + (lines[-1] if lines else "")
            verdict = verdicts[-1] if verdicts else fallback
            ok = done.returncode == 0 and verdict == "PASS"
            results.append((source.name, ok))
            print(f"{source.name:40s} {verdict if ok else verdict[:400]}  ({seconds:.0f} s)",
                  flush=True)  # fmt: skip

        venv_after_mib = size_mib(venv)
        too_big = course_mib > args.max_course_mb
        print()
        print(f"wheel: {wheel.name}")
        print(f"venv with nmf_teach[course]: {course_mib:.0f} MiB (du -sk; budget "
              f"{args.max_course_mb:.0f} MiB){'  TOO BIG' if too_big else ''}")  # fmt: skip
        print(f"venv with nmf_teach[course,spark]: {with_spark_mib:.0f} MiB; "
              f"after running the notebooks: {venv_after_mib:.0f} MiB")  # fmt: skip
        failed = [name for name, ok in results if not ok]
        print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
        return 1 if failed or too_big else 0
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
