"""Incremental runs after an append give exactly what a full refresh gives on the same final data."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from intent_scoring.dbt_runner import run_dbt
from intent_scoring.generator import GeneratorConfig, write_generated
from intent_scoring.warehouse import connect

from .dbt_helpers import query

END = dt.date(2026, 3, 31)
SELECT_RULES = ["--exclude", "tag:ml"]
COMPARED = {
    "staging.base_web__events": "raw_row_key",
    "staging.stg_web__events": "event_id",
    "marts.sessions": "session_key",
    "intermediate.int_user_days_rolled_up": "user_day_key",
    "marts.user_features": "user_id",
    "marts.user_scores": "user_id",
}


def _insert_events(path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    """Raw events (event_id, user_id, event_at, tracker session) loaded a minute after they happen."""
    with duckdb.connect(str(path)) as con:
        con.executemany(
            "insert into raw.events (event_id, user_id, event_at, event_type, page_path, device, session_id, "
            "time_on_page_sec, scroll_depth_pct, loaded_at) values (?, ?, ?::timestamp, 'page_view', '/docs', "
            "'desktop', ?, 30.0, 50.0, ?::timestamp + interval 1 minute)",
            [(event_id, user, at, tracker, at) for event_id, user, at, tracker in rows],
        )


def _table(path: Path, relation: str, key: str) -> list[tuple]:
    columns = [c for (c,) in query(
        path,
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position",
        relation.split("."),
    ) if c != "processed_at"]
    return query(path, f"select {', '.join(columns)} from {relation} order by {key}")


def _assert_same_rows(left: list[tuple], right: list[tuple], relation: str) -> None:
    """Equal row by row; floats equal up to summation order (1e-9 relative)."""
    assert len(left) == len(right), relation
    for row_left, row_right in zip(left, right, strict=True):
        for a, b in zip(row_left, row_right, strict=True):
            if isinstance(a, float) and isinstance(b, float):
                assert a == pytest.approx(b, rel=1e-9, abs=1e-9), (relation, row_left[0])
            else:
                assert a == b, (relation, row_left[0], a, b)


def test_incremental_equals_full_refresh_with_boundary_session_and_late_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "incremental.duckdb"
    monkeypatch.setenv("INTENT_WAREHOUSE", str(path))
    with connect(path=path) as con:
        write_generated(con, GeneratorConfig(n_users=300, seed=21, days=30, end_date=END))
    user = query(path, "select min(user_id) from raw.users")[0][0]
    # before the load boundary: a session about to span midnight, and two sessions 50 minutes apart
    _insert_events(path, [
        ("t-boundary-1", user, f"{END} 23:50:00", "t1"),
        ("t-late-a", user, f"{END - dt.timedelta(days=2)} 10:00:00", "t2"),
        ("t-late-c", user, f"{END - dt.timedelta(days=2)} 10:50:00", "t2"),
    ])
    run_dbt(["build", *SELECT_RULES], quiet=True)
    sessions_before = query(path, "select count(*) from marts.sessions where user_id = ?", [user])[0][0]

    # the next load: three days of new events, the session continuing past midnight, and a late event
    # two days back that bridges the two sessions into one
    with connect(path=path) as con:
        write_generated(con, GeneratorConfig(n_users=300, seed=21, days=3, end_date=END + dt.timedelta(days=3)),
                        append=True)
    _insert_events(path, [
        ("t-boundary-2", user, f"{END + dt.timedelta(days=1)} 00:10:00", "t1"),
        ("t-late-b", user, f"{END - dt.timedelta(days=2)} 10:25:00", "t2"),
    ])
    run_dbt(["build", *SELECT_RULES], quiet=True)

    boundary = query(path, "select distinct session_key from intermediate.int_events_sessionized "
                           "where event_id in ('t-boundary-1', 't-boundary-2')")
    late = query(path, "select distinct session_key from intermediate.int_events_sessionized "
                       "where event_id in ('t-late-a', 't-late-b', 't-late-c')")
    assert len(boundary) == 1, "the session spanning the load boundary is stitched"
    assert len(late) == 1, "the late event lands in (and merges) the right session"
    assert query(path, "select count(*) from marts.sessions where user_id = ?", [user])[0][0] < sessions_before + 2

    full = tmp_path / "full.duckdb"
    shutil.copy2(path, full)
    monkeypatch.setenv("INTENT_WAREHOUSE", str(full))
    run_dbt(["build", "--full-refresh", *SELECT_RULES], quiet=True)
    for relation, key in COMPARED.items():
        _assert_same_rows(_table(path, relation, key), _table(full, relation, key), relation)


def test_replacing_raw_events_drops_the_incremental_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "replaced.duckdb"
    monkeypatch.setenv("INTENT_WAREHOUSE", str(path))
    with connect(path=path) as con:
        write_generated(con, GeneratorConfig(n_users=100, seed=1, days=20, end_date=END))
    run_dbt(["build", "--select", "+sessions", "--indirect-selection", "cautious"], quiet=True)
    with connect(path=path) as con:
        write_generated(con, GeneratorConfig(n_users=100, seed=2, days=20, end_date=END))
    run_dbt(["build", "--select", "+sessions", "--indirect-selection", "cautious"], quiet=True)
    stale = query(path, "select count(*) from staging.stg_web__events s "
                        "where s.event_id not in (select event_id from raw.events where event_id is not null)")
    assert stale == [(0,)]
