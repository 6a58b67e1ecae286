"""The benchmark on a small N: every stage runs (the dbt ones with their data tests), and the report holds them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

from intent_scoring.bench import RULE_STAGES, run_benchmark


def test_bench_times_every_stage_and_the_incremental_build(tmp_path: Path) -> None:
    markdown = run_benchmark(20_000, seed=5, include_ml=False, incremental=True, folder=tmp_path)

    summary = json.loads(markdown.with_suffix(".json").read_text())
    stages = {stage["stage"]: stage for stage in summary["stages"]}
    expected = [
        "generation", *(name for name, _ in RULE_STAGES), "floor: sort by (user, time)", "floor: group by user",
        "floor: sort by (user, time) into a table", "full rules build (one dbt build)",
        "append one day (generate --append --days 1)", "incremental rules build (one dbt build)",
    ]
    assert sorted(stages) == sorted(expected)
    for name, stage in stages.items():
        assert stage["seconds"] > 0, name
        if not name.startswith("floor"):
            assert stage["peak_rss_mb"] > 50, name  # a Python process with DuckDB loaded, not a missing value
    assert stages["full rules build (one dbt build)"]["node_seconds"] > 0
    full, incremental = (stages[f"{kind} rules build (one dbt build)"]["seconds"] for kind in ("full", "incremental"))
    assert summary["incremental_over_full"] == incremental / full
    for line in ("| generation |", "Sessionization (in dbt nodes) / sort floor:", "Incremental build / full build:"):
        assert line in markdown.read_text()
    # the DuckDB settings the run used are in the report
    assert summary["checkpoint_threshold"] == os.environ.get("INTENT_CHECKPOINT_THRESHOLD", "1GB")
    assert f"checkpoint_threshold={summary['checkpoint_threshold']}" in markdown.read_text()

    # the report counts the events it built; the incremental build scored the appended day too
    with duckdb.connect(str(tmp_path / "bench_20000.duckdb"), read_only=True) as con:
        raw_before = summary["events"]
        raw_after = con.execute("select count(*) from raw.events").fetchone()[0]
        latest_score_as_of, latest_event = con.execute(
            "select (select max(as_of) from marts.user_scores), (select max(event_at) from staging.stg_web__events)"
        ).fetchone()
    assert 0 < raw_after - raw_before < raw_before * 0.05
    assert latest_score_as_of == latest_event, "the incremental build scored as of the appended day"
