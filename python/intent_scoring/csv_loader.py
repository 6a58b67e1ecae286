"""Load an event export in the common assessment CSV format into the raw tables.

The format has one row per event and repeats the user's profile on every row::

    event_id,user_id,username,session_id,timestamp,event_type,location_city,device,
    is_repeat_session,session_number,account_balance_usd,recent_pages_viewed,
    recent_pricing_views,gender,time_on_page_sec,scroll_depth_pct,bounce_flag,spam_flag

Columns may come in any order. `page_path` (or `page_url`), `referrer` and
`utm_source` are used when present; any other column is ignored with a
`CsvLoadWarning`.

Parsing rules (the loader checks types only; the dbt staging layer judges meaning,
so unknown event types and duplicate event ids load as they are):

- `event_id`, `user_id` and `timestamp` must be non-empty in every row.
- `timestamp` is ISO 8601: `YYYY-MM-DD`, optionally followed by `T` (or a space),
  `hh`, optional `:mm`, optional `:ss`, optional fraction (kept to the microsecond,
  extra digits truncated) and an optional zone `Z`, `+hh`, `+hhmm` or `+hh:mm`. Without a zone
  it is UTC; with one it is converted to UTC. Stored as naive UTC.
- Every other column may be empty, which loads as null. Numbers may have a sign,
  a fraction and an exponent, but must be finite; whole-number columns also accept
  `3.0`. Booleans are true/false, 1/0 or yes/no in any letter case. Surrounding
  spaces are ignored when parsing numbers, booleans and timestamps; text is kept as is.
- Lines that are completely empty (every field empty) are skipped.

Users (`raw.users`) get one row per user_id. Per-user columns take the latest
non-empty value, latest meaning the greatest timestamp, then the later row in the
file. `primary_device` is the user's most frequent device (ties go to the device
used latest). `created_at` is the user's first event timestamp. Company, job title,
country and timezone are not in the format and stay null.

With append=True events are appended and users upserted: a user in the file gets
the file's values, keeps existing values the file leaves empty (company, ...), the
earlier created_at, and a primary_device recounted over all their events.

Errors (`CsvLoadError`) name the file, the 1-based physical line in the file (the
header is line 1; quoted values spanning lines and blank lines are counted) and the
column, plus how many more problems the file has. A row with the wrong number of
fields is an error too. The whole file is validated before anything is written, and
the write is one transaction, so a bad file loads nothing.
"""

from __future__ import annotations

import csv
import io
import sys
import uuid
import warnings
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from intent_scoring.raw_schema import EVENTS_SCHEMA, RAW_SCHEMA, USERS_SCHEMA
from intent_scoring.warehouse import write_raw_tables

__all__ = [
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "CsvLoadError",
    "CsvLoadWarning",
    "load_csv",
    "read_csv_export",
]

REQUIRED_COLUMNS: tuple[str, ...] = (
    "event_id",
    "user_id",
    "username",
    "session_id",
    "timestamp",
    "event_type",
    "location_city",
    "device",
    "is_repeat_session",
    "session_number",
    "account_balance_usd",
    "recent_pages_viewed",
    "recent_pricing_views",
    "gender",
    "time_on_page_sec",
    "scroll_depth_pct",
    "bounce_flag",
    "spam_flag",
)
# Used when present. If both page_path and page_url are there, page_path wins.
OPTIONAL_COLUMNS: tuple[str, ...] = ("page_path", "page_url", "referrer", "utm_source")

# How each known column is parsed.
_KINDS: dict[str, str] = {
    "event_id": "id",
    "user_id": "id",
    "timestamp": "timestamp",
    "is_repeat_session": "bool",
    "bounce_flag": "bool",
    "spam_flag": "bool",
    "session_number": "int",
    "recent_pages_viewed": "int",
    "recent_pricing_views": "int",
    "account_balance_usd": "float",
    "time_on_page_sec": "float",
    "scroll_depth_pct": "float",
}  # everything else: text, empty -> null

