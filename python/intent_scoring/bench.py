"""Benchmark: time and peak memory of every pipeline stage on N generated events.

`python main.py --mode bench --events 1000000` (or `python bench/run.py --events ...`).
Each dbt stage runs in its own process so its peak RSS is its own; the floor
(DuckDB sorting the events by user and time, and grouping them by user) is
measured in the same run on the same data. Results: a markdown table printed
and written with a JSON copy under data/bench/.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from intent_scoring.warehouse import DATA_DIR, PROJECT_ROOT

# The rules build as it runs in production: ML excluded, data tests included, unit tests left to
# development and CI (their inputs are fixed rows, so a daily run would only repeat them; dbt's advice).
RULES_BUILD_SELECTION = ["--exclude", "tag:ml"]
RULES_BUILD = [*RULES_BUILD_SELECTION, "--exclude-resource-type", "unit_test"]
RULE_STAGES: list[tuple[str, list[list[str]]]] = [
    # dbt's own overhead: a cold parse (a new warehouse path changes the profile, so nothing is
    # reused), then the partial parse every later run does, then compiling every node
    ("dbt parse, cold (overhead)", [["parse"]]),
    ("dbt parse, partial (overhead)", [["parse"]]),
    ("dbt compile (overhead)", [["compile", *RULES_BUILD_SELECTION]]),
    ("staging", [["run", "--select", "staging"]]),
    ("sessionization", [["run", "--select", "int_events_sessionized"]]),
    ("sessions mart", [["run", "--select", "sessions"]]),
    ("user features", [["run", "--select", "int_feature_cutoffs", "int_sessions_spanning_cutoffs",
                        "int_user_days_rolled_up", "user_features"]]),
    ("scoring", [["seed"], ["run", "--select", "user_features+", "--exclude", "user_features", "tag:ml"]]),
    ("data tests", [["test", "--exclude", "tag:ml", "test_type:unit"]]),
]
ML_STAGES: list[tuple[str, list[list[str]]]] = [
    # the features at the past cutoffs and the labelled rows the model learns from (SQL)
    ("ml training set", [["run", "--select", "tag:ml", "--exclude", "ml_model_scores+"]]),
    # XGBoost and SHAP (the Python models) and what reads them: importance, metrics, backtest
    ("ml training + SHAP", [["run", "--select", "ml_model_scores+"]]),
]
SORT_FLOOR = "floor: sort by (user, time)"
TABLE_SORT_FLOOR = "floor: sort by (user, time) into a table"


@dataclass
class StageResult:
    stage: str
    seconds: float
    peak_rss_mb: float
    events_per_second: float
    node_seconds: float | None = None  # time inside dbt's nodes, without process start and parsing


def _run_child(code: str, env: dict[str, str]) -> tuple[float, float]:
    """Run python code in a child process; return (seconds, peak RSS in MB) of that child alone."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=PROJECT_ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"benchmark step failed: {code[:120]}")
    return seconds, usage.ru_maxrss / 1024


def _dbt_code(commands: list[list[str]]) -> str:
    return (
        "from intent_scoring.dbt_runner import run_dbt\n"
        + "".join(f"run_dbt({command!r}, quiet=True)\n" for command in commands)
    )


def _floor(env: dict[str, str], events: int) -> list[StageResult]:
    """The time DuckDB itself takes to sort the events by (user, time) and to group them by user."""
    code = (
        "import duckdb, os, time, json\n"
        "con = duckdb.connect(os.environ['INTENT_WAREHOUSE'])\n"
        "con.execute(f\"set threads = {os.environ['INTENT_DUCKDB_THREADS']}\")\n"
        "con.execute(f\"set memory_limit = '{os.environ['INTENT_MEMORY_LIMIT']}'\")\n"
        "con.execute(f\"set disabled_compression_methods = '{os.environ['INTENT_DUCKDB_DISABLED_COMPRESSION']}'\")\n"
        "out = {}\n"
        "t = time.perf_counter()\n"
        "con.execute('create or replace temp table floor_sorted as select * from staging.stg_web__events "
        "order by user_id, event_at, event_id')\n"
        "out['sort'] = time.perf_counter() - t\n"
        "t = time.perf_counter()\n"
        "con.execute('create or replace table main.floor_sorted_table as select * from staging.stg_web__events "
        "order by user_id, event_at, event_id')\n"
        "con.execute('drop table main.floor_sorted_table')\n"
        "out['sort_table'] = time.perf_counter() - t\n"
        "t = time.perf_counter()\n"
        "con.execute('create or replace temp table floor_grouped as select user_id, count(*) as n, "
        "min(event_at) as first_at, max(event_at) as last_at from staging.stg_web__events group by 1')\n"
        "out['group'] = time.perf_counter() - t\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=PROJECT_ROOT, capture_output=True,
                            text=True, check=True)
    timings = json.loads(result.stdout.strip().splitlines()[-1])
    return [
        StageResult(SORT_FLOOR, timings["sort"], float("nan"), events / timings["sort"]),
        StageResult("floor: group by user", timings["group"], float("nan"), events / timings["group"]),
        # what a model pays on top: writing the sorted events to a table in the warehouse file
        StageResult(TABLE_SORT_FLOOR, timings["sort_table"], float("nan"),
                    events / timings["sort_table"]),
    ]


