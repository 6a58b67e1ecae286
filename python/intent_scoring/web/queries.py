"""Read-only SQL behind the dashboard. Every function takes an open connection.

Paging, filtering, sorting and counting happen in DuckDB (LIMIT/OFFSET on
marts.user_scores), so no function loads every user into memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import duckdb

from intent_scoring.reports import _closest_ids, _table_exists
from intent_scoring.warehouse import PROJECT_ROOT
from intent_scoring.web.params import LABELS, SORTS, UserQuery

Row = dict[str, Any]
WEIGHTS_CSV = PROJECT_ROOT / "seeds" / "weights.csv"
USER_COLUMNS = (
    "user_id, score_rank, score, label, explanation, intent_points, engagement_points, fit_points, "
    "penalty_points, raw_points_total, is_clamped"
)
SESSION_COLUMNS = (
    "session_key, session_number, started_at, ended_at, duration_sec, event_count, entry_page_path, device, "
    "referrer, utm_source, page_views, pricing_page_views, searches, chat_messages, doc_downloads, "
    "demo_request_clicks, signups, calendar_bookings, high_intent_events, is_bounce, is_spam, is_repeat"
)
MAX_TIMELINE_SESSIONS = 500


def label_order(column: str = "label") -> str:
    """SQL ordering high, medium, low (then anything else) on `column`."""
    return f"case {column} when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end"


class UnknownUser(LookupError):
    """No user with this id; carries close ids to suggest."""

    def __init__(self, user_id: str, suggestions: list[str]) -> None:
        super().__init__(f"unknown user_id {user_id!r}")
        self.user_id = user_id
        self.suggestions = suggestions


def _plain(value: Any) -> Any:
    """A JSON-friendly value: ISO timestamps, floats for decimals, None for NaN."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[Row]:
    cursor = con.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    return [{name: _plain(value) for name, value in zip(names, row, strict=True)} for row in cursor.fetchall()]


