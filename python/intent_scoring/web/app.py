"""The Flask app: HTML pages and the JSON API under /api/, all read-only.

Every request opens its own read-only DuckDB connection (on first use) and
closes it when the request ends, so the file is free between requests and
`dbt build` or the CLI can write to it while the dashboard runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import duckdb
from flask import Flask, current_app, g, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from intent_scoring.reports import BUILD_HINT
from intent_scoring.warehouse import WarehouseError, connect
from intent_scoring.warehouse import warehouse_path as default_warehouse_path
from intent_scoring.web import pages, params, queries
from intent_scoring.web.params import ParamError
from intent_scoring.web.queries import UnknownUser

API_ROUTES = ("api_index", "api_summary", "api_users", "api_user", "api_distribution", "api_weights")


def create_app(warehouse_path: Path | str | None = None) -> Flask:
    """The dashboard app over `warehouse_path` (default: $INTENT_WAREHOUSE or data/warehouse.duckdb)."""
    app = Flask(__name__)
    app.config["WAREHOUSE_PATH"] = Path(warehouse_path) if warehouse_path else default_warehouse_path()
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.context_processor(lambda: {"warehouse": app.config["WAREHOUSE_PATH"]})
    app.teardown_appcontext(_close_connection)
    pages.register_template_helpers(app)
    _register_api(app)
    _register_pages(app)
    _register_errors(app)
    return app


def db() -> duckdb.DuckDBPyConnection:
    """This request's read-only connection, opened on first use and closed when the request ends."""
    if "con" not in g:
        con = connect(read_only=True, path=current_app.config["WAREHOUSE_PATH"])
        if not queries.has_table(con, "user_scores"):
            con.close()
            raise WarehouseError(f"marts.user_scores does not exist yet: {BUILD_HINT}")
        g.con = con
    return g.con


def _close_connection(_error: BaseException | None = None) -> None:
    con = g.pop("con", None)
    if con is not None:
        con.close()


# --- JSON API -----------------------------------------------------------------------------------------------


def api_index() -> Response:
    """GET /api/ — the endpoints of this API with their documentation."""
    routes = {rule.endpoint: rule.rule for rule in current_app.url_map.iter_rules()}
    return jsonify({
        "endpoints": [
            {"path": routes[name], "doc": " ".join((globals()[name].__doc__ or "").split())}
            for name in API_ROUTES if name in routes
        ]
    })


def api_summary() -> Response:
    """GET /api/summary — users per label (with shares), score percentiles, label thresholds, the weight set
    in effect and as_of, the backtest per scorer (AUC, lift, conversion rate per label tier), model status,
    metrics and feature importance (when trained), and the top 10 users."""
    return jsonify(queries.summary(db()))


def api_users() -> Response:
    """GET /api/users?page=1&page_size=50&label=high&q=u0001&sort=rank — one page of ranked users.

    page ≥ 1; page_size 1..500 (default 50); label high|medium|low; q a case-insensitive substring of
    user_id; sort rank|-rank|score|-score|user_id|-user_id ('-' = descending; default rank, best first).
    Returns page, page_size, pages, total (matching users), the filters and items (rank, score, label,
    explanation, dimension points and, when trained, the model's score, rank and label)."""
    return jsonify(queries.users_page(db(), params.user_query(request.args)))


def api_user(user_id: str) -> Response:
    """GET /api/users/<user_id> — one user's rule score with every feature's contribution, the model's
    probability and SHAP values (log-odds, largest first) when trained, session totals and the latest
    sessions, and the user's rank under the two compared weight sets. 404 with close ids if unknown."""
    return jsonify(queries.user_detail(db(), params.user_id(user_id)))


def api_distribution() -> Response:
    """GET /api/distribution?bins=20&scorer=rules — histogram of scores 0..100 in equal bins (1..100),
    users per bin and per label in each bin; scorer rules (default) or model (available=false if untrained)."""
    bins, scorer = params.distribution_query(request.args)
    return jsonify(queries.distribution(db(), bins, scorer))


