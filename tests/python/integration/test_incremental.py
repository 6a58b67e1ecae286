"""Incremental runs after an append give exactly what a full refresh gives on the same final data."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from intent_scoring.dbt_runner import DbtRunError, run_dbt
from intent_scoring.generator import GeneratorConfig, write_generated
from intent_scoring.warehouse import connect

from .dbt_helpers import build_passes, query

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


def _built_with_one_day_appended(path: Path, build: list[str]) -> None:
    """20 days of 100 users built with `build`, then the next day appended and built again incrementally."""
    with connect(path=path) as con:
        write_generated(con, GeneratorConfig(n_users=100, seed=5, days=20, end_date=END))
    run_dbt(build, quiet=True)
    with connect(path=path) as con:
        write_generated(con, GeneratorConfig(n_users=100, seed=5, days=1, end_date=END + dt.timedelta(days=1)),
                        append=True)
    run_dbt(build, quiet=True)


def _failing_tests(select: list[str], names: tuple[str, ...], *extra: str) -> set[str]:
    """Which of `names` (test name prefixes, e.g. "accepted_values_base_web__events") fail in
    `dbt test` of the selection."""
    try:
        run_dbt(["test", *select, *extra], quiet=True)
    except DbtRunError as error:
        return {name for name in names if name in str(error)}
    return set()


# the key tests of the models a `+sessions` build makes (among them int_events_sessionized's)
KEY_TESTS = ["--select", "test_name:unique_incremental,+sessions", "test_name:relationships,+sessions",
             "--indirect-selection", "cautious"]
SESSIONIZED_UNIQUE = "unique_incremental_int_events_sessionized"
SESSIONIZED_RELATIONSHIPS = "relationships_int_events_sessionized"


def test_incremental_key_tests_check_the_rows_the_latest_run_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keys.duckdb"
    monkeypatch.setenv("INTENT_WAREHOUSE", str(path))
    _built_with_one_day_appended(path, ["build", "--select", "+sessions", "--indirect-selection", "cautious"])
    names = (SESSIONIZED_UNIQUE, SESSIONIZED_RELATIONSHIPS)
    assert _failing_tests(KEY_TESTS, names) == set()

    table = "intermediate.int_events_sessionized"
    with duckdb.connect(str(path)) as con:
        latest, first = con.execute(f"select max(processed_at), min(processed_at) from {table}").fetchone()
        assert latest > first, "the incremental run left some users' rows alone"
        # an old row copied twice, both copies as old as the original: the latest run wrote neither
        old_id = con.execute(f"select min(event_id) from {table} where processed_at = ?", [first]).fetchone()[0]
        con.execute(f"insert into {table} select * from {table} where event_id = ?", [old_id])
    assert _failing_tests(KEY_TESTS, names) == set(), "rows the latest run did not write are not looked up"
    assert _failing_tests(KEY_TESTS, names, "--vars", "{test_every_row: true}") == {SESSIONIZED_UNIQUE}

    with duckdb.connect(str(path)) as con:
        # one copy now counts as written by the latest run, repeating the old row's event id
        con.execute(f"update {table} set processed_at = ? "
                    f"where rowid = (select max(rowid) from {table} where event_id = ?)", [latest, old_id])
        # and a row the latest run wrote that points at no session
        con.execute(
            f"insert into {table} select * replace ('no-such-session' as session_key, 'x-' || event_id as event_id, "
            f"?::timestamp as processed_at) from {table} where event_id = ? and processed_at = ?",
            [latest, old_id, first])
    assert _failing_tests(KEY_TESTS, names) == {SESSIONIZED_UNIQUE, SESSIONIZED_RELATIONSHIPS}


def test_latest_run_where_checks_the_rows_the_latest_run_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Row-level tests configured with `where: __written_by_latest_run__` (macros/get_where_subquery.sql)
    look at the rows the latest run wrote; var('test_every_row') makes them look at every row."""
    path = tmp_path / "where.duckdb"
    monkeypatch.setenv("INTENT_WAREHOUSE", str(path))
    _built_with_one_day_appended(path, ["build", "--select", "+sessions", "stg_web__users", "events_rejected",
                                        "--exclude-resource-type", "unit_test"])
    # every test of the two tables
    select = ["--select", "base_web__events", "sessions", "--indirect-selection", "eager",
              "--exclude-resource-type", "unit_test"]
    names = ("accepted_values_base_web__events", "relationships_sessions")
    assert _failing_tests(select, names) == set()

    with duckdb.connect(str(path)) as con:
        for table in ("staging.base_web__events", "marts.sessions"):
            latest, first = con.execute(f"select max(processed_at), min(processed_at) from {table}").fetchone()
            assert latest > first, f"the incremental run rewrote all of {table}"
        # a bad value on a row an earlier run wrote, in each table
        con.execute("update staging.base_web__events set rejection_reason = 'bogus' where raw_row_key = "
                    "(select min(raw_row_key) from staging.base_web__events where processed_at = "
                    "(select min(processed_at) from staging.base_web__events))")
        con.execute("update marts.sessions set user_id = 'no-such-user' where session_key = "
                    "(select min(session_key) from marts.sessions where processed_at = "
                    "(select min(processed_at) from marts.sessions))")
    assert _failing_tests(select, names) == set(), "rows an earlier run wrote are not looked at"
    assert _failing_tests(select, names, "--vars", "{test_every_row: true}") == set(names)

    with duckdb.connect(str(path)) as con:
        # now rows the latest run wrote
        con.execute("update staging.base_web__events set processed_at = "
                    "(select max(processed_at) from staging.base_web__events) where rejection_reason = 'bogus'")
        con.execute("update marts.sessions set processed_at = (select max(processed_at) from marts.sessions) "
                    "where user_id = 'no-such-user'")
    assert _failing_tests(select, names) == set(names)