def _row(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> Row | None:
    rows = _rows(con, sql, params)
    return rows[0] if rows else None


def has_table(con: duckdb.DuckDBPyConnection, name: str, schema: str = "marts") -> bool:
    """Whether schema.name exists (the ML marts, for one, may be missing)."""
    return _table_exists(con, schema, name)


def model_trained(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether marts.ml_model_scores holds scores of a trained model."""
    if not has_table(con, "ml_model_scores"):
        return False
    return con.execute("select count(*) > 0 from marts.ml_model_scores where status = 'trained'").fetchone()[0]


# --- overview -----------------------------------------------------------------------------------------------


def summary(con: duckdb.DuckDBPyConnection) -> Row:
    """Users per label, score percentiles, thresholds, backtest, model metrics and the top users."""
    head = _row(
        con,
        "select count(*) as users, min(weight_set) as weight_set, max(as_of) as as_of, avg(score) as mean_score "
        "from marts.user_scores",
    ) or {}
    labels = _rows(
        con,
        f"select label, count(*) as users, count(*) / sum(count(*)) over () as share, avg(score) as mean_score "
        f"from marts.user_scores group by label order by {label_order()}",
    )
    quantiles = con.execute(
        "select quantile_cont(score, [0.1, 0.25, 0.5, 0.75, 0.9, 0.99]) from marts.user_scores"
    ).fetchone()[0] or []
    return {
        **head,
        "labels": labels,
        "percentiles": {f"p{q}": v for q, v in zip((10, 25, 50, 75, 90, 99), quantiles, strict=False)},
        "thresholds": thresholds(con),
        "backtest": backtest(con),
        "model": model_overview(con),
        "top_users": _rows(
            con, f"select {USER_COLUMNS} from marts.user_scores where score_rank <= 10 order by score_rank"
        ),
    }


def thresholds(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """Label thresholds (minimum score per label) from the score_thresholds seed, if loaded."""
    if not has_table(con, "score_thresholds", "raw"):
        return []
    return _rows(con, "select label, cast(min_score as double) as min_score from raw.score_thresholds order by 2 desc")


def backtest(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """marts.score_backtest: AUC, lift and conversion rate per label tier for each scorer."""
    if not has_table(con, "score_backtest"):
        return []
    return _rows(
        con,
        "select * from marts.score_backtest order by case scorer when 'rules' then 1 when 'model' then 2 "
        "when 'recency' then 3 else 4 end, scorer",
    )


def model_overview(con: duckdb.DuckDBPyConnection) -> Row:
    """Whether the model is trained, its validation metrics and its global feature importance."""
    if not has_table(con, "ml_metrics"):
        return {"trained": False, "status": "missing", "note": "the ML marts have not been built", "metrics": []}
    metrics = _rows(con, "select metric, value, status, note from marts.ml_metrics order by metric")
    trained = any(m["status"] == "trained" for m in metrics)
    importance: list[Row] = []
    if trained and has_table(con, "ml_feature_importance"):
        importance = _rows(
            con,
            "select feature, mean_abs_shap from marts.ml_feature_importance where mean_abs_shap is not null "
            "order by mean_abs_shap desc, feature limit 10",
        )
    status = "trained" if trained else (metrics[0]["status"] if metrics else "not trained")
    note = next((m["note"] for m in metrics if m["note"]), None)
    return {"trained": trained, "status": status, "note": note, "metrics": metrics, "importance": importance}


def distribution(con: duckdb.DuckDBPyConnection, bins: int = 20, scorer: str = "rules") -> Row:
    """Histogram of scores (0..100) in `bins` equal bins, with the users per label in each bin."""
    table = "marts.user_scores" if scorer == "rules" else "marts.ml_model_scores"
    available = scorer == "rules" or model_trained(con)
    counts: dict[int, dict[str, int]] = {}
    if available:
        where = "" if scorer == "rules" else "where status = 'trained'"
        for bucket, label, users in con.execute(
            f"select least(greatest(cast(floor(score * ? / 100.0) as integer), 0), ? - 1) as bucket, label, "
            f"count(*) from {table} {where} group by all",
            [bins, bins],
        ).fetchall():
            counts.setdefault(bucket, {})[label] = users
    width = 100.0 / bins
    rows = []
    for bucket in range(bins):
        by_label = {label: counts.get(bucket, {}).get(label, 0) for label in LABELS}
        rows.append({"lo": round(bucket * width, 6), "hi": round((bucket + 1) * width, 6),
                     "users": sum(by_label.values()), "by_label": by_label})
    return {"scorer": scorer, "available": available, "bins": bins, "total": sum(r["users"] for r in rows),
            "histogram": rows}


# --- users --------------------------------------------------------------------------------------------------


def _user_filter(query: UserQuery) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if query.label:
        clauses.append("label = ?")
        params.append(query.label)
    if query.q:
        clauses.append("contains(lower(user_id), ?)")
        params.append(query.q.lower())
    return ("where " + " and ".join(clauses)) if clauses else "", params


def users_page(con: duckdb.DuckDBPyConnection, query: UserQuery) -> Row:
    """One page of ranked users, filtered and sorted in SQL, with the total count and model score."""
    where, params = _user_filter(query)
    order = SORTS[query.sort]
    total = con.execute(f"select count(*) from marts.user_scores {where}", params).fetchone()[0]
    page_sql = (
        f"select {USER_COLUMNS} from marts.user_scores {where} order by {order} "
        f"limit {int(query.page_size)} offset {int(query.offset)}"
    )
    if model_trained(con):
        page_sql = (
            f"select p.*, m.score as model_score, m.score_rank as model_rank, m.label as model_label "
            f"from ({page_sql}) as p left join marts.ml_model_scores as m "
            f"on m.user_id = p.user_id and m.status = 'trained'"
        )
    items = _rows(con, f"select * from ({page_sql}) order by {order}", params)
    return {
        "page": query.page,
        "page_size": query.page_size,
        "pages": max(math.ceil(total / query.page_size), 1),
        "total": total,
        "label": query.label,
        "q": query.q,
        "sort": query.sort,
        "items": items,
    }


def user_detail(con: duckdb.DuckDBPyConnection, user_id: str) -> Row:
    """One user: rule score and every contribution, the model's SHAP values, sessions, weight-set comparison."""
    score = _row(con, f"select {USER_COLUMNS}, weight_set, as_of from marts.user_scores where user_id = ?", [user_id])
    if score is None:
        raise UnknownUser(user_id, suggest_ids(con, user_id))
    contributions = _rows(
        con,
        "select feature, dimension, transform, reason_text, raw_value, normalized_value, weight, cap, points "
        "from marts.user_score_contributions where user_id = ? and weight_set = ? order by points desc, feature",
        [user_id, score["weight_set"]],
    )
    return {
        **score,
        "contributions": contributions,
        "model": user_model(con, user_id),
        "sessions": user_sessions(con, user_id),
        "comparison": _user_comparison(con, user_id),
    }


def user_exists(con: duckdb.DuckDBPyConnection, user_id: str) -> bool:
    """Whether marts.user_scores has this exact user id."""
    return con.execute("select count(*) > 0 from marts.user_scores where user_id = ?", [user_id]).fetchone()[0]


def suggest_ids(con: duckdb.DuckDBPyConnection, user_id: str, n: int = 3) -> list[str]:
    """Existing ids close to `user_id`: ids it is a prefix of first, then the most similar ones."""
    prefixed = [row[0] for row in con.execute(
        "select user_id from marts.user_scores where starts_with(user_id, ?) order by user_id limit ?", [user_id, n]
    ).fetchall()]
    similar = [candidate for candidate in _closest_ids(con, user_id) if candidate not in prefixed]
    return (prefixed + similar)[:n]


def user_model(con: duckdb.DuckDBPyConnection, user_id: str) -> Row:
    """The model's score for one user and its SHAP values (log-odds), largest first; or why there is none."""
    if not has_table(con, "ml_model_scores"):
        return {"status": "missing", "message": "the ML marts have not been built"}
    row = _row(
        con,
        "select status, status_message as message, probability, score, score_rank, label, explanation, "
        "base_value, margin, contributions from marts.ml_model_scores where user_id = ?",
        [user_id],
    )
    if row is None:
        return {"status": "missing", "message": "the model has no score for this user"}
    shap = json.loads(row.pop("contributions") or "{}") if row["status"] == "trained" else {}
    row["shap"] = [
        {"feature": feature, "value": value}
        for feature, value in sorted(shap.items(), key=lambda item: (-abs(item[1] or 0.0), item[0]))
    ]
    return row


def user_sessions(con: duckdb.DuckDBPyConnection, user_id: str) -> Row:
    """Session totals and the latest sessions (oldest first) for the timeline, in one scan of marts.sessions."""
    items = _rows(
        con,
        f"select * from (select {SESSION_COLUMNS}, count(*) over () as _total, "
        f"sum(case when is_bounce then 1 else 0 end) over () as _bounced, "
        f"sum(case when is_spam then 1 else 0 end) over () as _bot_like, sum(event_count) over () as _events, "
        f"min(started_at) over () as _first_started_at, max(ended_at) over () as _last_ended_at "
        f"from marts.sessions where user_id = ? order by started_at desc limit {MAX_TIMELINE_SESSIONS}) "
        f"order by started_at",
        [user_id],
    )
    totals: Row = {"total": 0, "bounced": 0, "bot_like": 0, "events": 0, "first_started_at": None,
                   "last_ended_at": None}
    if items:
        totals = {key: items[0][f"_{key}"] for key in totals}
    for item in items:
        for key in totals:
            del item[f"_{key}"]
    return {**totals, "shown": len(items), "items": items}


def _user_comparison(con: duckdb.DuckDBPyConnection, user_id: str) -> Row | None:
    if not has_table(con, "weight_set_comparison"):
        return None
    return _row(
        con,
        "select weight_set_a, weight_set_b, label_a, label_b, label_move, rank_a, rank_b, rank_change, "
        "score_a, score_b, score_change from marts.weight_set_comparison where user_id = ?",
        [user_id],
    )


# --- weights ------------------------------------------------------------------------------------------------


def _weights_file() -> list[Row]:
    if not WEIGHTS_CSV.exists():
        return []
    with WEIGHTS_CSV.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _normalize_weights(rows: list[Row]) -> list[Row]:
    def number(value: Any) -> float | str | None:
        # a cell the build rejected (a failed build has already loaded the seed into raw.weights)
        # is shown as written, not turned into a server error
        if value in (None, ""):
            return None
        try:
            return float(value)
        except ValueError:
            return str(value)

    return [
        {"weight_set": r["weight_set"], "feature": r["feature"], "weight": number(r["weight"]),
         "transform": r["transform"], "cap": number(r["cap"]), "dimension": r["dimension"], "reason": r["reason"]}
        for r in rows
    ]


def _as_keys(rows: list[Row]) -> list[tuple[str, ...]]:
    return sorted(tuple(str(value) for value in row.values()) for row in rows)


def weights(con: duckdb.DuckDBPyConnection) -> Row:
    """The weight sets the scores use (as validated by the last good build), the set in effect, whether
    seeds/weights.csv changed since, and the comparison of two sets."""
    from_file = _normalize_weights(_weights_file())
    # the weights the scores were computed with: a build that rejects the seed has already
    # loaded it into raw.weights, but leaves the last validated table (and the scores) as they were
    if has_table(con, "int_weights_validated", "intermediate"):
        loaded = _normalize_weights(_rows(con, "select * from intermediate.int_weights_validated"))
        source = "intermediate.int_weights_validated (seeds/weights.csv as validated by the last good dbt build)"
    elif has_table(con, "weights", "raw"):
        loaded = _normalize_weights(_rows(con, "select * from raw.weights"))
        source = "raw.weights (seeds/weights.csv as loaded by the last dbt build)"
    else:
        loaded, source = from_file, "seeds/weights.csv"
    in_effect = con.execute("select min(weight_set) from marts.user_scores").fetchone()[0]
    return {
        "source": source,
        "in_effect": in_effect,
        "seed_changed_since_build": bool(from_file) and _as_keys(from_file) != _as_keys(loaded),
        "weight_sets": sorted({r["weight_set"] for r in loaded}, key=lambda s: (s != in_effect, s)),
        "weights": loaded,
        "comparison": weight_set_comparison(con),
    }


def weight_set_comparison(con: duckdb.DuckDBPyConnection, movers: int = 10) -> Row | None:
    """Tier moves between weight sets A and B (weight_set_tier_moves) and the users whose rank moves most."""
    if not has_table(con, "weight_set_tier_moves"):
        return None
    moves = _rows(
        con,
        f"select weight_set_a, weight_set_b, label_a, label_b, label_move, user_count, share_of_users, "
        f"avg_abs_rank_change from marts.weight_set_tier_moves "
        f"order by {label_order('label_a')}, {label_order('label_b')}",
    )
    top_movers: list[Row] = []
    if has_table(con, "weight_set_comparison"):
        top_movers = _rows(
            con,
            "select user_id, label_a, label_b, rank_a, rank_b, rank_change, score_a, score_b "
            "from marts.weight_set_comparison order by abs(rank_change) desc nulls last, user_id limit ?",
            [movers],
        )
    first = moves[0] if moves else {}
    return {
        "weight_set_a": first.get("weight_set_a"),
        "weight_set_b": first.get("weight_set_b"),
        "moves": moves,
        "changed_share": sum(m["share_of_users"] or 0 for m in moves if m["label_move"] != "same"),
        "by_move": {
            move: {"users": sum(m["user_count"] for m in moves if m["label_move"] == move),
                   "share": sum(m["share_of_users"] or 0 for m in moves if m["label_move"] == move)}
            for move in ("up", "down", "same")
        },
        "top_movers": top_movers,
    }
