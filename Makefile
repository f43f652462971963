# nmf-teach: one-command setup, course, tests, book and benchmarks.
#
#   make course   # set up .venv and open the course in JupyterLab
#   make test     # set up .venv and run every test (lint, unit, property, parity, nbval)
#
# Everything runs from a project-local virtual environment ($(VENV)), created on
# first use and refreshed whenever pyproject.toml changes.

PYTHON ?= python3
VENV ?= .venv
JUPYTER_ARGS ?=
# Pinned versions for `make install` (empty: install the newest allowed versions).
CONSTRAINTS ?= constraints.txt

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Test paths: notebooks/ only if it exists (git does not track empty folders);
# nmf_teach/ for the examples in its docstrings (--doctest-modules).
PYTEST_PATHS := tests nmf_teach $(wildcard notebooks)
# Notebooks run in strict nbval mode: every stored output must be reproduced.
# --nbval-current-env runs them on the kernel of this venv's Python, whatever
# other "python3" kernelspecs the machine may have.
PYTEST_ARGS ?= $(PYTEST_PATHS) --doctest-modules --nbval --nbval-current-env \
	--nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider

.DEFAULT_GOAL := help
.PHONY: help install constraints course test lint format bench book clean distclean

help:
	@echo "make course     set up $(VENV) and open the course in JupyterLab"
	@echo "make test       set up $(VENV) and run every test (ruff, pytest, nbval)"
	@echo "make lint       ruff check + ruff format --check"
	@echo "make format     ruff format + ruff check --fix"
	@echo "make bench      run the benchmarks (benchmarks/run_all.py)"
	@echo "make book       build the website into book/_build/html"
	@echo "make clean      remove build outputs and caches (distclean: also $(VENV))"
	@echo "make constraints  re-pin constraints.txt to the newest versions pyproject.toml allows"

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/pip install $(if $(CONSTRAINTS),-c $(CONSTRAINTS)) -e ".[test]"
	touch $@

# Refresh the pins: install the newest versions pyproject.toml allows into a
# fresh temporary venv, and freeze them (the package itself excluded). Review
# the diff, run `make test`, and commit constraints.txt with the change.
CONSTRAINTS_VENV := build/constraints-venv
constraints:
	rm -rf $(CONSTRAINTS_VENV)
	$(PYTHON) -m venv $(CONSTRAINTS_VENV)
	$(CONSTRAINTS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CONSTRAINTS_VENV)/bin/pip install --quiet -e ".[test]"
	{ sed -n '/^# Python [0-9]/!{/^#/p}' constraints.txt; \
	  echo "# Python $$($(CONSTRAINTS_VENV)/bin/python -c 'import sys; print(sys.version[:4])')"; \
	  $(CONSTRAINTS_VENV)/bin/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf $(CONSTRAINTS_VENV)

install: $(STAMP)

# Opens at the repository root (notebooks/, nmf_teach/ and benchmarks/ all
# browsable). Jupyter refuses to run as root unless told: containers,
# Codespaces and many VMs run as root, so say it when we are.
course: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(if $(filter 0,$(shell id -u)),--allow-root) $(JUPYTER_ARGS)

# Non-GUI matplotlib for tests. Not plain "Agg": the notebook kernels inherit
# this variable, and under Agg plt.show() emits no output, so notebooks saved
# from JupyterLab (inline backend) would fail nbval. The inline backend renders
# with Agg, opens no window, and is what ipykernel itself selects by default.
test: export MPLBACKEND := module://matplotlib_inline.backend_inline
test: export PYTHONHASHSEED := 0
# Numbers the notebooks' text quotes are checked strictly here (nmf_teach.stored_run);
# in a learner's kernel a moved number only prints a note.
test: export NMF_TEACH_STRICT := 1
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Regenerates every file in benchmarks/results, each by its own script (about an
# hour on 2 cores, most of it scale.py); each CSV records the machine, the library
# versions and the commit it came from (benchmarks/_provenance.py). Notebooks show
# timings from these files in cells that nbval does not compare (nbval-ignore-output).
bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py
	$(BIN)/python benchmarks/openmp_wait.py
	$(BIN)/python benchmarks/tuning_log.py
	$(BIN)/python benchmarks/tuning_curves.py
	$(BIN)/python benchmarks/implicit_topn.py --tune
	$(BIN)/python benchmarks/implicit_topn.py
	$(BIN)/python benchmarks/spark_convergence.py
	$(BIN)/python benchmarks/scale.py

# Every page is re-read (--all), so every warning is reported on every run and
# docstring changes reach the API page; any warning fails the build (nit-picky
# cross-references are on in book/_config.yml). tests/test_book.py builds the
# same way into a temporary folder and checks every page in a browser.
book: $(STAMP)
	$(BIN)/jupyter-book build book --all --warningiserror --keep-going
	@echo "Website: book/_build/html/index.html"

clean:
	rm -rf book/_build build dist .pytest_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o -type d \
		\( -name __pycache__ -o -name .ipynb_checkpoints \) -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)

# Assignments (nbgrader; tools/assignments.py, book/instructors.md): student notebooks in
# assignments/student/ and the autograder in assignments/autograder/, both built from the
# course notebooks' solution cells and assignments/checks.yml (git-ignored build outputs,
# rebuilt when those change). `make grade` grades with the autograder of the same sources.
.PHONY: assignments grade help-assignments
help: help-assignments
help-assignments:
	@echo "make assignments  student notebooks and autograder in assignments/ (nbgrader)"
	@echo "make grade SUBMISSIONS=DIR  grade the notebooks in DIR, write DIR/grades.csv"

AUTOGRADER := assignments/autograder/gradebook.db
$(AUTOGRADER): $(STAMP) $(wildcard notebooks/[0-9]*.ipynb) assignments/checks.yml tools/assignments.py
	$(BIN)/python tools/assignments.py build || { rm -f $@; exit 1; }

assignments: $(AUTOGRADER)

grade: $(AUTOGRADER)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=DIR"; exit 2; }
	$(BIN)/python tools/assignments.py grade "$(SUBMISSIONS)"
