"""The raw Parquet pair is replaced together or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from intent_scoring import raw_parquet
from intent_scoring.generator import GeneratorConfig


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_writes_both_files_and_no_temporary_file(tmp_path: Path) -> None:
    written = raw_parquet.write_generated_parquet(GeneratorConfig(n_users=40, seed=1, days=20), tmp_path)
    assert sorted(_files(tmp_path)) == ["events.parquet", "users.parquet"]
    assert written == {"users": 40, "events": pq.read_metadata(tmp_path / "events.parquet").num_rows}


def test_failing_events_keep_the_previous_pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw_parquet.write_generated_parquet(GeneratorConfig(n_users=40, seed=1, days=20), tmp_path)
    before = _files(tmp_path)
    generate_events = raw_parquet.generate_events

    def events_that_fail_midway(config: GeneratorConfig, users: pa.Table) -> Iterator[pa.Table]:
        yield next(iter(generate_events(config, users)))
        raise MemoryError("events generation died")

    monkeypatch.setattr(raw_parquet, "generate_events", events_that_fail_midway)
    with pytest.raises(MemoryError):
        raw_parquet.write_generated_parquet(GeneratorConfig(n_users=60, seed=2, days=20), tmp_path)
    # the users of the failed run were not put beside the old events, and no temporary file is left
    assert _files(tmp_path) == before
