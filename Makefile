# Each target creates .venv and installs what it needs on its own.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint bench bench-full clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/reunite demo --out demo-output

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest

# Every script in benchmarks/, at quick sizes (--quick where a script has it); each prints JSON.
# `make bench-full` runs them at their default (national) sizes: hours and several GB.
BENCH := $(BIN)/python benchmarks
bench: $(STAMP)
	$(BENCH)/kinship.py --quick
	$(BENCH)/simulate.py --families 10000
	$(BENCH)/search.py 10000 --found 200
	$(BENCH)/search.py --mutation 1000 --children 3 --old-children 1
	$(BENCH)/mutation_search.py --families 10000 --found 100 --children 10 --reverse 1000
	$(BENCH)/batch.py --quick
	$(BENCH)/web_load.py --quick
	$(BENCH)/cohort.py --quick
	$(BENCH)/faces.py --quick
	$(BENCH)/lineage.py --quick
	$(BENCH)/lineage_store.py --quick
	$(BENCH)/lineage_search.py --quick
	$(BENCH)/disclap_fit.py --sizes 500
	$(BENCH)/network.py --quick
	$(BENCH)/nondna.py --quick
	$(BENCH)/alerts.py --quick
	$(BENCH)/profile_appeals.py --repeat 50

bench-full: $(STAMP)
	$(BENCH)/kinship.py
	$(BENCH)/simulate.py
	$(BENCH)/search.py
	$(BENCH)/search.py --mutation
	$(BENCH)/mutation_search.py
	$(BENCH)/batch.py
	$(BENCH)/web_load.py
	$(BENCH)/cohort.py
	$(BENCH)/faces.py
	$(BENCH)/lineage.py
	$(BENCH)/lineage_store.py
	$(BENCH)/lineage_search.py
	$(BENCH)/lineage_search.py --database 50000
	$(BENCH)/disclap_fit.py
	$(BENCH)/network.py
	$(BENCH)/nondna.py --seeds 1 2 3
	$(BENCH)/alerts.py
	$(BENCH)/profile_appeals.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
