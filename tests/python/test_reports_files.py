"""reports.rank / reports.export write their files atomically: a failed COPY leaves the old file as it was."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb
import pytest

from intent_scoring import reports


def _warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        """
        create table marts.user_scores as
        select i as score_rank, 'u' || i as user_id, 100.0 - i as score, 'high' as label,
               'because' as explanation, '{}' as contributions, timestamp '2024-01-01' as as_of
        from range(1, 11) as t(i)
        """
    )
    return con


class _CopyDiesMidway:
    """A connection whose COPY writes half a file to its target and then fails, like a crash or a full disk."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def __enter__(self) -> _CopyDiesMidway:
        return self

    def __exit__(self, *exc: object) -> None:
        self._con.close()

    def execute(self, sql: str, *args: object) -> duckdb.DuckDBPyConnection:
        if sql.lstrip().lower().startswith("copy"):
            Path(re.search(r"\) to '([^']+)'", sql).group(1)).write_text("score_rank,user_id\n1,u")
            raise duckdb.IOException("No space left on device")
        return self._con.execute(sql, *args)


def test_rank_writes_the_top_n_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reports, "_open", _warehouse)
    out = tmp_path / "top_users.csv"
    reports.rank(3, out_path=out)
    assert [row["user_id"] for row in csv.DictReader(out.open())] == ["u1", "u2", "u3"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["top_users.csv"]


def test_rank_failing_midway_keeps_the_previous_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reports, "_open", lambda: _CopyDiesMidway(_warehouse()))
    out = tmp_path / "top_users.csv"
    out.write_text("previous,export\n")
    with pytest.raises(duckdb.IOException):
        reports.rank(3, out_path=out)
    assert out.read_text() == "previous,export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["top_users.csv"]


def test_export_failing_midway_keeps_the_previous_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reports, "_open", lambda: _CopyDiesMidway(_warehouse()))
    monkeypatch.setattr(reports, "DATA_DIR", tmp_path)
    (tmp_path / "raw_events.csv").write_text("previous\n")
    with pytest.raises(duckdb.IOException):
        list(reports.export("csv"))
    assert (tmp_path / "raw_events.csv").read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw_events.csv"]
