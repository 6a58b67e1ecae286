"""Command-line interface: `python main.py --mode MODE ...` or `python -m intent_scoring`."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
import sys
import textwrap
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

MODES_HELP = textwrap.dedent(
    """\
    modes (each with an example):
      pipeline      generate demo data, dbt build, print the top users and a global explanation
                      python main.py --mode pipeline --n-users 5000 --seed 42
      generate      write synthetic raw.users / raw.events into the warehouse
                      python main.py --mode generate --n-users 5000 --seed 42 [--days 120] [--clean] [--append]
                    or as Parquet files for Spark and other engines (data/raw/{users,events}.parquet):
                      python main.py --mode generate --format parquet [--path data/raw]
      load-csv      load an export in the assessment CSV format into the raw tables (all or nothing)
                      python main.py --mode load-csv --path events.csv [--append]
      featurize     dbt build through marts.user_features (sessions and features, with tests)
                      python main.py --mode featurize
      score-rules   dbt build of the rule scores from seeds/weights.csv (user_scores, top_users, ...)
                      python main.py --mode score-rules [--weight-set default]
      rank          print the top N users and write data/top_users.csv
                      python main.py --mode rank --n 20
      explain       global explanation, or one user's full breakdown with --user-id
                      python main.py --mode explain [--user-id u000123]
      train         train the XGBoost model outside dbt (same code as the dbt Python models) and write
                    ml_model_scores, ml_feature_importance, ml_metrics and score_backtest
                      python main.py --mode train
      score-model   score users with the saved model; --compare also writes score_backtest and
                    score_comparison and prints rules vs model
                      python main.py --mode score-model --compare
      assign        assign users to treatment/control, stratified by intent label and score decile;
                    kept: a later run adds new users and never moves one already assigned
                      python main.py --mode assign --experiment spring_outreach [--treatment-share 0.5]
      bench         time every stage (generation, staging, sessionization, ..., ML) on N events, with peak memory
                      python main.py --mode bench --events 1000000 [--no-ml] [--incremental]
      export        write the marts as CSV (or --format parquet) files under data/
                      python main.py --mode export [--format parquet]
      serve         local read-only web dashboard and JSON API (/api/) over the marts
                      python main.py --mode serve [--host 127.0.0.1] [--port 8765]

    The warehouse is data/warehouse.duckdb unless INTENT_WAREHOUSE names another file.
    """
)


class UserError(Exception):
    """A mistake the user can fix; printed as one line, no traceback."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every mode."""
    parser = argparse.ArgumentParser(
        prog="python main.py",
        description="Explainable purchase-intent scoring with dbt and DuckDB.",
        epilog=MODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--mode", required=True, choices=sorted(MODES), help="what to run (see below)")
    parser.add_argument("--n-users", type=int, default=5000, help="generate/pipeline: number of users")
    parser.add_argument("--seed", type=int, default=42, help="generate/pipeline: random seed")
    parser.add_argument("--days", type=int, default=120, help="generate: length of the event window in days")
    parser.add_argument("--end-date", type=dt.date.fromisoformat, default=None,
                        help="generate: last day of the window (default: a fixed date, never the clock)")
    parser.add_argument("--clean", action="store_true", help="generate: no messy rows")
    parser.add_argument("--append", action="store_true", help="generate/load-csv: add to the raw tables")
    parser.add_argument("--path", type=Path, help="load-csv: the CSV file; generate --format parquet: the folder")
    parser.add_argument("--n", type=int, default=20, help="rank/pipeline: how many users to show")
    parser.add_argument("--user-id", type=_not_empty, help="explain: the user to explain")
    parser.add_argument("--weight-set", type=_not_empty, default=None,
                        help="score-rules/pipeline: weight set from seeds/weights.csv")
    parser.add_argument(
        "--as-of", type=_as_of, default=None,
        help="featurize/score-rules: point-in-time date, YYYY-MM-DD (default: latest event)",
    )
    parser.add_argument("--compare", action="store_true", help="score-model: compare with the rule scores")
    parser.add_argument("--experiment", type=_experiment_name,
                        help="assign: experiment name (salts the assignment): letters, digits, _ - .")
    parser.add_argument("--treatment-share", type=_treatment_share, default=0.5,
                        help="assign: share of users in treatment, between 0 and 1")
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv",
                        help="export: file format; generate: parquet writes Parquet files instead of the warehouse")
    parser.add_argument("--events", type=int, action="append",
                        help="bench: number of events (repeatable; default 1,000,000 and 10,000,000)")
    parser.add_argument("--no-ml", action="store_true", help="bench: skip the ML stage")
    parser.add_argument("--incremental", action="store_true",
                        help="bench: also append ~1%% new events and time the incremental build")
    parser.add_argument("--host", default="127.0.0.1", help="serve: address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="serve: port to listen on (default 8765)")
    return parser


def _as_of(text: str) -> str:
    """--as-of: a date, or a date and time (ISO 8601); checked here so a typo never reaches dbt."""
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text).isoformat()
        moment = dt.datetime.fromisoformat(text)
        if moment.tzinfo is not None:  # event times are naive UTC
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        return moment.isoformat(" ")
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-06-01: {text!r}") from None


