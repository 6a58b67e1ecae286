"""Shared helpers for the tests that build the dbt project on generated data."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from intent_scoring.warehouse import PROJECT_ROOT

PROJECT_PARTS = ["models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml"]


def copy_project(destination: Path) -> Path:
    """A throwaway copy of the dbt project (to edit seeds without touching the repo)."""
    destination.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        source = PROJECT_ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part, ignore=shutil.ignore_patterns("python"))
        else:
            shutil.copy2(source, destination / part)
    return destination


def query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Run one read-only query against a warehouse file."""
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def compiled_passes(model_path: str) -> int:
    """Roll-up passes in the last compiled SQL of a model (e.g. "marts/sessions"): its `) as pass_N` branches."""
    compiled = PROJECT_ROOT / "target" / "compiled" / "intent_scoring" / "models" / f"{model_path}.sql"
    return compiled.read_text().count(") as pass_")