def _node_seconds() -> float | None:
    """Execution time of the nodes of the last dbt command (from target/run_results.json)."""
    path = PROJECT_ROOT / "target" / "run_results.json"
    if not path.exists():
        return None
    return sum(result["execution_time"] for result in json.loads(path.read_text())["results"])


def _stage(name: str, code: str, env: dict[str, str], events: int) -> StageResult:
    (PROJECT_ROOT / "target" / "run_results.json").unlink(missing_ok=True)
    seconds, rss = _run_child(code, env)
    nodes = _node_seconds() if "run_dbt" in code else None
    print(f"  {name:<28} {seconds:8.2f} s  {rss:8.0f} MB", file=sys.stderr, flush=True)
    return StageResult(name, seconds, rss, events / seconds if seconds else float("nan"), nodes)


def run_benchmark(
    events: int, seed: int = 42, include_ml: bool = True, incremental: bool = False, folder: Path | None = None
) -> Path:
    """Generate `events` events, time every stage, write the report; returns the markdown path.

    incremental: afterwards append one day of events (about 1% more) and time the incremental
    rules build against the full one.
    """
    from intent_scoring.generator import n_users_for_events

    folder = folder or DATA_DIR / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    warehouse = folder / f"bench_{events}.duckdb"
    warehouse.unlink(missing_ok=True)
    env = {
        **os.environ,
        "INTENT_WAREHOUSE": str(warehouse),
        "PYTHONPATH": str(PROJECT_ROOT / "python"),
        "INTENT_DUCKDB_THREADS": os.environ.get("INTENT_DUCKDB_THREADS", str(os.cpu_count() or 2)),
        "INTENT_MEMORY_LIMIT": os.environ.get("INTENT_MEMORY_LIMIT", "6GB"),
        # the profile's default (profiles.yml): FSST off
        "INTENT_DUCKDB_DISABLED_COMPRESSION": os.environ.get("INTENT_DUCKDB_DISABLED_COMPRESSION", "fsst"),
        "INTENT_CHECKPOINT_THRESHOLD": os.environ.get("INTENT_CHECKPOINT_THRESHOLD", "1GB"),
    }
    n_users = n_users_for_events(events)
    print(f"benchmark: ~{events:,} events ({n_users:,} users), threads={env['INTENT_DUCKDB_THREADS']}, "
          f"memory_limit={env['INTENT_MEMORY_LIMIT']}, "
          f"disabled compression={env['INTENT_DUCKDB_DISABLED_COMPRESSION'] or 'none'}, "
          f"checkpoint_threshold={env['INTENT_CHECKPOINT_THRESHOLD']}", file=sys.stderr)
    results = [_stage("generation", (
        "from intent_scoring.generator import GeneratorConfig, write_generated\n"
        "from intent_scoring.warehouse import connect\n"
        f"con = connect()\nwrite_generated(con, GeneratorConfig(n_users={n_users}, seed={seed}))\ncon.close()\n"
    ), env, events)]
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        raw_events = con.execute("select count(*) from raw.events").fetchone()[0]
    for name, commands in RULE_STAGES:
        results.append(_stage(name, _dbt_code(commands), env, raw_events))
        if name == "staging":
            results.extend(_floor(env, raw_events))
    rules_total = sum(r.seconds for r in results if r.stage in {n for n, _ in RULE_STAGES})
    # --full-refresh: the stages above built the incremental models, and a full build must redo them
    results.append(_stage("full rules build (one dbt build)",
                          _dbt_code([["build", "--full-refresh", *RULES_BUILD]]), env, raw_events))
    if include_ml:
        for name, commands in ML_STAGES:
            results.append(_stage(name, _dbt_code(commands), env, raw_events))
    if incremental:
        results.extend(_incremental_stages(env, events, seed, warehouse))
    sort_floor = next(r.seconds for r in results if r.stage == SORT_FLOOR)
    table_floor = next(r.seconds for r in results if r.stage == TABLE_SORT_FLOOR)
    sessionization = next(r for r in results if r.stage == "sessionization")
    session_seconds = sessionization.node_seconds or sessionization.seconds
    full = next(r.seconds for r in results if r.stage.startswith("full rules build"))
    incremental_build = next((r.seconds for r in results if r.stage.startswith("incremental rules build")), None)
    summary = {
        "incremental_over_full": incremental_build / full if incremental_build else None,
        "events": raw_events, "users": n_users, "threads": env["INTENT_DUCKDB_THREADS"],
        "memory_limit": env["INTENT_MEMORY_LIMIT"],
        "disabled_compression": env["INTENT_DUCKDB_DISABLED_COMPRESSION"],
        "checkpoint_threshold": env["INTENT_CHECKPOINT_THRESHOLD"], "sum_of_rule_stages_seconds": rules_total,
        "sessionization_over_sort_floor": session_seconds / sort_floor,
        "sessionization_over_table_floor": session_seconds / table_floor,
        "stages": [asdict(r) for r in results],
    }
    return _write_report(folder, summary, results)