def _not_empty(text: str) -> str:
    """An id or name option: an empty value would otherwise read as not given (and fall back silently)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def _experiment_name(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", text):
        raise argparse.ArgumentTypeError(f"use 1-64 letters, digits, '_', '-' or '.': {text!r}")
    return text


def _treatment_share(text: str) -> float:
    try:
        share = float(text)
    except ValueError:
        share = math.nan
    if not 0 < share < 1:
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 1 (exclusive): {text!r}")
    return share


def _dbt_vars(args: argparse.Namespace) -> list[str]:
    """`--vars` for dbt from the options that map to project vars."""
    import json

    values: dict[str, object] = {}
    if args.weight_set:
        values["weight_set"] = args.weight_set
    if args.as_of:
        values["as_of"] = args.as_of
    if args.experiment:
        values["experiment_name"] = args.experiment
        values["experiment_treatment_share"] = args.treatment_share
    return ["--vars", json.dumps(values)] if values else []


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _next_window_end(days: int) -> dt.date:
    """For --append without --end-date: the window right after the last day with events already loaded
    (ignoring clock-skewed rows stamped after their own load time, which lie in the future)."""
    import duckdb

    from intent_scoring.warehouse import connect

    try:
        with connect(read_only=True) as con:
            latest = con.execute(
                "select max(event_at) filter (where event_at <= loaded_at) from raw.events"
            ).fetchone()[0]
    except duckdb.CatalogException as error:
        raise UserError("--append needs existing raw events: run `--mode generate` without --append first") from error
    if latest is None:
        raise UserError("--append needs existing raw events: run `--mode generate` without --append first")
    try:
        return latest.date() + dt.timedelta(days=days)
    except OverflowError:
        raise UserError(f"--days {days:,} after the last loaded day ({latest.date()}) reaches outside the dates "
                        "Python supports (years 1-9999)") from None


def mode_generate(args: argparse.Namespace) -> None:
    from intent_scoring.generator import GeneratorConfig, write_generated
    from intent_scoring.warehouse import connect

    if args.n_users <= 0 or args.days <= 0:
        raise UserError("--n-users and --days must be positive")
    parquet = args.mode == "generate" and args.format == "parquet"
    if parquet and args.append:
        raise UserError("--append is not supported with --format parquet (the files are rewritten)")
    if parquet and args.path and args.path.exists() and not args.path.is_dir():
        raise UserError(f"--path {args.path} is a file; --format parquet writes users.parquet and "
                        "events.parquet into a folder")
    options = {"n_users": args.n_users, "seed": args.seed, "days": args.days, "clean": args.clean}
    if args.end_date:
        options["end_date"] = args.end_date
    elif args.append:
        options["end_date"] = _next_window_end(args.days)
    config = GeneratorConfig(**options)
    _say(f"generating {config.n_users} users over {config.days} days (seed {config.seed})...")
    if parquet:
        from intent_scoring.raw_parquet import raw_parquet_dir, write_generated_parquet

        folder = args.path or raw_parquet_dir()
        written = write_generated_parquet(config, folder)
        _say(f"wrote {folder}/users.parquet: {written['users']} rows, events.parquet: {written['events']} rows")
        return
    with connect() as con:
        written = write_generated(con, config, append=args.append)
    _say(f"wrote raw.users: {written['users']} rows, raw.events: {written['events']} rows")


def mode_load_csv(args: argparse.Namespace) -> None:
    from intent_scoring.csv_loader import load_csv
    from intent_scoring.warehouse import connect

    if args.path is None:
        raise UserError("load-csv needs --path FILE")
    if not args.path.exists():
        raise UserError(f"{args.path}: no such file")
    with connect() as con:
        written = load_csv(con, args.path, append=args.append)
    _say(f"loaded {args.path}: raw.users {written['users']} rows, raw.events {written['events']} rows")


def mode_featurize(args: argparse.Namespace) -> None:
    from intent_scoring.dbt_runner import run_dbt

    _say("dbt build through user_features...")
    run_dbt(["build", "--select", "+user_features", "events_rejected", *_dbt_vars(args)])


def mode_score_rules(args: argparse.Namespace) -> None:
    from intent_scoring.dbt_runner import run_dbt

    _say("dbt build of the rule scores...")
    # experiment_assignments runs only when an experiment is named: otherwise a rescore would
    # also assign every user to the default experiment
    keep = [] if args.experiment else ["experiment_assignments"]
    run_dbt(["build", "--select", "+user_scores", "int_weights_validated+", "events_rejected",
             "--exclude", "tag:ml", *keep, *_dbt_vars(args)])


def mode_rank(args: argparse.Namespace) -> None:
    from intent_scoring import reports

    if args.n < 1:
        raise UserError("--n must be at least 1")

    print(reports.rank(args.n))


def mode_explain(args: argparse.Namespace) -> None:
    from intent_scoring import reports

    print(reports.explain_user(args.user_id) if args.user_id else reports.explain_global())


def mode_export(args: argparse.Namespace) -> None:
    from intent_scoring import reports

    for path, rows in reports.export(args.format):
        _say(f"wrote {reports.shown_path(path)} ({rows} rows)")


def mode_assign(args: argparse.Namespace) -> None:
    from intent_scoring import reports
    from intent_scoring.dbt_runner import run_dbt

    if not args.experiment:
        raise UserError("assign needs --experiment NAME")
    run_dbt(["build", "--select", "experiment_assignments", *_dbt_vars(args)])
    print(reports.assignment_summary(args.experiment))


def mode_pipeline(args: argparse.Namespace) -> None:
    from intent_scoring import reports
    from intent_scoring.dbt_runner import run_dbt

    mode_generate(args)
    _say("dbt build (seeds, staging, sessions, features, scores, ML, tests)...")
    run_dbt(["build", *_dbt_vars(args)])
    print(reports.rank(args.n))
    print()
    print(reports.explain_global())


def mode_train(args: argparse.Namespace) -> None:
    from intent_scoring import ml_standalone, reports
    from intent_scoring.warehouse import connect

    with connect(must_exist=True) as con:
        result = ml_standalone.train(con)
    _say(result.message)
    print(reports.model_summary())


def mode_score_model(args: argparse.Namespace) -> None:
    from intent_scoring import ml_standalone, reports
    from intent_scoring.warehouse import connect

    try:
        with connect(must_exist=True) as con:
            result = ml_standalone.score(con, compare=args.compare)
    except FileNotFoundError as error:
        raise UserError(str(error)) from error
    _say(f"scored users with the saved model ({result.status})")
    print(reports.model_summary())
    if args.compare:
        print()
        print(reports.compare_rules_and_model())


def mode_bench(args: argparse.Namespace) -> None:
    from intent_scoring.bench import run_benchmark

    sizes = args.events or [1_000_000, 10_000_000]
    if min(sizes) < 1000:  # before any size runs: a bad one must not fail after an hour of benching
        raise UserError("--events must be at least 1000")
    from intent_scoring.generator import MAX_USERS, n_users_for_events

    if n_users_for_events(max(sizes)) > MAX_USERS:
        raise UserError(f"--events {max(sizes):,} needs more than {MAX_USERS:,} generated users")
    for events in sizes:
        report = run_benchmark(events, seed=args.seed, include_ml=not args.no_ml, incremental=args.incremental)
        _say(f"report: {report}")


def mode_serve(args: argparse.Namespace) -> None:
    from intent_scoring.warehouse import WarehouseError, warehouse_path
    from intent_scoring.web import serve

    if not 0 <= args.port <= 65535:
        raise UserError("--port must be between 0 and 65535")
    path = warehouse_path()
    if not path.exists():
        raise WarehouseError(f"no warehouse at {path}: build it first with `python main.py --mode pipeline`")
    try:
        serve(args.host, args.port, path)
    except OSError as error:
        raise UserError(
            f"cannot listen on {args.host}:{args.port} ({error.strerror or error}); pick another with --port"
        ) from error


MODES: dict[str, Callable[[argparse.Namespace], None]] = {
    "pipeline": mode_pipeline,
    "generate": mode_generate,
    "load-csv": mode_load_csv,
    "featurize": mode_featurize,
    "score-rules": mode_score_rules,
    "rank": mode_rank,
    "explain": mode_explain,
    "train": mode_train,
    "score-model": mode_score_model,
    "assign": mode_assign,
    "export": mode_export,
    "bench": mode_bench,
    "serve": mode_serve,
}


def _show_warning(message: Warning | str, category: type[Warning], *_: object, **__: object) -> None:
    print(f"warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    from intent_scoring.dbt_runner import DbtRunError
    from intent_scoring.warehouse import WarehouseError

    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            # a CSV warning names its file already: say it like an error, not as a source line
            warnings.showwarning = _show_warning
            MODES[args.mode](args)
    except (UserError, WarehouseError, DbtRunError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except ValueError as error:  # CSV and config validation errors carry file/row/column
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
