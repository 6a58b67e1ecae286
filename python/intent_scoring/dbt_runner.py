"""Run dbt in-process through dbt's programmatic runner, with progress and clear errors."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from intent_scoring.warehouse import PROJECT_ROOT, WarehouseError, _lock_message, connect, warehouse_path

# dbt commands that never open the warehouse, so another process may hold it meanwhile.
_OFFLINE_COMMANDS = {"parse", "ls", "list", "deps", "clean"}


class DbtRunError(RuntimeError):
    """A dbt command failed; the message names the failing nodes."""


def _progress(event) -> None:
    """Print one line per finished node, so long builds show progress.

    Never raises: an exception in a callback would fail dbt's worker thread.
    """
    try:
        if event.info.name not in {"LogModelResult", "LogTestResult", "LogSeedResult"}:
            return
        data = event.data
        total = getattr(data, "total", 0) or getattr(data, "num_models", 0)
        label = data.node_info.unique_id.split(".", 2)[-1] if data.HasField("node_info") else "?"
        print(f"  [{data.index}/{total}] {data.status:<6} {label}", file=sys.stderr, flush=True)
    except Exception:
        return


# agate's words for a seed row with more fields than the header; its row number counts data rows from 0
_SEED_ROW_TOO_LONG = re.compile(r"Row (\d+) has (\d+) values, but Table only has (\d+) columns")


def _seed_problem(node, message: str) -> str:
    """A seed's load error with the file line it is about, where agate gives only its own row index."""
    match = _SEED_ROW_TOO_LONG.search(message)
    if getattr(node, "resource_type", None) != "seed" or match is None:
        return message
    row, values, columns = (int(group) for group in match.groups())
    return (
        f"{node.original_file_path} line {row + 2} has {values} fields but the header names {columns} columns "
        "(a stray comma? quote a value that contains one); nothing was loaded"
    )


def _summarize_failures(result) -> str:
    """One line naming every failed node and its first message line."""
    failures: list[str] = []
    for node_result in getattr(result.result, "results", None) or []:
        status = str(node_result.status).lower()
        if status in {"error", "fail"}:
            message = _seed_problem(node_result.node, " ".join((node_result.message or status).split()))
            failures.append(f"{node_result.node.name}: {message}")
    if failures:
        return "; ".join(failures)
    if result.exception is not None:
        return str(result.exception).strip().replace("\n", " ")
    return "dbt reported a failure (see the log above)"


def _release_warehouse() -> None:
    """Close the DuckDB instance dbt-duckdb keeps open in this process after a run.

    Otherwise the file stays locked (and a later read-only open in the same
    process fails with "different configuration"), so the CLI could not read the
    marts it just built.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def run_dbt(
    args: Sequence[str],
    quiet: bool = False,
    project_dir: Path | None = None,
    callbacks: Sequence[Callable[[object], None]] = (),
) -> object:
    """Run `dbt <args>` against this project and return dbt's result; raise DbtRunError on failure.

    project_dir defaults to this repository; tests pass a copy to try edited seeds. callbacks
    receive each of dbt's events (as dbtRunner's do), whatever the log level.
    """
    from dbt.cli.main import dbtRunner

    project_dir = project_dir or PROJECT_ROOT
    # The warehouse path is resolved here so dbt and the CLI always agree on it.
    os.environ["INTENT_WAREHOUSE"] = str(warehouse_path())
    warehouse_path().parent.mkdir(parents=True, exist_ok=True)
    if args and args[0] not in _OFFLINE_COMMANDS:
        # Held by another process (a SQL client, the dashboard mid-request, another run)?
        # Say who holds it in one line, before dbt-duckdb fails with a long traceback.
        connect().close()
    cli_args = [
        *args,
        "--project-dir", str(project_dir),
        "--profiles-dir", str(project_dir),
        "--log-level", "warn",
        "--no-use-colors",
    ]
    if quiet:
        cli_args.append("--quiet")
    runner = dbtRunner(callbacks=[*callbacks] if quiet else [_progress, *callbacks])
    cwd = os.getcwd()
    os.chdir(project_dir)  # dbt resolves target/ and logs/ against the working directory
    try:
        result = runner.invoke(cli_args)
    finally:
        os.chdir(cwd)
        _release_warehouse()
    if not result.success:
        summary = _summarize_failures(result)
        if "lock" in summary.lower() and "conflicting" in summary.lower():
            # taken between the check above and dbt's own open
            raise WarehouseError(_lock_message(warehouse_path(), summary))
        raise DbtRunError(f"dbt {' '.join(args)} failed: {summary}")
    return result
