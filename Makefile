# Two entry points for a fresh clone (see README):
#   make run    install into .venv, generate demo data, dbt build, print the top users
#   make test   install into .venv, run lint (ruff, sqlfluff) and every test (pytest, which runs dbt too)
# Nothing outside .venv is assumed installed except python3 (3.11) with venv.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export DBT_PROFILES_DIR := $(CURDIR)
export PYTHONPATH := $(CURDIR)/python

.PHONY: run test install spark-deps lint pytest bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

# The Spark engine (dbt-spark `session` method, local PySpark), for the Spark test in `make test`:
# requirements-spark.txt (dbt-core held at requirements.txt's pins) and Java 17, installed with
# apt-get when missing and running as root (as in CI); otherwise it says what to install.
$(VENV)/.spark-installed: $(VENV)/.installed requirements-spark.txt
	$(PY) -m pip install --quiet -r requirements-spark.txt -c requirements.txt
	touch $@

spark-deps: $(VENV)/.spark-installed
	@command -v java >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless; \
		else \
			echo "spark-deps: no java; install Java 17 (Debian: apt-get install openjdk-17-jre-headless)" >&2; \
		fi; }

run: install
	$(PY) main.py --mode pipeline

lint: install
	mkdir -p data
	$(VENV)/bin/ruff check python tests main.py bench
	$(VENV)/bin/dbt parse --quiet
	INTENT_WAREHOUSE=$(CURDIR)/data/lint.duckdb $(VENV)/bin/sqlfluff lint models tests --processes 2

pytest: install spark-deps
	$(PY) -m pytest -q tests/python

test: lint pytest

bench: install
	$(PY) main.py --mode bench

clean:
	rm -rf target logs data/*.duckdb data/*.wal
