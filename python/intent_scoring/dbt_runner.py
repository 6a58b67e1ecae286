"""Run dbt in-process through dbt's programmatic runner, with progress and clear errors."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from intent_scoring.warehouse import PROJECT_ROOT, WarehouseError, warehouse_path


class DbtRunError(RuntimeError):
    """A dbt command failed; the message names the failing nodes."""


def _progress(event) -> None:
    """Print one line per finished node, so long builds show progress."""
    name = event.info.name
    if name in {"LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult"}:
        data = event.data
        node = getattr(data, "node_info", None)
        label = node.unique_id.split(".", 2)[-1] if node else "?"
        status = getattr(data, "status", "") or ""
        print(f"  [{data.index}/{data.total}] {status:<6} {label}", file=sys.stderr, flush=True)


def _summarize_failures(result) -> str:
    """One line naming every failed node and its first message line."""
    failures: list[str] = []
    for node_result in getattr(result.result, "results", None) or []:
        status = str(node_result.status).lower()
        if status in {"error", "fail"}:
            message = (node_result.message or "").strip().splitlines()
            first = message[0] if message else status
            failures.append(f"{node_result.node.name}: {first}")
    if failures:
        return "; ".join(failures)
    if result.exception is not None:
        return str(result.exception).strip().replace("\n", " ")
    return "dbt reported a failure (see the log above)"


def run_dbt(args: Sequence[str], quiet: bool = False) -> object:
    """Run `dbt <args>` against this project and return dbt's result; raise DbtRunError on failure."""
    from dbt.cli.main import dbtRunner

    os.environ.setdefault("DBT_PROFILES_DIR", str(PROJECT_ROOT))
    os.environ.setdefault("INTENT_WAREHOUSE", str(warehouse_path()))
    warehouse_path().parent.mkdir(parents=True, exist_ok=True)
    cli_args = [
        *args,
        "--project-dir", str(PROJECT_ROOT),
        "--profiles-dir", os.environ["DBT_PROFILES_DIR"],
        "--log-level", "warn",
        "--no-use-colors",
    ]
    if quiet:
        cli_args.append("--quiet")
    runner = dbtRunner(callbacks=[] if quiet else [_progress])
    cwd = os.getcwd()
    os.chdir(PROJECT_ROOT)  # dbt resolves target/ and logs/ against the working directory
    try:
        result = runner.invoke(cli_args)
    finally:
        os.chdir(cwd)
    if not result.success:
        summary = _summarize_failures(result)
        if "lock" in summary.lower() and "conflicting" in summary.lower():
            raise WarehouseError(f"dbt could not open the warehouse: {summary}")
        raise DbtRunError(f"dbt {' '.join(args)} failed: {summary}")
    return result
