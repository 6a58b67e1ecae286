"""HTML pages: gather data through `queries`, draw charts with `svg`, render the Jinja templates."""

from __future__ import annotations

from typing import Any

import duckdb
from flask import Flask, render_template, url_for
from markupsafe import Markup

from intent_scoring.web import queries, svg
from intent_scoring.web.params import LABELS, SORTS, UserQuery

SORT_NAMES = {
    "rank": "Rank (best first)",
    "-rank": "Rank (worst first)",
    "-score": "Score (high to low)",
    "score": "Score (low to high)",
    "user_id": "User id (A to Z)",
    "-user_id": "User id (Z to A)",
}
SHAP_FEATURES_SHOWN = 12


def _num(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def _signed(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:+.{digits}f}"


def _metric(value: float | None) -> str:
    """A model metric: counts without decimals, ratios with four."""
    if value is None:
        return "–"
    return f"{value:,.0f}" if float(value).is_integer() and abs(value) >= 2 else f"{value:.4f}"


def _when(value: str | None) -> str:
    """An ISO timestamp as 'YYYY-MM-DD HH:MM UTC'."""
    return "–" if not value else f"{str(value)[:16].replace('T', ' ')} UTC"


def _badge(label: str | None) -> Markup:
    css = label if label in LABELS else "none"
    return Markup('<span class="badge badge-{}">{}</span>').format(css, label or "–")


def register_template_helpers(app: Flask) -> None:
    """Number formatting filters and the label badge for the templates."""
    app.add_template_filter(_num, "num")
    app.add_template_filter(_pct, "pct")
    app.add_template_filter(_signed, "signed")
    app.add_template_filter(_badge, "badge")
    app.add_template_filter(_when, "when")
    app.add_template_filter(_metric, "metric")
    app.add_template_global(LABELS, "LABELS")


def _common(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    meta = con.execute("select min(weight_set), max(as_of), count(*) from marts.user_scores").fetchone()
    return {"weight_set": meta[0], "as_of": meta[1], "user_total": meta[2]}


# --- overview -----------------------------------------------------------------------------------------------


def _tier_bars(row: dict[str, Any]) -> str:
    items = [svg.Bar(label, row.get(f"{label}_conversion_rate") or 0.0, svg.LABEL_CLASSES[label],
                     f"{_pct(row.get(f'{label}_conversion_rate'))} of {_num(row.get(f'{label}_users'))}")
             for label in LABELS]
    return svg.bars(items, f"Conversion rate per label tier ({row['scorer']})", max_value=max(
        (i.value for i in items), default=0) * 1.15 or 1)


def overview(con: duckdb.DuckDBPyConnection) -> str:
    """The overview page: label counts, histogram, conversion per tier, weight set, model metrics, top users."""
    summary = queries.summary(con)
    distribution = queries.distribution(con, 20, "rules")
    label_bars = svg.bars(
        [svg.Bar(r["label"], r["users"], svg.LABEL_CLASSES.get(r["label"], "fill-low"),
                 f"{_num(r['users'])} ({_pct(r['share'])})") for r in summary["labels"]],
        "Users per label", max_value=max((r["users"] for r in summary["labels"]), default=0) * 1.25 or 1,
    )
    rules_backtest = next((r for r in summary["backtest"] if r["scorer"] == "rules"), None)
    model_backtest = next((r for r in summary["backtest"] if r["scorer"] == "model" and r["auc"] is not None), None)
    return render_template(
        "overview.html",
        page="overview",
        summary=summary,
        histogram=Markup(svg.histogram(distribution["histogram"], LABELS, "Rule score distribution")),
        label_bars=Markup(label_bars),
        tier_bars=Markup(_tier_bars(rules_backtest)) if rules_backtest else None,
        model_tier_bars=Markup(_tier_bars(model_backtest)) if model_backtest else None,
        **_common(con),
    )


# --- users --------------------------------------------------------------------------------------------------


def users(con: duckdb.DuckDBPyConnection, query: UserQuery) -> str:
    """The ranked users table: search, label filter, sort and paging (server-rendered; JS refreshes in place)."""
    result = queries.users_page(con, query)

    def link(**changes: object) -> str:
        return url_for("users", **query.as_params(**changes))

    return render_template(
        "users.html",
        page="users",
        query=query,
        result=result,
        link=link,
        sorts=[(key, SORT_NAMES[key]) for key in SORT_NAMES if key in SORTS],
        page_sizes=(25, 50, 100, 250, 500),
        **_common(con),
    )


# --- one user -----------------------------------------------------------------------------------------------


def _rules_waterfall(detail: dict[str, Any]) -> tuple[str, list[str]]:
    nonzero = [c for c in detail["contributions"] if abs(c["points"] or 0) >= 0.005]
    zero = [c["feature"] for c in detail["contributions"] if abs(c["points"] or 0) < 0.005]
    ordered = sorted(nonzero, key=lambda c: (c["points"] < 0, -abs(c["points"])))
    steps = [svg.Step(c["feature"], c["points"], f"{c['reason_text']}: {c['points']:+.2f} points") for c in ordered]
    chart = svg.waterfall(steps, 0.0, "start", "sum of points", "Rule score contributions (points)")
    return chart, zero


def _model_waterfall(model: dict[str, Any]) -> str | None:
    if model.get("status") != "trained" or model.get("base_value") is None:
        return None
    shap = [s for s in model["shap"] if s["value"]]
    shown, rest = shap[:SHAP_FEATURES_SHOWN], shap[SHAP_FEATURES_SHOWN:]
    steps = [svg.Step(s["feature"], s["value"], f"{s['feature']}: {s['value']:+.3f} log-odds") for s in shown]
    if rest:
        steps.append(svg.Step(f"{len(rest)} other features", sum(s["value"] for s in rest),
                              ", ".join(s["feature"] for s in rest)))
    return svg.waterfall(steps, model["base_value"], "base value (average user)", "model log-odds",
                         "Model SHAP contributions (log-odds)", fmt=lambda v: f"{v:+.3f}")


def user(con: duckdb.DuckDBPyConnection, user_id: str) -> str:
    """One user's page: rules waterfall, model SHAP waterfall, session timeline and sessions."""
    detail = queries.user_detail(con, user_id)
    rules_chart, zero_features = _rules_waterfall(detail)
    model_chart = _model_waterfall(detail["model"])
    sessions = detail["sessions"]
    return render_template(
        "user.html",
        page="users",
        user=detail,
        rules_chart=Markup(rules_chart),
        zero_features=zero_features,
        model_chart=Markup(model_chart) if model_chart else None,
        timeline=Markup(svg.timeline(sessions["items"], detail["as_of"])),
        recent_sessions=list(reversed(sessions["items"]))[:50],
        session_css=svg.session_css,
        **_common(con),
    )


# --- weights ------------------------------------------------------------------------------------------------


def _pivot(weights: list[dict[str, Any]], sets: list[str]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for w in weights:
        row = rows.setdefault(w["feature"], {"feature": w["feature"], "dimension": w["dimension"],
                                             "reason": w["reason"], "sets": {}})
        row["sets"][w["weight_set"]] = w
    order = {"intent": 0, "engagement": 1, "fit": 2, "penalty": 3}
    first = sets[0] if sets else None
    return sorted(rows.values(), key=lambda r: (order.get(r["dimension"], 9),
                                                -abs((r["sets"].get(first) or {}).get("weight") or 0), r["feature"]))


def _move_matrix(moves: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    return {a: {b: next((m for m in moves if m["label_a"] == a and m["label_b"] == b), {}) for b in LABELS}
            for a in LABELS}


def weights(con: duckdb.DuckDBPyConnection) -> str:
    """The weights page: every weight set side by side, and the tier moves between two weight sets."""
    data = queries.weights(con)
    comparison = data["comparison"]
    return render_template(
        "weights.html",
        page="weights",
        data=data,
        rows=_pivot(data["weights"], data["weight_sets"]),
        positive_sums={s: sum(w["weight"] for w in data["weights"] if w["weight_set"] == s and (w["weight"] or 0) > 0)
                       for s in data["weight_sets"]},
        comparison=comparison,
        matrix=_move_matrix(comparison["moves"]) if comparison else None,
        **_common(con),
    )