_TRUE = pa.array(["true", "1", "yes"])
_FALSE = pa.array(["false", "0", "no"])
_FLOAT_RE = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_INT_RE = r"^[+-]?\d{1,18}(?:\.0*)?$"
_TIMESTAMP_RE = (
    r"^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2})(?::(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,9}))?)?)?"
    r"(?:Z|(?P<zs>[+-])(?P<zh>\d{2})(?::?(?P<zm>\d{2}))?)?)?$"
)
_ZONE_SUFFIX_RE = r"[T ]\d{2}.*(?:Z|[+-]\d{2}(?::?\d{2})?)$"
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_US_PER_SEC = 1_000_000
_YEAR_ONE_US = -62_135_596_800 * _US_PER_SEC  # 0001-01-01T00:00:00
_BLOCK_SIZE = 8 << 20


class CsvLoadError(ValueError):
    """A CSV export that cannot be loaded; the message names file, line and column."""


class CsvLoadWarning(UserWarning):
    """Something in a CSV export that was skipped but did not stop the load."""


# --------------------------------------------------------------------------- parsing


@dataclass
class _Parsed:
    """One column of a batch parsed: typed values and which rows are invalid."""

    values: pa.Array
    bad: np.ndarray  # bool per row
    reason: str  # message for a bad value, with {value} in it


