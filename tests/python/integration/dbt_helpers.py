"""Shared helpers for the tests that build the dbt project on generated data."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb

from intent_scoring.dbt_runner import run_dbt
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


def build_passes(args: list[str]) -> dict[str, int]:
    """Run `dbt <args>` (quietly) and return the models it built in passes: name -> passes.

    Read from the line the build prints for a model built over several slices of users.
    """
    passes: dict[str, int] = {}

    def collect(event) -> None:
        match = re.fullmatch(r"(\w+): built in (\d+) passes over slices of users", event.info.msg or "")
        if event.info.name == "JinjaLogInfo" and match:
            passes[match.group(1)] = int(match.group(2))

    run_dbt(args, quiet=True, callbacks=[collect])
    return passes
