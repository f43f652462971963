# nmf-teach: one-command setup, course, tests, book and benchmarks.
#
#   make course   # set up .venv and open the course in JupyterLab
#   make test     # set up .venv and run every test (lint, unit, property, parity, nbval)
#
# Everything runs from a project-local virtual environment ($(VENV)), created on
# first use and refreshed whenever pyproject.toml or constraints.txt changes.
# `make course` installs only the learner's extra ([course]: JupyterLab, Surprise,
# RISE); `make test` installs the [test] extra, which contains it, into the same
# venv (pip adds what is missing, nothing is rebuilt).

PYTHON ?= python3
VENV ?= .venv
JUPYTER_ARGS ?=
# Pinned versions for every install (empty: install the newest allowed versions).
CONSTRAINTS ?= constraints.txt
# `make course SPARK=1` also installs the spark extra (pyspark, for notebook 16).
SPARK ?=

BIN := $(VENV)/bin
comma := ,
# One stamp per set of extras: $(VENV)/.installed-course, -course+spark, -test.
installed = $(VENV)/.installed-$(subst $(comma),+,$(1))
COURSE_EXTRAS := course$(if $(SPARK),$(comma)spark)
COURSE_STAMP := $(call installed,$(COURSE_EXTRAS))
TEST_STAMP := $(call installed,test)

# Test paths: notebooks/ only if it exists (git does not track empty folders);
# nmf_teach/ for the examples in its docstrings (--doctest-modules).
PYTEST_PATHS := tests nmf_teach $(wildcard notebooks)
# Notebooks run in strict nbval mode: every stored output must be reproduced.
# --nbval-current-env runs them on the kernel of this venv's Python, whatever
# other "python3" kernelspecs the machine may have.
PYTEST_ARGS ?= $(PYTEST_PATHS) --doctest-modules --nbval --nbval-current-env \
	--nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider

.DEFAULT_GOAL := help
.PHONY: help install constraints course test check-wheel lint format bench book clean distclean

help:
	@echo "make course     set up $(VENV) and open the course in JupyterLab (SPARK=1: with pyspark)"
	@echo "make test       set up $(VENV) and run every test (ruff, pytest, nbval)"
	@echo "make check-wheel  build the wheel, install it in a fresh venv, run every notebook outside the repo"
	@echo "make lint       ruff check + ruff format --check"
	@echo "make format     ruff format + ruff check --fix"
	@echo "make bench      run the benchmarks (benchmarks/run_all.py)"
	@echo "make book       build the website into book/_build/html"
	@echo "make slides     build a reveal.js deck per notebook into book/_build/slides (needs npm)"
	@echo "make assignments  student notebooks and autograder in assignments/ (nbgrader)"
	@echo "make grade SUBMISSIONS=DIR  grade the notebooks in DIR, write DIR/grades.csv"
	@echo "make clean      remove build outputs and caches (distclean: also $(VENV))"
	@echo "make constraints  re-pin constraints.txt to the newest versions pyproject.toml allows"

# Install the package (editable) with the extras in the stamp's name, "+" for ",":
# .installed-course+spark installs -e ".[course,spark]". An existing venv is
# upgraded in place, never rebuilt. The test extra contains the course and spark
# extras (pyproject.toml; tests/test_packaging.py checks it), so installing it also
# stamps those: a venv made by `make test` serves `make course` as it is.
# --no-compile: pip would write bytecode for every module of every package (about
# 200 MB for the course extra, most of it never imported); Python writes it on
# first import for the modules the course really uses.
$(VENV)/.installed-%: pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-compile --upgrade pip
	$(BIN)/pip install --no-compile $(if $(CONSTRAINTS),-c $(CONSTRAINTS)) -e ".[$(subst +,$(comma),$*)]"
	touch $@ $(if $(filter test,$*),$(call installed,course) $(call installed,course$(comma)spark))

