"""Where the warehouse lives, how to open it, and all-or-nothing writes to `raw`."""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

import duckdb
import pyarrow as pa

from intent_scoring.raw_schema import RAW_SCHEMA, TABLE_SCHEMAS, create_table_sql

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"


# Incremental models built from raw.events: when raw events are replaced (not appended)
# what they hold is stale, so they are dropped with the replacement and the next
# `dbt build` rebuilds them from scratch.
INCREMENTAL_TABLES = (
    "staging.base_web__events",
    "intermediate.int_events_sessionized",
    "intermediate.int_user_days_rolled_up",
    "marts.sessions",
    # the experiments' assignments: users of the replaced data are not those of the new
    "marts.experiment_assignments",
)


class WarehouseError(RuntimeError):
    """A problem with the warehouse file a user can act on (missing, locked)."""


def warehouse_path() -> Path:
    """The DuckDB file: $INTENT_WAREHOUSE, else data/warehouse.duckdb in the repo."""
    configured = os.environ.get("INTENT_WAREHOUSE")
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else PROJECT_ROOT / path
    return DATA_DIR / "warehouse.duckdb"


def _lock_message(path: Path, error: duckdb.Error) -> str:
    holder = re.search(r"PID (\d+)", str(error))
    who = f"process {holder.group(1)}" if holder else "another process"
    return (
        f"the warehouse {path} is locked by {who} (a SQL client or another run). "
        "Close that connection (or stop that process) and run the command again; "
        "read-only commands such as `rank` and `explain` can run beside each other."
    )


# Bytes 8-11 of every DuckDB database file.
_DUCKDB_MAGIC = b"DUCK"


def _check_is_database(path: Path) -> None:
    """Refuse a path that exists but is not a DuckDB file (DuckDB would open some, such as a
    .csv, as an empty in-memory database and let a build run into nowhere)."""
    if not path.exists():
        return
    if not path.is_file():
        raise WarehouseError(f"the warehouse path {path} (INTENT_WAREHOUSE) is not a file")
    try:
        with path.open("rb") as file:
            header = file.read(12)
    except OSError as error:
        raise WarehouseError(f"cannot read the warehouse {path} (INTENT_WAREHOUSE): {error.strerror}") from error
    if header[8:12] != _DUCKDB_MAGIC:  # an empty file too: DuckDB refuses it
        what = "is an empty file" if not header else "is not a DuckDB database file"
        raise WarehouseError(
            f"the warehouse path {path} (INTENT_WAREHOUSE) {what}; "
            "point INTENT_WAREHOUSE at a .duckdb file (a new path creates one)"
        )


def connect(
    read_only: bool = False, path: Path | None = None, must_exist: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse. Read-only opens (and must_exist ones: commands that only add to what a
    build made) fail clearly when it does not exist yet, rather than creating an empty file."""
    path = path or warehouse_path()
    if (read_only or must_exist) and not path.exists():
        raise WarehouseError(
            f"no warehouse at {path}: build it first with `python main.py --mode pipeline`"
        )
    _check_is_database(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A cap on DuckDB's own memory (it spills beyond it): keeps loads and the checkpoint
    # at close small. INTENT_MEMORY_LIMIT sets it, as for dbt.
    memory_limit = os.environ.get("INTENT_MEMORY_LIMIT", "1GB")
    try:
        return duckdb.connect(str(path), read_only=read_only, config={"memory_limit": memory_limit})
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise WarehouseError(_lock_message(path, error)) from error
        raise
    except (duckdb.ParserException, duckdb.InvalidInputException) as error:
        if "memory" in str(error).lower():
            raise WarehouseError(
                f"INTENT_MEMORY_LIMIT={memory_limit!r} is not a memory size like 6GB ({error})"
            ) from error
        raise


def write_raw_tables(
    con: duckdb.DuckDBPyConnection,
    tables: Mapping[str, Iterable[pa.RecordBatch | pa.Table]],
    append: bool = False,
    replace: Collection[str] = (),
) -> dict[str, int]:
    """Write raw tables in one transaction: all of them land, or none do.

    `tables` maps a raw table name ("events", "users") to chunks in the raw
    contract's schema. With append=False each table is replaced; with append=True
    rows are added, except to the tables named in `replace`, which are replaced
    even then (e.g. append events but rewrite an upserted users table).
    Returns rows written per table.
    """
    written: dict[str, int] = {}
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    con.execute("begin transaction")
    try:
        for name, chunks in tables.items():
            schema = TABLE_SCHEMAS[name]
            target = f"{RAW_SCHEMA}.{name}"
            if not append or name in replace:
                con.execute(f"drop table if exists {target}")
            if name == "events" and not append:
                for derived in INCREMENTAL_TABLES:
                    con.execute(f"drop table if exists {derived}")
            con.execute(create_table_sql(target, schema).replace("create table", "create table if not exists", 1))
            written[name] = 0
            for chunk in chunks:
                table = chunk if isinstance(chunk, pa.Table) else pa.Table.from_batches([chunk])
                batch = table.cast(schema)
                # from_arrow + insert_into frees each chunk as it goes; a registered view
                # would keep every chunk alive until commit (about 1.7 GB at 10M rows)
                con.from_arrow(batch).insert_into(target)
                written[name] += batch.num_rows
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return written