def _incremental_stages(env: dict[str, str], events: int, seed: int, warehouse: Path) -> list[StageResult]:
    """Append one day of new events (about 1% of the history) after the last loaded day, then time the
    incremental build. The day's load is `generate --append --days 1` for the same user ids and 20% new
    ones (the hidden archetypes are drawn again for the larger population; the build does not see them)."""
    import duckdb

    from intent_scoring.generator import n_users_for_events

    with duckdb.connect(str(warehouse), read_only=True) as con:
        # the last day with events that are not from clock-skewed clients (those lie in the future)
        before, latest = con.execute(
            "select count(*), max(event_at) filter (where event_at <= loaded_at)::date from raw.events"
        ).fetchone()
    users = max(1, n_users_for_events(events) * 6 // 5)
    end = latest + datetime.timedelta(days=1)
    results = [_stage("append one day (generate --append --days 1)", (
        "import datetime\n"
        "from intent_scoring.generator import GeneratorConfig, write_generated\n"
        "from intent_scoring.warehouse import connect\n"
        f"con = connect()\nwrite_generated(con, GeneratorConfig(n_users={users}, seed={seed}, days=1, "
        f"end_date=datetime.date.fromisoformat('{end}')), append=True)\ncon.close()\n"
    ), env, events // 100)]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        after = con.execute("select count(*) from raw.events").fetchone()[0]
    print(f"  appended {after - before:,} events ({(after - before) / before:.1%})", file=sys.stderr)
    # events/s of the append: the rows it wrote, known only now
    appended = results[0]
    appended.events_per_second = (after - before) / appended.seconds if appended.seconds else float("nan")
    results.append(_stage("incremental rules build (one dbt build)",
                          _dbt_code([["build", *RULES_BUILD]]), env, after - before))
    return results


def _write_report(folder: Path, summary: dict, results: list[StageResult]) -> Path:
    lines = [
        f"# Benchmark: {summary['events']:,} events, {summary['users']:,} users",
        "",
        f"DuckDB threads={summary['threads']}, memory_limit={summary['memory_limit']}, "
        f"disabled compression methods={summary.get('disabled_compression') or 'none'}, "
        f"checkpoint_threshold={summary.get('checkpoint_threshold', '1GB')}",
        "",
        "| stage | seconds | in dbt nodes | events/s | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        rss = "-" if r.peak_rss_mb != r.peak_rss_mb else f"{r.peak_rss_mb:,.0f}"
        nodes = "-" if r.node_seconds is None else f"{r.node_seconds:.2f}"
        lines.append(f"| {r.stage} | {r.seconds:.2f} | {nodes} | {r.events_per_second:,.0f} | {rss} |")
    lines += [
        "",
        "seconds: the whole stage (process start, dbt parse, queries); in dbt nodes: the queries alone, summed "
        "over dbt's threads (so it can exceed the wall time).",
        f"Sessionization (in dbt nodes) / sort floor: {summary['sessionization_over_sort_floor']:.2f}x "
        f"(/ sort floor written to a table: {summary['sessionization_over_table_floor']:.2f}x)",
        "",
    ]
    if summary.get("incremental_over_full"):
        lines += [f"Incremental build / full build: {summary['incremental_over_full']:.1%}", ""]
    markdown = folder / f"bench_{summary['events']}.md"
    markdown.write_text("\n".join(lines))
    (folder / f"bench_{summary['events']}.json").write_text(json.dumps(summary, indent=2))
    print("\n".join(lines))
    return markdown
