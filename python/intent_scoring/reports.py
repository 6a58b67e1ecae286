"""Read-only views of the marts for the CLI: ranking, explanations, exports."""

from __future__ import annotations

import difflib
import textwrap
from collections.abc import Iterator
from pathlib import Path

import duckdb

from intent_scoring.staged_files import StagedFiles
from intent_scoring.warehouse import DATA_DIR, WarehouseError, connect

BUILD_HINT = "run `python main.py --mode pipeline` (or `dbt build`) first"


def _open() -> duckdb.DuckDBPyConnection:
    return connect(read_only=True)


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(found and found[0])


def _require(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> None:
    if not _table_exists(con, schema, table):
        raise WarehouseError(f"{schema}.{table} does not exist yet: {BUILD_HINT}")


CSV_OPTIONS = "(header, delimiter ',')"


def _copy_atomically(con: duckdb.DuckDBPyConnection, query: str, path: Path, options: str) -> int:
    """COPY `query` to `path` via a temporary file renamed when complete; returns the rows written.

    A failure midway (bad row, full disk, crash) leaves the previous file untouched and
    no half-written file behind, never a truncated CSV that a CRM import would pick up.
    """
    with StagedFiles() as staged:
        # DuckDB's COPY ... TO answers with the number of rows it wrote
        return con.execute(f"copy ({query}) to '{staged.temporary(path)}' {options}").fetchone()[0]


def shown_path(path: Path) -> Path:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def rank(n: int, out_path: Path | None = None) -> str:
    """The top n users as text; also writes them to data/top_users.csv for CRM import."""
    out_path = out_path or DATA_DIR / "top_users.csv"
    with _open() as con:
        _require(con, "marts", "user_scores")
        top = con.execute(
            """
            select score_rank, user_id, score, label, explanation
            from marts.user_scores
            where score_rank <= ?
            order by score_rank
            """,
            [n],
        ).fetchall()
        out_path.parent.mkdir(parents=True, exist_ok=True)
        _copy_atomically(
            con,
            f"""
            select score_rank, user_id, score, label, explanation, contributions, as_of
            from marts.user_scores where score_rank <= {int(n)} order by score_rank
            """,
            out_path,
            CSV_OPTIONS,
        )
    lines = [
        f"Top {len(top)} users (written to {shown_path(out_path)})",
        f"{'rank':>4}  {'user_id':<12} {'score':>5}  {'label':<6} explanation",
    ]
    for score_rank, user_id, score, label, explanation in top:
        wrapped = textwrap.wrap(explanation or "", width=90) or [""]
        lines.append(f"{score_rank:>4}  {user_id:<12} {score:>5.1f}  {label:<6} {wrapped[0]}")
        lines.extend(f"{'':>32}{part}" for part in wrapped[1:])
    return "\n".join(lines)


def _histogram(con: duckdb.DuckDBPyConnection, width: int = 40) -> list[str]:
    buckets = con.execute(
        """
        select least(cast(floor(score / 10) as integer), 9) as bucket, count(*) as users
        from marts.user_scores group by 1 order by 1
        """
    ).fetchall()
    counts = dict(buckets)
    most = max(counts.values(), default=1)
    lines = []
    for bucket in range(10):
        users = counts.get(bucket, 0)
        bar = "#" * max(round(width * users / most), 1 if users else 0)
        upper = "100" if bucket == 9 else f"{bucket * 10 + 10:>3}"
        lines.append(f"  {bucket * 10:>3}-{upper} {users:>7}  {bar}")
    return lines


def explain_global() -> str:
    """Users per label, score distribution, mean points per feature, what separates high from low."""
    with _open() as con:
        _require(con, "marts", "user_scores")
        weight_set, users = con.execute("select min(weight_set), count(*) from marts.user_scores").fetchone()
        lines = [f"Weight set in effect: {weight_set} ({users} users scored)", "", "Users per label:"]
        for label, count, share in con.execute(
            """
            select label, count(*), count(*) / sum(count(*)) over ()
            from marts.user_scores group by 1
            order by case label when 'high' then 1 when 'medium' then 2 else 3 end
            """
        ).fetchall():
            lines.append(f"  {label:<7} {count:>7}  ({share:.1%})")
        p = con.execute(
            "select quantile_cont(score, [0.1, 0.25, 0.5, 0.75, 0.9, 0.99]) from marts.user_scores"
        ).fetchone()[0]
        lines += ["", "Score percentiles: " + ", ".join(
            f"p{q}={v:.1f}" for q, v in zip((10, 25, 50, 75, 90, 99), p, strict=True)
        ), "", "Score histogram:", *_histogram(con), ""]
        lines.append(f"{'feature':<28} {'mean pts':>8} {'high':>7} {'low':>7} {'gap':>7}")
        for feature, mean_points, high, low, gap in con.execute(
            """
            select c.feature, avg(c.points),
                   avg(case when s.label = 'high' then c.points end),
                   avg(case when s.label = 'low' then c.points end),
                   coalesce(avg(case when s.label = 'high' then c.points end), 0)
                   - coalesce(avg(case when s.label = 'low' then c.points end), 0) as gap
            from marts.user_score_contributions as c
            inner join marts.user_scores as s on c.user_id = s.user_id and c.weight_set = s.weight_set
            group by 1 order by abs(gap) desc, 1
            """
        ).fetchall():
            lines.append(
                f"{feature:<28} {mean_points:>8.2f} {_num(high):>7} {_num(low):>7} {gap:>7.2f}"
            )
        lines.append("(gap: mean points among high minus among low users; the top rows separate them most)")
        if _table_exists(con, "marts", "ml_feature_importance"):
            rows = con.execute(
                "select feature, mean_abs_shap from marts.ml_feature_importance "
                "where mean_abs_shap is not null order by mean_abs_shap desc limit 8"
            ).fetchall()
            if rows:
                lines += ["", "Model global importance (mean |SHAP|):"]
                lines += [f"  {feature:<28} {value:.4f}" for feature, value in rows]
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _closest_ids(con: duckdb.DuckDBPyConnection, user_id: str) -> list[str]:
    candidates = [
        row[0]
        for row in con.execute(
            "select user_id from marts.user_scores order by jaro_winkler_similarity(user_id, ?) desc limit 200",
            [user_id],
        ).fetchall()
    ]
    return difflib.get_close_matches(user_id, candidates, n=3, cutoff=0.0)


def explain_user(user_id: str) -> str:
    """One user's score, every feature's contribution, model reasons and session history."""
    with _open() as con:
        _require(con, "marts", "user_scores")
        score = con.execute(
            "select score_rank, score, label, explanation, is_clamped, raw_points_total, weight_set "
            "from marts.user_scores where user_id = ?",
            [user_id],
        ).fetchone()
        if score is None:
            suggestions = ", ".join(_closest_ids(con, user_id))
            raise WarehouseError(f"unknown user_id {user_id!r}; closest existing ids: {suggestions}")
        score_rank, value, label, explanation, is_clamped, raw_total, weight_set = score
        lines = [
            f"User {user_id}: rank {score_rank}, score {value:.1f} ({label}), weight set {weight_set}",
            f"  {explanation}",
        ]
        if is_clamped:
            lines.append(f"  (points add up to {raw_total:.1f}; the score is clamped to 0..100)")
        lines += ["", f"  {'feature':<28} {'raw':>10} {'norm':>6} {'weight':>7} {'points':>7}  reason"]
        for feature, raw, norm, weight, points, reason in con.execute(
            """
            select feature, raw_value, normalized_value, weight, points, reason_text
            from marts.user_score_contributions
            where user_id = ? and weight_set = ?
            order by points desc, feature
            """,
            [user_id, weight_set],
        ).fetchall():
            lines.append(
                f"  {feature:<28} {_num(raw):>10} {norm:>6.2f} {weight:>7.1f} {points:>+7.2f}  {reason}"
            )
        lines.append(f"  {'sum':<28} {'':>10} {'':>6} {'':>7} {raw_total:>+7.2f}")
        if _table_exists(con, "marts", "ml_model_scores"):
            model = con.execute(
                "select probability, score, label, explanation from marts.ml_model_scores "
                "where user_id = ? and status = 'trained'",
                [user_id],
            ).fetchone()
            if model:
                lines += ["", f"Model: probability {model[0]:.3f}, score {model[1]:.1f} ({model[2]})",
                          f"  SHAP reasons: {model[3]}"]
        sessions = con.execute(
            """
            select count(*), max(ended_at), sum(case when is_bounce then 1 else 0 end),
                   sum(case when is_spam then 1 else 0 end)
            from marts.sessions where user_id = ?
            """,
            [user_id],
        ).fetchone()
        lines += ["", f"Sessions: {sessions[0]} (last seen {sessions[1]}), "
                      f"bounced {sessions[2] or 0}, bot-like {sessions[3] or 0}"]
        for started, duration, events, entry, bounce, spam in con.execute(
            """
            select started_at, duration_sec, event_count, entry_page_path, is_bounce, is_spam
            from marts.sessions where user_id = ? order by started_at desc limit 5
            """,
            [user_id],
        ).fetchall():
            flags = ",".join(f for f, on in (("bounce", bounce), ("bot", spam)) if on)
            lines.append(f"  {started}  {duration:>6}s  {events:>3} events  {entry or '-'}  {flags}")
    return "\n".join(lines)


EXPORTS = {
    "raw_events": "select * from raw.events",
    "user_features": "select * from marts.user_features",
    "user_scores": "select * from marts.user_scores order by score_rank",
    "top_users": "select * from marts.top_users order by score_rank",
    "user_model_scores": "select * from marts.ml_model_scores where status = 'trained' order by score_rank",
}


def export(file_format: str = "csv") -> Iterator[tuple[Path, int]]:
    """Write the seed's file set (CSV) or every mart (Parquet, under data/marts/)."""
    with _open() as con:
        _require(con, "marts", "user_scores")
        if file_format == "parquet":
            targets = {
                name: f"select * from marts.{name}"
                for (name,) in con.execute(
                    "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
                ).fetchall()
            }
            folder = DATA_DIR / "marts"
        else:
            targets = dict(EXPORTS)
            folder = DATA_DIR
            trained = _table_exists(con, "marts", "ml_model_scores") and con.execute(
                "select count(*) from marts.ml_model_scores where status = 'trained'"
            ).fetchone()[0]
            if not trained:
                targets.pop("user_model_scores")
        folder.mkdir(parents=True, exist_ok=True)
        for name, query in targets.items():
            path = folder / f"{name}.{file_format}"
            options = "(format parquet)" if file_format == "parquet" else CSV_OPTIONS
            yield path, _copy_atomically(con, query, path, options)  # never a half-written export


def assignment_summary(experiment_name: str) -> str:
    """Group sizes per stratum of one experiment (the table keeps every experiment assigned)."""
    with _open() as con:
        _require(con, "marts", "experiment_assignments")
        rows = con.execute(
            """
            select stratum, count(*) filter (where experiment_group = 'treatment'),
                   count(*) filter (where experiment_group = 'control')
            from marts.experiment_assignments where experiment_name = ? group by 1 order by 1
            """,
            [experiment_name],
        ).fetchall()
    lines = [f"Experiment {experiment_name}: treatment / control per stratum"]
    lines += [f"  {stratum:<16} {t:>6} / {c:<6}" for stratum, t, c in rows]
    totals = (sum(r[1] for r in rows), sum(r[2] for r in rows))
    lines.append(f"  {'total':<16} {totals[0]:>6} / {totals[1]:<6}")
    return "\n".join(lines)


def model_summary() -> str:
    """Validation metrics of the trained model, or why it was not trained."""
    with _open() as con:
        _require(con, "marts", "ml_metrics")
        rows = con.execute("select metric, value, status, note from marts.ml_metrics order by metric").fetchall()
    lines = ["Model metrics on the out-of-time validation period:"]
    lines += [f"  {metric:<24} {'-' if value is None else f'{value:.4f}'}  {status}  {note or ''}"
              for metric, value, status, note in rows]
    return "\n".join(lines)


def compare_rules_and_model() -> str:
    """Backtest of rules vs model vs baselines, and where rules and model disagree most."""
    with _open() as con:
        _require(con, "marts", "score_backtest")
        backtest = con.execute(
            "select scorer, auc, lift_at_10pct, precision_at_20, precision_at_100 "
            "from marts.score_backtest order by scorer"
        ).fetchall()
        disagreements = con.execute(
            "select user_id, rule_rank, model_rank, rank_gap from marts.score_comparison "
            "order by abs(rank_gap) desc nulls last, user_id limit 5"
        ).fetchall()
    lines = [f"{'scorer':<12} {'AUC':>6} {'lift@10%':>9} {'P@20':>6} {'P@100':>6}"]
    lines += [f"{s:<12} {_num(a):>6} {_num(lf):>9} {_num(p20):>6} {_num(p100):>6}" for s, a, lf, p20, p100 in backtest]
    lines += ["", "Largest rule/model disagreements (user, rule rank, model rank):"]
    lines += [f"  {u:<12} {r:>6} {m:>6}" for u, r, m, _ in disagreements]
    return "\n".join(lines)
