"""Tests for loading assessment-format CSV exports into the raw tables."""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from intent_scoring import csv_loader
from intent_scoring.csv_loader import CsvLoadError, load_csv, read_csv_export
from intent_scoring.raw_schema import EVENTS_SCHEMA, USERS_SCHEMA

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLE = FIXTURES / "events_sample.csv"
APPEND = FIXTURES / "events_append.csv"
FIRST_LOAD = datetime(2024, 4, 1, 12, 0, 0)
SECOND_LOAD = datetime(2024, 4, 2, 12, 0, 0)


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def events_by_id(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    return {row["event_id"]: row for row in rows(con, "select * from raw.events order by rowid")}


def users_by_id(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    return {row["user_id"]: row for row in rows(con, "select * from raw.users order by rowid")}


def snapshot(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple], list[tuple]]:
    return (
        con.execute("select * from raw.events order by rowid").fetchall(),
        con.execute("select * from raw.users order by rowid").fetchall(),
    )


def sample_records() -> list[list[str]]:
    with SAMPLE.open(newline="") as handle:
        return list(csv.reader(handle))


def write_records(path: Path, records: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(records)
    return path


def sample_with(tmp_path: Path, line: int, column: str, value: str, name: str = "events.csv") -> Path:
    """The sample file with one cell changed; `line` is 1-based in the file (header = 1)."""
    records = sample_records()
    records[line - 1][records[0].index(column)] = value
    return write_records(tmp_path / name, records)


# ----------------------------------------------------------------------------- good files


def test_good_file_round_trips(con: duckdb.DuckDBPyConnection) -> None:
    written = load_csv(con, SAMPLE, loaded_at=FIRST_LOAD)

    assert written == {"events": 30, "users": 4}
    events = rows(con, "select * from raw.events order by rowid")
    assert len(events) == 30
    assert [e["event_id"] for e in events][:3] == ["e001", "e002", "e003"]
    by_id = events_by_id(con)

    e002 = by_id["e002"]
    assert e002["user_id"] == "u001"
    assert e002["event_at"] == datetime(2024, 3, 1, 9, 2, 10)
    assert e002["event_type"] == "pricing_page_view"
    assert e002["device"] == "desktop"
    assert e002["session_id"] == "s-a1"
    assert e002["time_on_page_sec"] == 80.5
    assert e002["scroll_depth_pct"] == 90.0
    assert e002["loaded_at"] == FIRST_LOAD
    assert (e002["page_path"], e002["referrer"], e002["utm_source"]) == (None, None, None)
    assert (
        e002["ref_is_repeat_session"],
        e002["ref_session_number"],
        e002["ref_bounce_flag"],
        e002["ref_spam_flag"],
    ) == (False, 1, False, False)

    # Empty scroll depth is null, not zero.
    assert by_id["e003"]["scroll_depth_pct"] is None
    assert by_id["e003"]["time_on_page_sec"] == 20.0
    # Precomputed flags are kept as reference, whatever spelling the file used.
    assert by_id["e005"]["ref_bounce_flag"] is True
    assert by_id["e006"]["ref_spam_flag"] is True
    assert by_id["e006"]["ref_is_repeat_session"] is False
    assert (by_id["e022"]["ref_is_repeat_session"], by_id["e022"]["ref_session_number"]) == (True, 2)
    assert by_id["e029"]["ref_is_repeat_session"] is True  # "Yes"
    assert by_id["e018"]["ref_bounce_flag"] is False  # "no"
    # Timestamps with a zone are converted to naive UTC; fractions kept.
    assert by_id["e018"]["event_at"] == datetime(2024, 3, 3, 7, 30)  # 08:30+01:00
    assert by_id["e020"]["event_at"] == datetime(2024, 3, 3, 7, 40)  # 07:40Z
    assert by_id["e027"]["event_at"] == datetime(2024, 3, 6, 18, 0, 0, 250_000)
    assert by_id["e029"]["event_at"] == datetime(2024, 3, 6, 18, 5)  # 13:05-05:00
    # Unknown event types and duplicate event ids are the staging layer's business.
    assert by_id["e021"]["event_type"] == "hover"
    assert [e["event_id"] for e in events].count("e028") == 2


def test_users_take_latest_values(con: duckdb.DuckDBPyConnection) -> None:
    load_csv(con, SAMPLE, loaded_at=FIRST_LOAD)
    users = users_by_id(con)

    assert list(users) == ["u001", "u002", "u003", "u004"]
    alice = users["u001"]
    # e026 comes last in the file but has an earlier timestamp: its 999.99 must not win.
    assert alice["account_balance_usd"] == 1500.0
    assert alice["city"] == "Munich"
    assert (alice["recent_pages_viewed"], alice["recent_pricing_views"]) == (21, 5)
    assert alice["username"] == "alice"
    assert alice["gender"] == "F"
    assert alice["primary_device"] == "desktop"
    assert alice["created_at"] == datetime(2024, 3, 1, 9, 0)
    assert alice["loaded_at"] == FIRST_LOAD
    assert (alice["company"], alice["job_title"], alice["country"], alice["timezone"]) == (None,) * 4

    bob = users["u002"]
    # e029 (13:05-05:00 = 18:05 UTC) is bob's latest event only once converted to UTC.
    assert bob["account_balance_usd"] == 80.0
    assert bob["primary_device"] == "mobile"  # 4 mobile, 1 desktop

    dana = users["u004"]
    # e020 and e021 share a timestamp: the later row in the file wins.
    assert dana["account_balance_usd"] == 310.0
    assert dana["city"] == "Ikeja"
    # 2 tablet, 2 mobile: the device used latest wins the tie.
    assert dana["primary_device"] == "mobile"
    assert dana["created_at"] == datetime(2024, 3, 3, 7, 30)

    bot = users["u003"]
    assert bot["gender"] is None
    assert bot["account_balance_usd"] == 0.0


def test_read_csv_export_returns_contract_tables() -> None:
    users, events = read_csv_export(SAMPLE, FIRST_LOAD)

    assert events.schema == EVENTS_SCHEMA
    assert users.schema == USERS_SCHEMA
    assert events.num_rows == 30
    assert users.num_rows == 4
    assert events.column("scroll_depth_pct").null_count == 7


def test_column_order_optional_and_extra_columns() -> None:
    with pytest.warns(csv_loader.CsvLoadWarning, match='"browser"'):
        users, events = read_csv_export(APPEND, FIRST_LOAD)

    first = events.to_pylist()[0]
    assert first["event_id"] == "e100"
    assert first["user_id"] == "u002"
    assert first["page_path"] == "/pricing"
    assert first["referrer"] == "https://www.google.com/"
    assert first["utm_source"] == "google"
    assert events.to_pylist()[1]["referrer"] is None
    assert users.column("user_id").to_pylist() == ["u002", "u005"]


def test_page_url_used_when_no_page_path(tmp_path: Path) -> None:
    records = sample_records()
    records[0].append("page_url")
    for record in records[1:]:
        record.append("https://example.com/" + record[0])
    _, events = read_csv_export(write_records(tmp_path / "events.csv", records), FIRST_LOAD)

    assert events.column("page_path").to_pylist()[0] == "https://example.com/e001"


def test_number_and_boolean_spellings(tmp_path: Path) -> None:
    records = sample_records()[:6]
    header = records[0]
    for record, (balance, pages, flag) in zip(
        records[1:],
        [(" 1e3 ", "7.0", "TRUE"), ("-2.5", "+3", " no "), (".5", "0", "YES"), ("", "", "")],
        strict=False,
    ):
        record[header.index("account_balance_usd")] = balance
        record[header.index("recent_pages_viewed")] = pages
        record[header.index("spam_flag")] = flag
    _, events = read_csv_export(write_records(tmp_path / "events.csv", records), FIRST_LOAD)

    assert events.column("ref_spam_flag").to_pylist() == [True, False, True, None, False]
    users_rows, _ = read_csv_export(write_records(tmp_path / "one_user.csv", records[:2]), FIRST_LOAD)
    assert users_rows.to_pylist()[0]["account_balance_usd"] == 1000.0
    assert users_rows.to_pylist()[0]["recent_pages_viewed"] == 7


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    text = SAMPLE.read_text()
    lines = text.splitlines()
    path = tmp_path / "events.csv"
    path.write_text("\n".join([*lines[:5], "", *lines[5:]]) + "\n\n")

    _, events = read_csv_export(path, FIRST_LOAD)

    assert events.num_rows == 30


def test_loaded_at_defaults_to_now_and_is_stored_as_utc() -> None:
    before = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    users, events = read_csv_export(SAMPLE)
    after = datetime.now(UTC).replace(tzinfo=None)
    stamp = events.column("loaded_at")[0].as_py()
    assert before <= stamp <= after
    assert stamp.microsecond == 0
    assert users.column("loaded_at")[0].as_py() == stamp

    aware = datetime(2024, 4, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    _, events = read_csv_export(SAMPLE, aware)
    assert events.column("loaded_at")[0].as_py() == datetime(2024, 4, 1, 12, 0)


# Values Arrow's cast (the fast path) accepts.
TIMESTAMPS = [
    ("2024-03-01T09:00:00", datetime(2024, 3, 1, 9, 0)),
    ("2024-03-01 09:00", datetime(2024, 3, 1, 9, 0)),
    ("2024-03-01T09", datetime(2024, 3, 1, 9, 0)),
    ("2024-03-01", datetime(2024, 3, 1)),
    ("2024-02-29T23:59:59.999999", datetime(2024, 2, 29, 23, 59, 59, 999_999)),
    ("2024-03-01T09:00:00Z", datetime(2024, 3, 1, 9, 0)),
    ("2024-03-01T00:30:00+01:00", datetime(2024, 2, 29, 23, 30)),
    ("2024-03-01T09:00:00+0530", datetime(2024, 3, 1, 3, 30)),
    ("2024-12-31T22:00:00.5-05", datetime(2025, 1, 1, 3, 0, 0, 500_000)),
    (" 1999-12-31T23:59:59 ", datetime(1999, 12, 31, 23, 59, 59)),
]
# Valid values Arrow's cast rejects (fractions finer than the microsecond): only the full parser reads them.
FULL_PARSER_TIMESTAMPS = [
    ("2024-03-01T09:00:00.123456789", datetime(2024, 3, 1, 9, 0, 0, 123_456)),
    ("2024-03-01T09:00:00.1234567+01:00", datetime(2024, 3, 1, 8, 0, 0, 123_456)),
]


@pytest.mark.parametrize("with_bad_value", [False, True], ids=["fast-path", "full-parser"])
def test_timestamp_parsing(with_bad_value: bool) -> None:
    """Arrow's cast (fast path) and the full parser (used once any value is bad) agree."""
    texts = [text for text, _ in TIMESTAMPS] + (["2023-02-29"] if with_bad_value else [])
    expected = [value for _, value in TIMESTAMPS]
    # The same input _parse_timestamp gives the fast path: which parser runs is decided here.
    fast = csv_loader._arrow_timestamps(pc.utf8_trim_whitespace(pa.array(texts)))
    if with_bad_value:
        assert fast is None
    else:
        assert fast is not None
        assert fast.to_pylist() == expected

    parsed = csv_loader._parse_timestamp(pa.array(texts))

    assert parsed.values.to_pylist()[: len(TIMESTAMPS)] == expected
    assert parsed.bad.tolist() == [False] * len(TIMESTAMPS) + ([True] if with_bad_value else [])


@pytest.mark.parametrize(("text", "expected"), FULL_PARSER_TIMESTAMPS)
def test_timestamp_parsing_beyond_arrow(text: str, expected: datetime) -> None:
    texts = pa.array(["2024-03-01T10:00:00", text])
    assert csv_loader._arrow_timestamps(texts) is None

    parsed = csv_loader._parse_timestamp(texts)

    assert parsed.bad.tolist() == [False, False]
    assert parsed.values.to_pylist() == [datetime(2024, 3, 1, 10, 0), expected]


@pytest.mark.parametrize(
    "text",
    [
        "2024-13-01",
        "2023-02-29",
        "2024-04-31",
        "2024-03-01T24:00",
        "2024-03-01T10:60",
        "2024-03-01T10:00:60",
        "2024-03-01T10:00+24:00",
        "2024-3-1",
        "01/03/2024",
        "2024-03-01Z",
        "20240301T100000",
        "yesterday",
        "0000-01-01",
    ],
)
def test_timestamp_rejects(text: str) -> None:
    parsed = csv_loader._parse_timestamp(pa.array(["2024-03-01T10:00:00", text]))

    assert parsed.bad.tolist() == [False, True]
    assert parsed.values.to_pylist() == [datetime(2024, 3, 1, 10, 0), None]


# ----------------------------------------------------------------------------- bad files

BAD_CELLS = [
    pytest.param(
        17,
        "timestamp",
        "2024-13-45T10:00",
        'cannot parse "2024-13-45T10:00" as an ISO 8601 timestamp',
        id="timestamp",
    ),
    pytest.param(9, "timestamp", "2024-03-02 3pm", "as an ISO 8601 timestamp", id="timestamp-shape"),
    pytest.param(24, "timestamp", "", "empty value; every row needs one", id="empty-timestamp"),
    pytest.param(8, "account_balance_usd", "12 USD", 'cannot parse "12 USD" as a number', id="number"),
    pytest.param(3, "scroll_depth_pct", "n/a", 'cannot parse "n/a" as a number', id="scroll-text"),
    pytest.param(12, "time_on_page_sec", "inf", 'cannot parse "inf" as a number', id="not-finite"),
    pytest.param(30, "session_number", "2.5", 'cannot parse "2.5" as a whole number', id="whole-number"),
    pytest.param(5, "spam_flag", "maybe", 'cannot parse "maybe" as a boolean', id="boolean"),
    pytest.param(20, "user_id", "", "empty value; every row needs one", id="empty-user"),
    pytest.param(2, "event_id", "  ", "empty value; every row needs one", id="empty-event"),
]


@pytest.mark.parametrize("append", [False, True], ids=["replace", "append"])
@pytest.mark.parametrize(("line", "column", "value", "reason"), BAD_CELLS)
def test_bad_value_names_file_line_column_and_loads_nothing(
    con: duckdb.DuckDBPyConnection,
    tmp_path: Path,
    line: int,
    column: str,
    value: str,
    reason: str,
    append: bool,
) -> None:
    load_csv(con, SAMPLE, loaded_at=FIRST_LOAD)
    before = snapshot(con)
    bad = sample_with(tmp_path, line, column, value)

    with pytest.raises(CsvLoadError) as raised:
        load_csv(con, bad, append=append, loaded_at=SECOND_LOAD)

    message = str(raised.value)
    assert message.startswith(f'{bad} line {line}, column "{column}": ')
    assert reason in message
    assert isinstance(raised.value, ValueError)
    assert snapshot(con) == before


@pytest.mark.parametrize("append", [False, True], ids=["replace", "append"])
def test_missing_column_names_it_and_loads_nothing(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, append: bool
) -> None:
    load_csv(con, SAMPLE, loaded_at=FIRST_LOAD)
    before = snapshot(con)
    records = sample_records()
    drop = records[0].index("device")
    bad = write_records(tmp_path / "events.csv", [r[:drop] + r[drop + 1 :] for r in records])

    with pytest.raises(
        CsvLoadError, match=re.escape(f'{bad} line 1, column "device": required column is missing')
    ):
        load_csv(con, bad, append=append, loaded_at=SECOND_LOAD)
    assert snapshot(con) == before


def test_several_missing_columns_are_all_named(tmp_path: Path) -> None:
    records = [r[2:] for r in sample_records()]
    bad = write_records(tmp_path / "events.csv", records)

    with pytest.raises(CsvLoadError, match=r'column "event_id".*also missing: "user_id"'):
        read_csv_export(bad, FIRST_LOAD)


def test_repeated_column_is_an_error(tmp_path: Path) -> None:
    records = [[*r, r[1]] for r in sample_records()]
    bad = write_records(tmp_path / "events.csv", records)

    with pytest.raises(CsvLoadError, match=r'line 1, column "user_id": appears more than once'):
        read_csv_export(bad, FIRST_LOAD)


def test_first_problem_is_reported_with_count_of_the_rest(tmp_path: Path) -> None:
    records = sample_records()
    header = records[0]
    records[20][header.index("gender")] = "x"  # free text: not a problem
    records[25][header.index("account_balance_usd")] = "lots"  # line 26
    records[9][header.index("bounce_flag")] = "?"  # line 10
    records[9][header.index("scroll_depth_pct")] = "?"  # line 10, further left: reported first
    bad = write_records(tmp_path / "events.csv", records)

    with pytest.raises(CsvLoadError) as raised:
        read_csv_export(bad, FIRST_LOAD)
    message = str(raised.value)
    assert f'{bad} line 10, column "scroll_depth_pct": cannot parse "?" as a number' in message
    assert message.endswith("(2 more problems in the file)")


@pytest.mark.parametrize("block_size", [8 << 20, 512], ids=["one-batch", "many-batches"])
def test_row_with_wrong_number_of_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_size: int
) -> None:
    monkeypatch.setattr(csv_loader, "_BLOCK_SIZE", block_size)
    lines = SAMPLE.read_text().splitlines()
    lines[14] += ",extra"  # line 15
    lines[21] = lines[21].replace("2024-03-03", "2024-03-99")  # line 22: a later bad value
    bad = tmp_path / "events.csv"
    bad.write_text("\n".join(lines) + "\n")

    with pytest.raises(CsvLoadError) as raised:
        read_csv_export(bad, FIRST_LOAD)
    assert str(raised.value) == (
        f"{bad} line 15: expected 18 fields as in the header, found 19 (1 more problem in the file)"
    )


@pytest.mark.parametrize("block_size", [8 << 20, 512], ids=["one-batch", "many-batches"])
def test_line_numbers_count_physical_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_size: int
) -> None:
    """A quoted value spanning two lines and a blank line shift the lines of later rows."""
    monkeypatch.setattr(csv_loader, "_BLOCK_SIZE", block_size)
    records = sample_records()
    header = records[0]
    records[2][header.index("username")] = "alice\nsecond line"  # record 3 takes lines 3-4
    records[27][header.index("timestamp")] = "yesterday"  # record 28
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(records[:10])
    buffer.write("\n")  # a blank line after record 10
    writer.writerows(records[10:])
    bad = tmp_path / "events.csv"
    bad.write_text(buffer.getvalue())

    with pytest.raises(
        CsvLoadError, match=re.escape(f'{bad} line 30, column "timestamp": cannot parse "yesterday"')
    ):
        read_csv_export(bad, FIRST_LOAD)


@pytest.mark.parametrize("append", [False, True], ids=["replace", "append"])
@pytest.mark.parametrize("block_size", [8 << 20, 512], ids=["one-batch", "many-batches"])
def test_row_with_wrong_number_of_fields_and_not_utf8(
    con: duckdb.DuckDBPyConnection,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    block_size: int,
    append: bool,
) -> None:
    """pyarrow cannot hand such a row to the invalid-row handler; it is still reported as usual."""
    load_csv(con, SAMPLE, loaded_at=FIRST_LOAD)
    before = snapshot(con)
    monkeypatch.setattr(csv_loader, "_BLOCK_SIZE", block_size)
    unraisable: list[sys.UnraisableHookArgs] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    lines = SAMPLE.read_bytes().splitlines()
    bad = tmp_path / "events.csv"
    bad.write_bytes(b"\n".join([lines[0], lines[1], b"\xff\xfe", *lines[2:]]) + b"\n")

    with pytest.raises(CsvLoadError) as raised:
        load_csv(con, bad, append=append, loaded_at=SECOND_LOAD)

    assert str(raised.value) == f"{bad} line 3: expected 18 fields as in the header, found 1"
    assert unraisable == []  # nothing printed as "Exception ignored in ..."
    assert sys.unraisablehook == unraisable.append
    assert snapshot(con) == before


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CsvLoadError, match=re.escape(f"{empty}: the file is empty")):
        read_csv_export(empty, FIRST_LOAD)

    header_only = tmp_path / "header.csv"
    header_only.write_text(SAMPLE.read_text().splitlines()[0] + "\n")
    with pytest.raises(CsvLoadError, match=re.escape(f"{header_only}: no data rows")):
        read_csv_export(header_only, FIRST_LOAD)


