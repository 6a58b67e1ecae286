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
from intent_scoring.staged_files import StagedFiles
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

    Both files are written in full under temporary names and renamed into place only when
    both are complete, so a failure (in either) leaves the previous pair as it was, never a
    new users file beside old events, and removes the temporary files.
    """
    folder = folder or raw_parquet_dir()
    folder.mkdir(parents=True, exist_ok=True)
    users = generate_users(config)
    written: dict[str, int] = {}
    with StagedFiles() as staged:  # renamed into place only once both are complete
        written["users"] = _write(staged.temporary(folder / "users.parquet"), USERS_SCHEMA, [users])
        written["events"] = _write(
            staged.temporary(folder / "events.parquet"), EVENTS_SCHEMA, generate_events(config, users)
        )
    return written


def _write(path: Path, schema: pa.Schema, chunks: Iterable[pa.Table]) -> int:
    rows = 0
    with pq.ParquetWriter(path, schema) as writer:
        for chunk in chunks:
            table = chunk.cast(schema)
            writer.write_table(table)
            rows += table.num_rows
    return rows