def api_weights() -> Response:
    """GET /api/weights — the weight sets as loaded by the last build (seeds/weights.csv), the set in effect,
    whether the seed file changed since, and the tier moves between the two compared weight sets."""
    return jsonify(queries.weights(db()))


def _register_api(app: Flask) -> None:
    for rule, view in (
        ("/api/", api_index),
        ("/api/summary", api_summary),
        ("/api/users", api_users),
        ("/api/users/<user_id>", api_user),
        ("/api/distribution", api_distribution),
        ("/api/weights", api_weights),
    ):
        app.add_url_rule(rule, view.__name__, view)


# --- pages --------------------------------------------------------------------------------------------------


def overview_page() -> str:
    """GET / — overview: users per label, score histogram, conversion per tier, weight set, model metrics."""
    return pages.overview(db())


def users_page() -> Response | str:
    """GET /users?page=&page_size=&label=&q=&sort= — the ranked users table (same parameters as /api/users).

    From the header's search box (go=1), an exact user id opens that user's page instead."""
    query = params.user_query(request.args)
    if request.args.get("go") and query.q and queries.user_exists(db(), query.q):
        return redirect(url_for("user", user_id=query.q))
    return pages.users(db(), query)


def user_page(user_id: str) -> str:
    """GET /users/<user_id> — rules and SHAP waterfalls, contributions table and session timeline."""
    return pages.user(db(), params.user_id(user_id))


def weights_page() -> str:
    """GET /weights — the weight sets side by side and the tier moves between two weight sets."""
    return pages.weights(db())


def _register_pages(app: Flask) -> None:
    app.add_url_rule("/", "overview", overview_page)
    app.add_url_rule("/users", "users", users_page)
    app.add_url_rule("/users/<user_id>", "user", user_page)
    app.add_url_rule("/weights", "weights", weights_page)


# --- errors -------------------------------------------------------------------------------------------------


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


def _error(status: int, message: str, **extra: Any) -> tuple[Response | str, int]:
    if _wants_json():
        return jsonify({"error": message, "status": status, **extra}), status
    return render_template("error.html", status=status, message=message, **extra), status


def _register_errors(app: Flask) -> None:
    @app.errorhandler(ParamError)
    def bad_parameter(error: ParamError) -> tuple[Response | str, int]:
        return _error(400, f"bad parameter {error.parameter}: {error.message}", parameter=error.parameter)

    @app.errorhandler(UnknownUser)
    def unknown_user(error: UnknownUser) -> tuple[Response | str, int]:
        hint = f"; closest existing ids: {', '.join(error.suggestions)}" if error.suggestions else ""
        return _error(404, f"unknown user_id {error.user_id!r}{hint}", user_id=error.user_id,
                      suggestions=error.suggestions)

    @app.errorhandler(WarehouseError)
    def warehouse_unavailable(error: WarehouseError) -> tuple[Response | str, int, dict[str, str]]:
        message = str(error)
        if "locked" in message:  # a writer (dbt build, the CLI) holds the file: the next request will work
            message = f"{message.split(' (')[0]} (a dbt build or another writer); reload in a few seconds"
        return (*_error(503, message), {"Retry-After": "5"})

    @app.errorhandler(duckdb.Error)
    def query_failed(error: duckdb.Error) -> tuple[Response | str, int]:
        current_app.logger.exception("query failed")
        return _error(503, f"the warehouse query failed ({type(error).__name__}); {BUILD_HINT}")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response | str, int]:
        return _error(error.code or 500, error.description or error.name)


# --- serving ------------------------------------------------------------------------------------------------


def serve(host: str = "127.0.0.1", port: int = 8765, warehouse_path: Path | None = None) -> None:
    """Serve the dashboard until Ctrl+C (threaded werkzeug server; local use only)."""
    app = create_app(warehouse_path)
    server = make_server(host, port, app, threaded=True)
    shown = f"[{host}]" if ":" in host else host
    print(f"Dashboard: http://{shown}:{server.port}/  (warehouse {app.config['WAREHOUSE_PATH']}, read-only; "
          "Ctrl+C stops)", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
