"""One generated warehouse, built once by `dbt build`, shared by the integration tests.

Builds run dbt in-process (dbtRunner) against a temporary DuckDB file named by
INTENT_WAREHOUSE, so the repository's data/ is never touched.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from intent_scoring.dbt_runner import run_dbt
from intent_scoring.generator import GeneratorConfig, write_generated
from intent_scoring.warehouse import connect

N_USERS = 3000
SEED = 7


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A warehouse with generated data (default mess on) after a full `dbt build`."""
    folder = tmp_path_factory.mktemp("warehouse")
    path = folder / "warehouse.duckdb"
    previous = os.environ.get("INTENT_WAREHOUSE")
    os.environ["INTENT_WAREHOUSE"] = str(path)
    try:
        with connect(path=path) as con:
            write_generated(con, GeneratorConfig(n_users=N_USERS, seed=SEED))
        run_dbt(["build"], quiet=True)
        yield path
    finally:
        if previous is None:
            os.environ.pop("INTENT_WAREHOUSE", None)
        else:
            os.environ["INTENT_WAREHOUSE"] = previous


@pytest.fixture()
def warehouse_copy(built_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the built warehouse, pointed to by INTENT_WAREHOUSE for this test."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy2(built_warehouse, path)
    monkeypatch.setenv("INTENT_WAREHOUSE", str(path))
    return path


@pytest.fixture()
def use_built_warehouse(built_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point INTENT_WAREHOUSE at the shared built warehouse (read-only use)."""
    monkeypatch.setenv("INTENT_WAREHOUSE", str(built_warehouse))
    return built_warehouse
