"""Any SQL client: the warehouse opens in the DuckDB 1.5 CLI, the Parquet export reads in it,
and a process holding the warehouse makes a build fail with one line saying who and what to do.

The CLI is the `duckdb` binary that requirements.txt installs into the venv (duckdb-cli);
nothing is installed at test time.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from intent_scoring import reports
from intent_scoring.warehouse import PROJECT_ROOT

from .dbt_helpers import query

TOP_3 = "select user_id, score, label from marts.user_scores order by score_rank limit 3"


def _duckdb_cli(*args: str) -> str:
    """Run the venv's DuckDB CLI; returns its stdout."""
    binary = Path(sys.executable).parent / "duckdb"
    assert binary.exists(), f"no DuckDB CLI at {binary}: requirements.txt installs duckdb-cli (`make install`)"
    result = subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_cli_is_the_duckdb_release_that_wrote_the_warehouse() -> None:
    version = _duckdb_cli("--version").split()[0]
    assert version.startswith("v1.5.") and duckdb.__version__.startswith("1.5.")
    assert version.lstrip("v") == duckdb.__version__


def test_warehouse_opens_read_only_in_the_duckdb_cli(built_warehouse: Path) -> None:
    rows = _csv(_duckdb_cli("-readonly", "-csv", str(built_warehouse), TOP_3))
    assert rows[0] == ["user_id", "score", "label"]
    assert [(user_id, float(score), label) for user_id, score, label in rows[1:]] == query(built_warehouse, TOP_3)


def test_parquet_export_reads_in_the_duckdb_cli(
    use_built_warehouse: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(reports, "DATA_DIR", tmp_path)
    written = dict(reports.export("parquet"))
    path = tmp_path / "marts" / "user_scores.parquet"
    assert written[path] == query(use_built_warehouse, "select count(*) from marts.user_scores")[0][0]
    from_file = TOP_3.replace("marts.user_scores", f"read_parquet('{path}')")
    rows = _csv(_duckdb_cli("-csv", "-c", from_file))
    assert [(user_id, float(score), label) for user_id, score, label in rows[1:]] == query(use_built_warehouse, TOP_3)


# Holds the warehouse open read-write, as a SQL client or a notebook would, until stdin closes.
_HOLD = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('holding', flush=True); sys.stdin.read()"


@pytest.mark.parametrize(
    "mode", [["--mode", "score-rules"], ["--mode", "pipeline", "--n-users", "50"]], ids=["score-rules", "pipeline"]
)
def test_a_build_beside_a_process_holding_the_warehouse_fails_in_one_line(
    warehouse_copy: Path, mode: list[str]
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(warehouse_copy)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        result = subprocess.run(
            [sys.executable, str(PROJECT_ROOT / "main.py"), *mode],
            env={**os.environ, "INTENT_WAREHOUSE": str(warehouse_copy)},
            capture_output=True, text=True, timeout=300, check=False,
        )
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert f"locked by process {holder.pid}" in errors[0]
    assert "Close that connection" in errors[0]
    assert "Traceback" not in result.stderr + result.stdout
