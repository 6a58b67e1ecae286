# Two entry points for a fresh clone (see README):
#   make run    install into .venv, generate demo data, dbt build, print the top users
#   make test   install into .venv, run lint (ruff, sqlfluff) and every test (pytest, which runs dbt too)
# Nothing outside .venv is assumed installed except python3 (3.11) with venv.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export DBT_PROFILES_DIR := $(CURDIR)
export PYTHONPATH := $(CURDIR)/python

.PHONY: run test install lint pytest bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) main.py --mode pipeline

lint: install
	mkdir -p data
	$(VENV)/bin/ruff check python tests main.py bench
	$(VENV)/bin/dbt parse --quiet
	INTENT_WAREHOUSE=$(CURDIR)/data/lint.duckdb $(VENV)/bin/sqlfluff lint models tests --processes 2

pytest: install
	$(PY) -m pytest -q tests/python

test: lint pytest

bench: install
	$(PY) main.py --mode bench

clean:
	rm -rf target logs data/*.duckdb data/*.wal