def test_sessions_rolled_up_in_passes_equal_one_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """var('rollup_pass_rows') below the event count splits the sessionization (full builds) and the
    sessions roll-up into passes over slices of users; both come out the same, on a full build and
    (the roll-up) on an incremental one."""
    path = tmp_path / "passes.duckdb"
    monkeypatch.setenv("INTENT_WAREHOUSE", str(path))
    with connect(path=path) as con:
        write_generated(con, GeneratorConfig(n_users=200, seed=9, days=20, end_date=END))
    select = ["--select", "+sessions", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    run_dbt(["build", *select], quiet=True)
    one_pass = _table(path, "marts.sessions", "session_key")
    one_pass_events = _table(path, "intermediate.int_events_sessionized", "event_id")
    events = query(path, "select count(*) from intermediate.int_events_sessionized")[0][0]
    three_passes = ["--vars", f"{{rollup_pass_rows: {events // 3 + 1}}}"]
    passes = build_passes(["build", "--full-refresh", *select, *three_passes])
    assert passes == {"int_events_sessionized": 3, "sessions": 3}
    _assert_same_rows(_table(path, "marts.sessions", "session_key"), one_pass, "marts.sessions")
    _assert_same_rows(_table(path, "intermediate.int_events_sessionized", "event_id"), one_pass_events,
                      "intermediate.int_events_sessionized")

    # an incremental run after a day's load, in passes, against a one-pass full refresh of the same data
    with connect(path=path) as con:
        write_generated(con, GeneratorConfig(n_users=200, seed=9, days=1, end_date=END + dt.timedelta(days=1)),
                        append=True)
    passes = build_passes(["build", *select, "--vars", "{rollup_pass_rows: 100}"])
    assert passes.keys() == {"sessions"} and passes["sessions"] > 1, passes  # sessionizing: one pass
    full = tmp_path / "full.duckdb"
    shutil.copy2(path, full)
    monkeypatch.setenv("INTENT_WAREHOUSE", str(full))
    run_dbt(["build", "--full-refresh", *select], quiet=True)
    _assert_same_rows(_table(path, "marts.sessions", "session_key"), _table(full, "marts.sessions", "session_key"),
                      "marts.sessions")

    # a full refresh of the roll-ups alone stamps every row they rewrite with this run's time, so the
    # incremental key tests (which look at the latest run's rows) check every row after it
    monkeypatch.setenv("INTENT_WAREHOUSE", str(path))
    run_dbt(["build", "--full-refresh", "--select", "sessions", "int_user_days_rolled_up",
             "--exclude-resource-type", "unit_test"], quiet=True)
    for relation in ("marts.sessions", "intermediate.int_user_days_rolled_up"):
        assert query(path, f"select count(distinct processed_at) from {relation}") == [(1,)], relation
