"""The generated raw tables as Parquet files, for engines that read files (Spark, or any Parquet reader).

`python main.py --mode generate --format parquet [--path DIR]` writes DIR/users.parquet and
DIR/events.parquet (DIR defaults to $INTENT_RAW_PARQUET_DIR, else data/raw) with exactly the
columns and types of the raw contract (raw_schema.py) and the same rows the generator writes
into DuckDB for the same config. On Spark, the macro `create_spark_raw_tables` registers them
as the `raw.users` / `raw.events` sources.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from intent_scoring.generator import GeneratorConfig, generate_events, generate_users
from intent_scoring.raw_schema import EVENTS_SCHEMA, USERS_SCHEMA
from intent_scoring.warehouse import DATA_DIR, PROJECT_ROOT


def raw_parquet_dir() -> Path:
    """Where the raw Parquet files live: $INTENT_RAW_PARQUET_DIR, else data/raw in the repo."""
    configured = os.environ.get("INTENT_RAW_PARQUET_DIR")
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else PROJECT_ROOT / path
    return DATA_DIR / "raw"


def write_generated_parquet(config: GeneratorConfig, folder: Path | None = None) -> dict[str, int]:
    """Write users.parquet and events.parquet for `config` into `folder`; returns rows per table.

    Each file is written under a temporary name and renamed when complete, so a reader
    never sees a half-written file.
    """
    folder = folder or raw_parquet_dir()
    folder.mkdir(parents=True, exist_ok=True)
    users = generate_users(config)
    written: dict[str, int] = {}
    written["users"] = _write(folder / "users.parquet", USERS_SCHEMA, [users])
    written["events"] = _write(folder / "events.parquet", EVENTS_SCHEMA, generate_events(config, users))
    return written


def _write(path: Path, schema: pa.Schema, chunks: Iterable[pa.Table]) -> int:
    tmp = path.with_name(path.name + ".tmp")
    rows = 0
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            for chunk in chunks:
                table = chunk.cast(schema)
                writer.write_table(table)
                rows += table.num_rows
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return rows
