# The two commands a fresh machine needs:  `make book`  and  `make test`  (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# pytest-xdist workers; the machine has 2 cores.
WORKERS ?= auto
ASSIGNMENT ?=
# submissions graded at once by `make grade` (default: one per CPU core)
GRADE_WORKERS ?=
# worker processes of `make mutants` (default: one per CPU core)
MUTANT_WORKERS ?=

.PHONY: help venv book test test-fast release grade mutants bench lock clean

help:
	@echo "make book        set up .venv if needed and build the book (executes every chapter) to _build/html"
	@echo "make test        set up .venv if needed and run the whole test suite"
	@echo "make release     regenerate assignments/ from solutions/ (nbgrader generate_assignment)"
	@echo "make grade ASSIGNMENT=hw0_mle [GRADE_WORKERS=N]   autograde submitted/*/ASSIGNMENT in parallel, sandboxed;"
	@echo "                 export grades.csv, make feedback, report failures (see README: Grading a class)"
	@echo "make mutants ASSIGNMENT=hw0_mle [MUTANT_WORKERS=N]   mutation analysis of the hidden tests: mutate the solution"
	@echo "                 cells, run the tests on each mutant, report the survivors and the score (tests/mutants/README.md)"
	@echo "make bench       train every model family on the same digits and toys (fixed steps, 2 workers) and write the"
	@echo "                 cross-family table benchmarks/results/cross_family.{json,md} (benchmarks/README.md)"

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build --all -W -n --keep-going .

test: $(STAMP)
	@bash tools/install_sandbox.sh
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile --nbval-lax -v --durations=15

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n $(WORKERS) tests/unit

release: $(STAMP)
	$(BIN)/python -m tools.release $(ASSIGNMENT)

grade: $(STAMP)
	@bash tools/install_sandbox.sh
	$(BIN)/python -m tools.grade $(ASSIGNMENT) $(if $(GRADE_WORKERS),--workers $(GRADE_WORKERS))

mutants: $(STAMP)
	$(BIN)/python -m tools.mutants $(ASSIGNMENT) $(if $(MUTANT_WORKERS),--workers $(MUTANT_WORKERS))

bench: $(STAMP)
	$(BIN)/python benchmarks/cross_family.py

lock:
	rm -rf /tmp/dgm-lock && $(PYTHON) -m venv /tmp/dgm-lock && /tmp/dgm-lock/bin/pip install -q -r requirements.in \
	  && { echo "# Pinned environment (generated from requirements.in by 'make lock'; Python 3.11, CPU)."; \
	       /tmp/dgm-lock/bin/pip freeze | sed 's/^torch==.*/torch==2.13.0/'; } > requirements.txt

clean:
	# generated files only: the gradebook (manual grades), grading_status/ (which submissions failed to grade) and
	# submitted/ are never removed
	rm -rf _build autograded feedback grading_logs grading_report_*.csv mutants_*.json .pytest_cache