# Refresh the pins: install the newest versions pyproject.toml allows into a
# fresh temporary venv, and freeze them (the package itself excluded). Review
# the diff, run `make test`, and commit constraints.txt with the change.
CONSTRAINTS_VENV := build/constraints-venv
constraints:
	rm -rf $(CONSTRAINTS_VENV)
	$(PYTHON) -m venv $(CONSTRAINTS_VENV)
	$(CONSTRAINTS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CONSTRAINTS_VENV)/bin/pip install --quiet -e ".[test]"  # contains [course] and [spark]
	{ sed -n '/^# Python [0-9]/!{/^#/p}' constraints.txt; \
	  echo "# Python $$($(CONSTRAINTS_VENV)/bin/python -c 'import sys; print(sys.version[:4])')"; \
	  $(CONSTRAINTS_VENV)/bin/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf $(CONSTRAINTS_VENV)

# The full developer's install (everything `make test`, `make book` and `make bench` need).
install: $(TEST_STAMP)

# Opens at the repository root (notebooks/, nmf_teach/ and benchmarks/ all
# browsable). Jupyter refuses to run as root unless told: containers,
# Codespaces and many VMs run as root, so say it when we are.
course: $(COURSE_STAMP)
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
test: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The course from the built wheel alone, outside the repository (as on Colab): a fresh
# venv in a temporary folder gets nmf_teach[course,spark] from the wheel (with the pins),
# and every notebook runs in an empty folder (tools/check_wheel.py; about 10 minutes).
# Needs only $(PYTHON), not $(VENV).
check-wheel:
	$(PYTHON) tools/check_wheel.py $(if $(CONSTRAINTS),--constraints $(CONSTRAINTS),--constraints '')

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(TEST_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Regenerates every file in benchmarks/results, each by its own script (about an
# hour on 2 cores, most of it scale.py); each CSV records the machine, the library
# versions and the commit it came from (benchmarks/_provenance.py). Notebooks show
# timings from these files in cells that nbval does not compare (nbval-ignore-output).
bench: $(TEST_STAMP)
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
book: $(TEST_STAMP)
	$(BIN)/jupyter-book build book --all --warningiserror --keep-going
	@echo "Website: book/_build/html/index.html"

clean:
	rm -rf book/_build build dist .pytest_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o -type d \
		\( -name __pycache__ -o -name .ipynb_checkpoints \) -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)

# Lecture slides: one reveal.js deck per notebook, book/_build/slides/NN_name.slides.html,
# viewable offline (reveal.js pinned by tools/slides/package-lock.json and installed
# with `npm ci`, so npm is needed; MathJax from sphinx-mathjax-offline). The slide
# types in the notebooks must be what tools/slide_metadata.py computes: after editing
# a notebook, run `$(BIN)/python tools/slide_metadata.py` and commit the result.
.PHONY: slides
slides: $(TEST_STAMP)
	$(BIN)/python tools/slide_metadata.py --check
	$(BIN)/python tools/build_slides.py --out book/_build/slides
	@echo "Slides: book/_build/slides/<notebook>.slides.html"

# Assignments (nbgrader; tools/assignments.py, book/instructors.md): student notebooks in
# assignments/student/ and the autograder in assignments/autograder/, both built from the
# course notebooks' solution cells and assignments/checks.yml (git-ignored build outputs,
# rebuilt when those change). `make grade` grades with the autograder of the same sources.
.PHONY: assignments grade
AUTOGRADER := assignments/autograder/gradebook.db
$(AUTOGRADER): $(TEST_STAMP) $(wildcard notebooks/[0-9]*.ipynb) assignments/checks.yml tools/assignments.py
	$(BIN)/python tools/assignments.py build || { rm -f $@; exit 1; }

assignments: $(AUTOGRADER)

grade: $(AUTOGRADER)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=DIR"; exit 2; }
	$(BIN)/python tools/assignments.py grade "$(SUBMISSIONS)"