def test_missing_file_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(CsvLoadError, match="no such file"):
        read_csv_export(tmp_path / "nope.csv", FIRST_LOAD)


@pytest.mark.parametrize("block_size", [8 << 20, 512], ids=["one-batch", "many-batches"])
def test_non_utf8_file_names_line_and_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_size: int
) -> None:
    monkeypatch.setattr(csv_loader, "_BLOCK_SIZE", block_size)
    bad = tmp_path / "latin1.csv"
    bad.write_bytes(SAMPLE.read_bytes().replace(b"Munich", "München".encode("latin-1")))

    with pytest.raises(CsvLoadError) as raised:
        read_csv_export(bad, FIRST_LOAD)
    assert str(raised.value) == (
        f'{bad} line 23, column "location_city": "M\ufffdnchen" is not UTF-8 text; save the export as UTF-8'
    )


# ----------------------------------------------------------------------------- append


def test_append_adds_events_and_upserts_users(con: duckdb.DuckDBPyConnection) -> None:
    load_csv(con, SAMPLE, loaded_at=FIRST_LOAD)
    # Something the CSV format does not carry, as another loader might have set it.
    con.execute("update raw.users set company = 'Initech' where user_id = 'u002'")
    before_users = users_by_id(con)

    with pytest.warns(csv_loader.CsvLoadWarning):
        written = load_csv(con, APPEND, append=True, loaded_at=SECOND_LOAD)

    assert written == {"events": 4, "users": 5}
    events = rows(con, "select * from raw.events order by rowid")
    assert len(events) == 34
    assert [e["event_id"] for e in events][-4:] == ["e100", "e101", "e102", "e103"]
    assert {e["loaded_at"] for e in events[:30]} == {FIRST_LOAD}
    assert {e["loaded_at"] for e in events[30:]} == {SECOND_LOAD}

    users = users_by_id(con)
    assert sorted(users) == ["u001", "u002", "u003", "u004", "u005"]
    assert con.execute("select count(*) from raw.users").fetchone() == (5,)
    # Users not in the new file are untouched.
    for user_id in ("u001", "u003", "u004"):
        assert users[user_id] == before_users[user_id]
    bob = users["u002"]
    assert bob["account_balance_usd"] == 120.0
    assert bob["city"] == "Dallas"
    assert (bob["recent_pages_viewed"], bob["recent_pricing_views"]) == (5, 2)
    assert bob["loaded_at"] == SECOND_LOAD
    assert bob["company"] == "Initech"  # not in the file: kept
    assert bob["created_at"] == datetime(2024, 3, 1, 10, 0)  # first seen in the earlier load
    # Most frequent device over all of bob's events: 4 mobile before, 1 + 2 desktop.
    assert bob["primary_device"] == "mobile"
    erin = users["u005"]
    assert (erin["username"], erin["city"], erin["primary_device"]) == ("erin", "Oslo", "mobile")
    assert erin["loaded_at"] == SECOND_LOAD


def test_append_into_empty_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    written = load_csv(con, SAMPLE, append=True, loaded_at=FIRST_LOAD)

    assert written == {"events": 30, "users": 4}
    assert users_by_id(con)["u001"]["account_balance_usd"] == 1500.0


def test_replace_mode_replaces_both_tables(con: duckdb.DuckDBPyConnection) -> None:
    load_csv(con, SAMPLE, loaded_at=FIRST_LOAD)
    with pytest.warns(csv_loader.CsvLoadWarning):
        written = load_csv(con, APPEND, loaded_at=SECOND_LOAD)

    assert written == {"events": 4, "users": 2}
    assert sorted(users_by_id(con)) == ["u002", "u005"]
    assert users_by_id(con)["u002"]["primary_device"] == "desktop"