def _mask(array: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _empty_to_null(raw: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(raw, ""), pa.scalar(None, pa.string()), raw)


def _parse_text(raw: pa.Array) -> _Parsed:
    return _Parsed(_empty_to_null(raw), np.zeros(len(raw), dtype=bool), "")


def _parse_id(raw: pa.Array) -> _Parsed:
    blank = _mask(pc.equal(pc.utf8_trim_whitespace(raw), ""))
    return _Parsed(raw, blank, "empty value; every row needs one")


def _parse_float(raw: pa.Array) -> _Parsed:
    text = pc.utf8_trim_whitespace(raw)
    empty = pc.equal(text, "")
    shaped = pc.match_substring_regex(text, _FLOAT_RE)
    values = pc.cast(pc.if_else(shaped, text, "0"), pa.float64())
    ok = pc.and_(shaped, pc.is_finite(values))
    bad = _mask(pc.and_not(pc.invert(ok), empty))
    return _Parsed(
        pc.if_else(ok, values, pa.scalar(None, pa.float64())), bad, 'cannot parse "{value}" as a number'
    )


def _parse_int(raw: pa.Array) -> _Parsed:
    text = pc.utf8_trim_whitespace(raw)
    empty = pc.equal(text, "")
    ok = pc.match_substring_regex(text, _INT_RE)
    digits = pc.replace_substring_regex(pc.if_else(ok, text, "0"), r"^\+|\.0*$", "")
    values = pc.cast(digits, pa.int64())
    bad = _mask(pc.and_not(pc.invert(ok), empty))
    return _Parsed(
        pc.if_else(ok, values, pa.scalar(None, pa.int64())), bad, 'cannot parse "{value}" as a whole number'
    )


def _parse_bool(raw: pa.Array) -> _Parsed:
    text = pc.utf8_lower(pc.utf8_trim_whitespace(raw))
    is_true = pc.is_in(text, value_set=_TRUE)
    is_false = pc.is_in(text, value_set=_FALSE)
    bad = _mask(pc.and_not(pc.invert(pc.or_(is_true, is_false)), pc.equal(text, "")))
    values = pc.if_else(is_true, True, pc.if_else(is_false, False, pa.scalar(None, pa.bool_())))
    return _Parsed(values, bad, 'cannot parse "{value}" as a boolean (expected true/false, 1/0 or yes/no)')


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 for proleptic Gregorian dates (vectorized)."""
    y = y - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * np.where(m > 2, m - 3, m + 9) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _arrow_timestamps(text: pa.Array) -> pa.Array | None:
    """Fast path: Arrow's own ISO 8601 casts, naive values and values with a zone cast separately.

    Arrow accepts a subset of what the full parser below accepts (year 0 excluded
    here) and gives the same values; if any value fails this returns None.
    """
    naive_type, utc_type = pa.timestamp("us"), pa.timestamp("us", "UTC")
    try:
        values = pc.cast(text, naive_type)
    except pa.ArrowInvalid:
        zoned = pc.match_substring_regex(text, _ZONE_SUFFIX_RE)
        try:
            naive_part = pc.cast(pc.filter(text, pc.invert(zoned)), naive_type)
            zoned_part = pc.cast(pc.cast(pc.filter(text, zoned), utc_type), naive_type)
        except pa.ArrowInvalid:
            return None
        values = pc.replace_with_mask(pa.nulls(len(text), naive_type), pc.invert(zoned), naive_part)
        values = pc.replace_with_mask(values, zoned, zoned_part)
    earliest = pc.min(values.cast(pa.int64())).as_py()
    if earliest is not None and earliest < _YEAR_ONE_US:
        return None
    return values


def _parse_timestamp(raw: pa.Array) -> _Parsed:
    text = pc.utf8_trim_whitespace(raw)
    reason = 'cannot parse "{value}" as an ISO 8601 timestamp'
    fast = _arrow_timestamps(text)
    if fast is not None:
        return _Parsed(fast, np.zeros(len(text), dtype=bool), reason)
    parts = pc.extract_regex(text, _TIMESTAMP_RE)
    matched = np.asarray(parts.is_valid().to_numpy(zero_copy_only=False), dtype=bool)

    def number(name: str, pad_to: int = 0) -> np.ndarray:
        part = parts.field(name)
        if pad_to:
            part = pc.utf8_rpad(part, pad_to, "0")
        part = pc.binary_join_element_wise("0", part, "")  # "" -> "0", "07" -> "007"
        return np.asarray(pc.cast(part, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)

    y, mo, d = number("y"), number("mo"), number("d")
    h, mi, s = number("h"), number("mi"), number("s")
    frac_ns = number("f", pad_to=9)
    zh, zm = number("zh"), number("zm")
    zone_sign = np.where(_mask(pc.equal(parts.field("zs"), "-")), -1, 1)

    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    month_ok = (mo >= 1) & (mo <= 12)
    dim = _DAYS_IN_MONTH[np.where(month_ok, mo, 0)] + ((mo == 2) & leap)
    ok = (
        matched
        & (y >= 1)
        & month_ok
        & (d >= 1)
        & (d <= dim)
        & (h <= 23)
        & (mi <= 59)
        & (s <= 59)
        & (zh <= 23)
        & (zm <= 59)
    )
    days = _days_from_civil(y, np.where(ok, mo, 1), d)
    seconds = days * 86_400 + h * 3_600 + mi * 60 + s - zone_sign * (zh * 3_600 + zm * 60)
    micros = seconds * _US_PER_SEC + frac_ns // 1_000
    values = pa.array(np.where(ok, micros, 0), type=pa.timestamp("us"), mask=~ok)
    return _Parsed(values, ~ok, reason)


def _parse(name: str, raw: pa.Array) -> _Parsed:
    kind = _KINDS.get(name, "text")
    if kind == "id":
        return _parse_id(raw)
    if kind == "timestamp":
        return _parse_timestamp(raw)
    if kind == "float":
        return _parse_float(raw)
    if kind == "int":
        return _parse_int(raw)
    if kind == "bool":
        return _parse_bool(raw)
    return _parse_text(raw)


# --------------------------------------------------------------------------- scanning


@dataclass
class _Problem:
    """The first bad value found so far, by position among data rows."""

    row: int  # 0-based index among the data rows Arrow returned
    column_position: int
    column: str
    value: str
    reason: str


@dataclass
class _Scan:
    """State while reading a file batch by batch."""

    path: Path
    header: list[str]
    positions: dict[str, int]  # known column -> position in the header
    loaded_at: datetime
    rows: int = 0
    data_rows: int = 0
    bad_values: int = 0
    first: _Problem | None = None
    # Rows Arrow could not split into the header's number of fields: (record, fields, newlines).
    malformed: list[tuple[int, int, int]] = field(default_factory=list)
    # Rows whose values contain line breaks: (row index, line breaks), to map rows to lines.
    multiline_rows: list[np.ndarray] = field(default_factory=list)
    multiline_counts: list[np.ndarray] = field(default_factory=list)
    events: list[pa.RecordBatch] = field(default_factory=list)
    user_rows: list[pa.RecordBatch] = field(default_factory=list)
    # Set when Arrow could not pass a row with the wrong number of fields to on_invalid_row.
    undecodable_row: bool = False

    def on_invalid_row(self, row: pa_csv.InvalidRow) -> str:
        """Arrow callback for a row with the wrong number of fields: remember it, skip it.

        pyarrow decodes the row's text as strict UTF-8 before calling this; when that fails
        this is never called (see `_noting_undecodable_rows`).
        """
        self.malformed.append((row.number or 0, row.actual_columns, row.text.count("\n")))
        return "skip"

    def add(self, batch: pa.RecordBatch) -> None:
        """Validate one batch; keep its typed rows while the file has no problem yet."""
        n = batch.num_rows
        columns = batch.columns
        self._count_line_breaks(columns)
        blank = np.zeros(n, dtype=bool)
        event_id = columns[self.positions["event_id"]]
        if pc.any(pc.equal(event_id, "")).as_py():
            blank = _mask(pc.equal(event_id, ""))
            for column in columns:
                blank &= _mask(pc.equal(column, ""))
        keep = ~blank
        parsed: dict[str, _Parsed] = {}
        for name, position in sorted(self.positions.items(), key=lambda item: item[1]):
            result = _parse(name, columns[position])
            result.bad &= keep
            parsed[name] = result
            bad_count = int(result.bad.sum())
            if bad_count:
                self.bad_values += bad_count
                row = self.rows + int(np.argmax(result.bad))
                if self.first is None or (row, position) < (self.first.row, self.first.column_position):
                    value = columns[position][int(np.argmax(result.bad))].as_py()
                    self.first = _Problem(row, position, name, value, result.reason)
        self.rows += n
        self.data_rows += int(keep.sum())
        if self.first is None and not self.malformed:
            self._keep(parsed, keep)

    def _count_line_breaks(self, columns: list[pa.Array]) -> None:
        total: np.ndarray | None = None
        for column in columns:
            if pc.any(pc.match_substring(column, "\n")).as_py():
                counts = np.asarray(pc.count_substring(column, "\n").to_numpy(zero_copy_only=False))
                total = counts if total is None else total + counts
        if total is not None:
            rows = np.flatnonzero(total)
            self.multiline_rows.append(rows + self.rows)
            self.multiline_counts.append(total[rows])

    def _keep(self, parsed: dict[str, _Parsed], keep: np.ndarray) -> None:
        n = int(keep.sum())

        def col(name: str) -> pa.Array:
            return parsed[name].values if name in parsed else pa.nulls(len(keep), pa.string())

        page = "page_path" if "page_path" in parsed else "page_url"
        loaded_at = pa.repeat(pa.scalar(self.loaded_at, pa.timestamp("us")), len(keep))
        events = pa.RecordBatch.from_arrays(
            [
                col("event_id"),
                col("user_id"),
                col("timestamp"),
                col("event_type"),
                col(page),
                col("referrer"),
                col("utm_source"),
                col("device"),
                col("session_id"),
                col("time_on_page_sec"),
                col("scroll_depth_pct"),
                loaded_at,
                col("is_repeat_session"),
                col("session_number"),
                col("bounce_flag"),
                col("spam_flag"),
            ],
            schema=EVENTS_SCHEMA,
        )
        position = pa.array(np.arange(self.data_rows - n, self.data_rows, dtype=np.int64))
        users = pa.RecordBatch.from_arrays(
            [
                col("user_id"),
                col("username"),
                col("location_city"),
                col("gender"),
                col("account_balance_usd"),
                col("recent_pages_viewed"),
                col("recent_pricing_views"),
                col("device"),
                col("timestamp"),
            ],
            names=[
                "user_id",
                "username",
                "city",
                "gender",
                "account_balance_usd",
                "recent_pages_viewed",
                "recent_pricing_views",
                "device",
                "event_at",
            ],
        )
        if n != len(keep):
            events = events.filter(pa.array(keep))
            users = users.filter(pa.array(keep))
        self.events.append(events)
        self.user_rows.append(users.append_column("_pos", position))

    # ------------------------------------------------------------------ errors

    def _records_of_rows(self, rows: np.ndarray) -> np.ndarray:
        """CSV record numbers (header = 1) of data rows, allowing for skipped malformed rows."""
        skipped = np.sort(np.array([m[0] for m in self.malformed], dtype=np.int64))
        shifted = skipped - np.arange(len(skipped))
        return rows + 2 + np.searchsorted(shifted, rows + 2, side="right")

    def _line_of_record(self, record: int) -> int:
        """Physical line of a record: its number plus line breaks inside earlier quoted values."""
        breaks = sum(count for number, _, count in self.malformed if number < record)
        if self.multiline_rows:
            records = self._records_of_rows(np.concatenate(self.multiline_rows))
            counts = np.concatenate(self.multiline_counts)
            breaks += int(counts[records < record].sum())
        return record + breaks

    def error(self, count_more: bool = True) -> CsvLoadError | None:
        """The first problem in the file as an exception, or None if there is none."""
        candidates: list[tuple[int, str]] = []
        if self.first is not None:
            shown = self.first.value.replace("\r", "\\r").replace("\n", "\\n")
            if len(shown) > 80:
                shown = shown[:77] + "..."
            if not self.first.value.strip():  # only required columns reject empty values
                reason = "empty value; every row needs one"
            else:
                reason = self.first.reason.replace("{value}", shown)
            record = int(self._records_of_rows(np.array([self.first.row], dtype=np.int64))[0])
            candidates.append((record, f', column "{self.first.column}": {reason}'))
        if self.malformed:
            record, found, _ = min(self.malformed)
            candidates.append(
                (record, f": expected {len(self.header)} fields as in the header, found {found}")
            )
        if not candidates:
            return None
        record, detail = min(candidates)
        more = self.bad_values + len(self.malformed) - 1 if count_more else 0
        suffix = f" ({more} more problem{'s' if more != 1 else ''} in the file)" if more else ""
        return CsvLoadError(f"{self.path} line {self._line_of_record(record)}{detail}{suffix}")


# --------------------------------------------------------------------------- reading


def _read_header(path: Path) -> list[str]:
    try:
        # surrogateescape: bytes after the header that are not UTF-8 are reported later, with their line.
        with path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
            header = next(csv.reader(handle), None)
    except FileNotFoundError as error:
        raise CsvLoadError(f"{path}: no such file") from error
    except IsADirectoryError as error:
        raise CsvLoadError(f"{path}: is a directory, not a CSV file") from error
    except csv.Error as error:
        raise CsvLoadError(f"{path} line 1: cannot read the header: {error}") from error
    if header is None:
        raise CsvLoadError(f"{path}: the file is empty; expected a header line naming the columns")
    if not any(name.strip() for name in header):
        raise CsvLoadError(f"{path} line 1: the header line is empty; expected the column names")
    try:
        "".join(header).encode("utf-8")
    except UnicodeEncodeError as error:
        raise CsvLoadError(
            f"{path} line 1: the header is not UTF-8 text; save the export as UTF-8"
        ) from error
    return header


def _check_header(path: Path, header: list[str]) -> dict[str, int]:
    """Known column -> position; raises for missing or repeated columns, warns about extras."""
    names = [name.strip() for name in header]
    positions: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in REQUIRED_COLUMNS or name in OPTIONAL_COLUMNS:
            if name in positions:
                raise CsvLoadError(f'{path} line 1, column "{name}": appears more than once in the header')
            positions[name] = position
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        others = ", ".join(f'"{name}"' for name in missing[1:])
        also = f"; also missing: {others}" if others else ""
        raise CsvLoadError(
            f'{path} line 1, column "{missing[0]}": required column is missing from the header{also}'
        )
    if "page_path" in positions and "page_url" in positions:
        del positions["page_url"]
        warnings.warn(
            f"{path}: both page_path and page_url present; using page_path", CsvLoadWarning, stacklevel=3
        )
    extra = [name for name in names if name not in positions and name != "page_url"]
    if extra:
        listed = ", ".join(f'"{name}"' for name in extra)
        warnings.warn(
            f"{path}: ignoring columns not in the event format: {listed}", CsvLoadWarning, stacklevel=3
        )
    return positions


def _utc_naive(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _latest(column: str) -> str:
    """SQL: the column's latest non-null value by (timestamp, file row)."""
    return (
        f"arg_max(r.{column}, struct_pack(t := r.event_at, p := r._pos)) "
        f"filter (where r.{column} is not null) as {column}"
    )


_USERS_SQL = f"""
with rows as (select * from _csv_user_rows),
devices as (
    select user_id, device, count(*) as n, max(struct_pack(t := event_at, p := _pos)) as last_seen
    from rows where device is not null group by user_id, device
),
primary_devices as (
    select user_id, arg_max(device, struct_pack(n := n, last_seen := last_seen)) as primary_device
    from devices group by user_id
)
select
    r.user_id,
    {_latest("username")},
    null::varchar as company,
    null::varchar as job_title,
    null::varchar as country,
    {_latest("city")},
    null::varchar as timezone,
    any_value(d.primary_device) as primary_device,
    {_latest("gender")},
    {_latest("account_balance_usd")},
    {_latest("recent_pages_viewed")},
    {_latest("recent_pricing_views")},
    min(r.event_at) as created_at,
    $loaded_at::timestamp as loaded_at
from rows r left join primary_devices d on d.user_id = r.user_id
group by r.user_id
order by min(r._pos)
"""


def _build_users(user_rows: pa.Table, loaded_at: datetime) -> pa.Table:
    con = duckdb.connect()
    try:
        con.register("_csv_user_rows", user_rows)
        users = con.execute(_USERS_SQL, {"loaded_at": loaded_at}).to_arrow_table()
    finally:
        con.close()
    return users.cast(USERS_SCHEMA)


def _open_csv(
    path: Path | io.RawIOBase, header: list[str], scan: _Scan, value_type: pa.DataType
) -> pa_csv.CSVStreamingReader:
    """Stream the file in batches, every column as `value_type`, in file order (for line numbers)."""
    return pa_csv.open_csv(
        path,
        read_options=pa_csv.ReadOptions(use_threads=False, block_size=_BLOCK_SIZE),
        parse_options=pa_csv.ParseOptions(
            newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=scan.on_invalid_row
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(header, value_type), strings_can_be_null=False
        ),
    )


def _first_invalid_utf8(values: pa.Array) -> int | None:
    """Index of the first value that is not valid UTF-8 (bisecting with Arrow's validating cast)."""
    try:
        values.cast(pa.string())
        return None
    except pa.ArrowInvalid:
        pass
    low, high = 0, len(values)  # the first invalid value is in values[low:high]
    while high - low > 1:
        middle = (low + high) // 2
        try:
            values[low:middle].cast(pa.string())
            low = middle
        except pa.ArrowInvalid:
            high = middle
    return low


@contextmanager
def _noting_undecodable_rows(scan: _Scan) -> Iterator[None]:
    """Note, instead of printing, pyarrow failing to decode a malformed row's text for the handler.

    The failure happens in pyarrow before `scan.on_invalid_row` is called, so Python would
    print "Exception ignored in: ..." and Arrow raise a bare parse error. Other unraisable
    exceptions go to the previous hook.
    """
    previous = sys.unraisablehook

    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        if unraisable.object == scan.on_invalid_row and isinstance(unraisable.exc_value, UnicodeDecodeError):
            scan.undecodable_row = True
        else:
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


class _Utf8Replaced(io.RawIOBase):
    """A file's bytes with every sequence that is not UTF-8 replaced by U+FFFD.

    Only bytes of 0x80 and above are replaced, so every delimiter, quote and line break
    stays where it was: Arrow splits the stream into the same records and fields.
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._text = path.open(encoding="utf-8", errors="replace", newline="")
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:
        while not self._pending:
            chunk = self._text.read(1 << 16)
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8")
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._text.close()
        super().close()


def _undecodable_row_error(path: Path, header: list[str], positions: dict[str, int]) -> CsvLoadError:
    """Second pass over a file with a malformed row that is not UTF-8, which Arrow cannot report.

    Scans the file with undecodable bytes replaced (same records, fields and lines), so the
    error is the usual one: the first problem with its line, and the count of the rest.
    """
    scan = _Scan(path=path, header=header, positions=positions, loaded_at=datetime.now())
    with _Utf8Replaced(path) as source:
        try:
            for batch in _open_csv(source, header, scan, pa.string()):
                scan.add(batch)
        except pa.ArrowInvalid as error:
            problem = scan.error()
            if problem is None:
                return CsvLoadError(f"{path}: cannot read the file as CSV: {error}")
            return problem
    return scan.error() or CsvLoadError(f"{path}: a row has the wrong number of fields and is not UTF-8 text")


def _utf8_error(path: Path, header: list[str], positions: dict[str, int]) -> CsvLoadError:
    """Second pass over a file that is not UTF-8: locate the first undecodable value."""
    scan = _Scan(path=path, header=header, positions=positions, loaded_at=datetime.now())
    for batch in _open_csv(path, header, scan, pa.binary()):
        scan._count_line_breaks(batch.columns)
        found = [
            (row, position)
            for position, column in enumerate(batch.columns)
            if (row := _first_invalid_utf8(column)) is not None
        ]
        if found:
            row, position = min(found)
            value = batch.column(position)[row].as_py().decode("utf-8", errors="replace")
            reason = '"{value}" is not UTF-8 text; save the export as UTF-8'
            scan.first = _Problem(scan.rows + row, position, header[position].strip(), value, reason)
            break
        scan.rows += batch.num_rows
    return scan.error(count_more=False) or CsvLoadError(f"{path}: the file is not UTF-8 text")


def read_csv_export(path: Path, loaded_at: datetime | None = None) -> tuple[pa.Table, pa.Table]:
    """Read and validate an assessment-format CSV export; return (users, events) tables.

    Both tables follow the raw contract (USERS_SCHEMA, EVENTS_SCHEMA). `loaded_at`
    (naive = UTC; default now, to the second) fills their loaded_at column. Raises
    CsvLoadError naming the file, line and column of the first problem (and how many
    more there are) when anything in the file cannot be parsed.
    """
    path = Path(path)
    loaded_at = _utc_naive(loaded_at)
    header = _read_header(path)
    positions = _check_header(path, header)
    scan = _Scan(path=path, header=header, positions=positions, loaded_at=loaded_at)
    try:
        with _noting_undecodable_rows(scan):
            reader = _open_csv(path, header, scan, pa.string())
            if [name.strip() for name in reader.schema.names] != [name.strip() for name in header]:
                raise CsvLoadError(f"{path} line 1: cannot read the header consistently; check its quoting")
            for batch in reader:
                scan.add(batch)
    except pa.ArrowInvalid as error:
        if scan.undecodable_row:
            raise _undecodable_row_error(path, header, positions) from error
        if "utf8" in str(error).lower():
            raise _utf8_error(path, header, positions) from error
        raise CsvLoadError(f"{path}: cannot read the file as CSV: {error}") from error
    problem = scan.error()
    if problem is not None:
        raise problem
    if scan.data_rows == 0:
        raise CsvLoadError(f"{path}: no data rows after the header line; nothing to load")
    events = pa.Table.from_batches(scan.events, schema=EVENTS_SCHEMA)
    users = _build_users(pa.Table.from_batches(scan.user_rows), loaded_at)
    return users, events


# --------------------------------------------------------------------------- writing


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = con.execute(
        "select count(*) from duckdb_tables() "
        "where database_name = current_database() and schema_name = ? and table_name = ?",
        [RAW_SCHEMA, name],
    ).fetchone()
    return bool(found and found[0])


def _upserted_users(con: duckdb.DuckDBPyConnection, users: pa.Table, events: pa.Table) -> pa.Table:
    """The whole users table after upserting `users` into the existing raw.users.

    A user in the file replaces their existing row: values from the file win, a value
    the file leaves empty (company, job title, ...) keeps the existing one, created_at
    is the earlier of the two, and primary_device is recomputed over the user's events
    already in raw.events plus the new ones. Users not in the file are kept as they are.
    """
    suffix = uuid.uuid4().hex[:12]
    new_users, new_events = f"_csv_new_users_{suffix}", f"_csv_new_events_{suffix}"
    has_users = _table_exists(con, "users")
    has_events = _table_exists(con, "events")
    old_users = f"{RAW_SCHEMA}.users" if has_users else f"(select * from {new_users} limit 0)"
    old_device_rows = (
        f"select user_id, device, event_at, 0 as src, 0::bigint as pos from {RAW_SCHEMA}.events "
        f"where device is not null and user_id in (select user_id from {new_users})"
        if has_events
        else "select null::varchar as user_id, null::varchar as device, null::timestamp as event_at, "
        "0 as src, 0::bigint as pos where false"
    )
    columns = [f.name for f in USERS_SCHEMA]

    def merged(name: str) -> str:
        if name == "user_id":
            return "n.user_id"
        if name == "created_at":
            return "least(n.created_at, o.created_at) as created_at"
        if name == "loaded_at":
            return "n.loaded_at"
        if name == "primary_device":
            return "coalesce(p.primary_device, n.primary_device, o.primary_device) as primary_device"
        return f"coalesce(n.{name}, o.{name}) as {name}"

    sql = f"""
    with old_match as (
        select * from {old_users} where user_id in (select user_id from {new_users})
        qualify row_number() over (partition by user_id order by loaded_at desc nulls last) = 1
    ),
    device_rows as (
        {old_device_rows}
        union all
        select user_id, device, event_at, 1 as src, _pos as pos from {new_events} where device is not null
    ),
    devices as (
        select user_id, device, count(*) as n,
            max(struct_pack(t := event_at, s := src, p := pos)) as last_seen
        from device_rows group by user_id, device
    ),
    primary_devices as (
        select user_id, arg_max(device, struct_pack(n := n, last_seen := last_seen)) as primary_device
        from devices group by user_id
    ),
    kept as (
        select {", ".join(columns)}, 0 as part, row_number() over () as ord
        from {old_users} o where not exists (select 1 from {new_users} n where n.user_id = o.user_id)
    ),
    upserted as (
        select {", ".join(merged(c) for c in columns)}, 1 as part, n._ord as ord
        from {new_users} n
        left join old_match o on o.user_id = n.user_id
        left join primary_devices p on p.user_id = n.user_id
    )
    select {", ".join(columns)} from (select * from kept union all by name select * from upserted)
    order by part, ord
    """
    indexed_users = users.append_column("_ord", pa.array(np.arange(users.num_rows, dtype=np.int64)))
    indexed_events = events.select(["user_id", "device", "event_at"]).append_column(
        "_pos", pa.array(np.arange(events.num_rows, dtype=np.int64))
    )
    con.register(new_users, indexed_users)
    con.register(new_events, indexed_events)
    try:
        result = con.execute(sql).to_arrow_table()
    finally:
        con.unregister(new_users)
        con.unregister(new_events)
    return result.cast(USERS_SCHEMA)


def load_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    append: bool = False,
    loaded_at: datetime | None = None,
) -> dict[str, int]:
    """Load an assessment-format CSV export into raw.events and raw.users.

    The file is validated completely first (CsvLoadError on the first problem) and
    then written in one transaction, so on any error the raw tables stay as they were.
    append=False replaces both tables. append=True adds the events and upserts the
    users (see `_upserted_users`); raw.users is rewritten as a whole in the same
    transaction. `loaded_at` (naive = UTC) defaults to now, truncated to the second.
    Returns rows written per table: new events, and all rows of the rewritten users table.
    """
    loaded_at = _utc_naive(loaded_at)
    users, events = read_csv_export(path, loaded_at)
    if append:
        users = _upserted_users(con, users, events)
        replace: Collection[str] = ("users",)
    else:
        replace = ()
    return write_raw_tables(con, {"events": [events], "users": [users]}, append=append, replace=replace)
