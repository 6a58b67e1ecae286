"""The dashboard (`--mode serve`): JSON API checked against SQL, error responses, pages, and headless Chromium."""

from __future__ import annotations

import html
import math
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from intent_scoring import cli
from intent_scoring.warehouse import DATA_DIR
from intent_scoring.web import create_app
from intent_scoring.web.params import SORTS

from .dbt_helpers import query

CHROMIUM = Path("/usr/bin/chromium")
SQL_ORDER = {  # the documented sort orders, each made total by score_rank or user_id
    "rank": "score_rank",
    "-rank": "score_rank desc",
    "score": "score, score_rank desc",
    "-score": "score desc, score_rank",
    "user_id": "user_id",
    "-user_id": "user_id desc",
}


@pytest.fixture(scope="module")
def app(built_warehouse: Path) -> Flask:
    return create_app(built_warehouse)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_every_sort_is_tested() -> None:
    assert set(SORTS) == set(SQL_ORDER)


def _top_user(path: Path) -> tuple[str, str]:
    return query(path, "select user_id, explanation from marts.user_scores where score_rank = 1")[0]


# --- /api/summary and /api/distribution ---------------------------------------------------------------------


def test_summary_matches_the_marts(client: FlaskClient, built_warehouse: Path) -> None:
    body = client.get("/api/summary").get_json()
    users, weight_set = query(built_warehouse, "select count(*), min(weight_set) from marts.user_scores")[0]
    assert body["users"] == users and body["weight_set"] == weight_set
    per_label = dict(query(built_warehouse, "select label, count(*) from marts.user_scores group by 1"))
    assert {r["label"]: r["users"] for r in body["labels"]} == per_label
    assert [r["label"] for r in body["labels"]] == [x for x in ("high", "medium", "low") if x in per_label]
    assert sum(r["share"] for r in body["labels"]) == pytest.approx(1.0)
    assert set(body["percentiles"]) == {"p10", "p25", "p50", "p75", "p90", "p99"}
    assert {r["scorer"] for r in body["backtest"]} == {
        r[0] for r in query(built_warehouse, "select scorer from marts.score_backtest")
    }
    assert {"high_conversion_rate", "medium_conversion_rate", "low_conversion_rate"} <= set(body["backtest"][0])
    trained = query(built_warehouse, "select count(*) > 0 from marts.ml_metrics where status = 'trained'")[0][0]
    assert body["model"]["trained"] is trained
    assert [u["score_rank"] for u in body["top_users"]] == list(range(1, 11))
    assert body["top_users"][0]["user_id"] == _top_user(built_warehouse)[0]


def test_distribution_counts_every_user_once(client: FlaskClient, built_warehouse: Path) -> None:
    body = client.get("/api/distribution?bins=10").get_json()
    assert body["bins"] == 10 and len(body["histogram"]) == 10
    per_label = dict(query(built_warehouse, "select label, count(*) from marts.user_scores group by 1"))
    assert body["total"] == sum(per_label.values())
    for label, count in per_label.items():
        assert sum(b["by_label"][label] for b in body["histogram"]) == count
    high_bin = query(built_warehouse, "select count(*) from marts.user_scores where score >= 90")[0][0]
    assert body["histogram"][-1]["users"] == high_bin
    assert [b["lo"] for b in body["histogram"]] == [10.0 * i for i in range(10)]


def test_model_distribution_reports_whether_it_is_available(client: FlaskClient, built_warehouse: Path) -> None:
    body = client.get("/api/distribution?scorer=model&bins=4").get_json()
    trained = query(built_warehouse, "select count(*) from marts.ml_model_scores where status = 'trained'")[0][0]
    assert body["available"] is (trained > 0)
    assert body["total"] == trained


# --- /api/users ---------------------------------------------------------------------------------------------


def _sql_page(path: Path, label: str | None, q: str | None, sort: str, page: int, size: int) -> tuple[list[str], int]:
    clauses, params = [], []
    if label:
        clauses.append("label = ?")
        params.append(label)
    if q:
        clauses.append("contains(lower(user_id), ?)")
        params.append(q.lower())
    where = ("where " + " and ".join(clauses)) if clauses else ""
    total = query(path, f"select count(*) from marts.user_scores {where}", params)[0][0]
    ids = query(
        path,
        f"select user_id from marts.user_scores {where} order by {SQL_ORDER[sort]} "
        f"limit {size} offset {(page - 1) * size}",
        params,
    )
    return [r[0] for r in ids], total


@pytest.mark.parametrize(
    ("label", "q", "sort", "page", "size"),
    [
        (None, None, "rank", 1, 50),
        (None, None, "rank", 3, 7),
        (None, None, "-rank", 2, 25),
        ("high", None, "-score", 1, 20),
        ("medium", None, "score", 2, 30),
        ("low", "12", "user_id", 1, 15),
        (None, "U00", "-user_id", 4, 10),
        ("high", "9", "rank", 1, 500),
    ],
)
def test_users_page_matches_sql(
    client: FlaskClient, built_warehouse: Path, label: str | None, q: str | None, sort: str, page: int, size: int
) -> None:
    params = {"page": page, "page_size": size, "sort": sort, **({"label": label} if label else {}),
              **({"q": q} if q else {})}
    body = client.get("/api/users", query_string=params).get_json()
    expected_ids, total = _sql_page(built_warehouse, label, q, sort, page, size)
    assert [u["user_id"] for u in body["items"]] == expected_ids
    assert body["total"] == total
    assert body["pages"] == max(math.ceil(total / size), 1)
    assert (body["page"], body["page_size"], body["sort"]) == (page, size, sort)
    if label:
        assert {u["label"] for u in body["items"]} <= {label}
    if q:
        assert all(q.lower() in u["user_id"].lower() for u in body["items"])
    for user in body["items"]:
        assert user["explanation"] and 0 <= user["score"] <= 100


def test_paging_through_a_label_returns_each_user_once(client: FlaskClient, built_warehouse: Path) -> None:
    seen: list[str] = []
    page = 1
    while True:
        body = client.get(f"/api/users?label=medium&page_size=97&page={page}").get_json()
        seen += [u["user_id"] for u in body["items"]]
        if page >= body["pages"]:
            break
        page += 1
    expected = {r[0] for r in query(built_warehouse, "select user_id from marts.user_scores where label = 'medium'")}
    assert len(seen) == len(set(seen)) == len(expected) and set(seen) == expected


def test_page_past_the_end_is_empty_not_an_error(client: FlaskClient) -> None:
    body = client.get("/api/users?page=100000&page_size=500").get_json()
    assert body["items"] == [] and body["total"] > 0


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/users?page=0", "page"),
        ("/api/users?page=-3", "page"),
        ("/api/users?page=two", "page"),
        ("/api/users?page_size=100000", "page_size"),
        ("/api/users?page_size=0", "page_size"),
        ("/api/users?label=purple", "label"),
        ("/api/users?sort=bogus", "sort"),
        ("/api/users?q=" + "x" * 65, "q"),
        ("/api/distribution?bins=0", "bins"),
        ("/api/distribution?bins=1000", "bins"),
        ("/api/distribution?scorer=magic", "scorer"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client: FlaskClient, url: str, parameter: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    body = response.get_json()
    assert body["parameter"] == parameter and parameter in body["error"] and body["status"] == 400


def test_bad_parameter_on_a_page_is_a_400_page(client: FlaskClient) -> None:
    response = client.get("/users?label=purple")
    assert response.status_code == 400 and b"label" in response.data and b"<html" in response.data


# --- /api/users/<id> ----------------------------------------------------------------------------------------


def test_user_detail_adds_up(client: FlaskClient, built_warehouse: Path) -> None:
    user_id = _top_user(built_warehouse)[0]
    body = client.get(f"/api/users/{user_id}").get_json()
    assert body["user_id"] == user_id and body["score_rank"] == 1
    assert sum(c["points"] for c in body["contributions"]) == pytest.approx(body["raw_points_total"], abs=1e-6)
    features = query(built_warehouse, "select count(*) from marts.user_score_contributions "
                                      "where user_id = ? and weight_set = ?", [user_id, body["weight_set"]])[0][0]
    assert len(body["contributions"]) == features
    sessions = query(built_warehouse, "select count(*) from marts.sessions where user_id = ?", [user_id])[0][0]
    assert body["sessions"]["total"] == sessions
    starts = [s["started_at"] for s in body["sessions"]["items"]]
    assert starts == sorted(starts) and len(starts) == min(sessions, 500)
    model = body["model"]
    if model["status"] == "trained":
        shap_total = model["base_value"] + sum(s["value"] for s in model["shap"])
        assert shap_total == pytest.approx(model["margin"], abs=1e-3)
        assert 0 <= model["probability"] <= 1
    else:
        assert model["shap"] == [] and model["message"]


def test_unknown_user_is_404_with_close_ids(client: FlaskClient, built_warehouse: Path) -> None:
    existing = _top_user(built_warehouse)[0]
    response = client.get(f"/api/users/{existing}x")
    assert response.status_code == 404
    body = response.get_json()
    assert body["user_id"] == existing + "x" and existing in body["suggestions"]
    assert "unknown user_id" in body["error"] and existing in body["error"]
    prefix = client.get(f"/api/users/{existing[:-1]}").get_json()["suggestions"]
    assert prefix and all(s.startswith(existing[:-1]) for s in prefix)
    page = client.get(f"/users/{existing}zz")
    assert page.status_code == 404 and b"Did you mean" in page.data


def test_unknown_api_path_is_json_404(client: FlaskClient) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404 and response.get_json()["status"] == 404


def test_api_index_documents_every_endpoint(client: FlaskClient) -> None:
    endpoints = {e["path"]: e["doc"] for e in client.get("/api/").get_json()["endpoints"]}
    assert {"/api/summary", "/api/users", "/api/users/<user_id>", "/api/distribution", "/api/weights"} <= set(endpoints)
    assert all(doc.startswith("GET ") for doc in endpoints.values())


def test_weights_api_shows_the_seed_and_the_comparison(client: FlaskClient, built_warehouse: Path) -> None:
    body = client.get("/api/weights").get_json()
    seeded = query(built_warehouse, "select count(*), count(distinct weight_set) from raw.weights")[0]
    assert len(body["weights"]) == seeded[0] and len(body["weight_sets"]) == seeded[1]
    assert body["weight_sets"][0] == body["in_effect"]
    assert body["seed_changed_since_build"] is False
    moves = query(built_warehouse, "select sum(user_count) from marts.weight_set_tier_moves")[0][0]
    assert sum(m["user_count"] for m in body["comparison"]["moves"]) == moves


# --- pages, read-only behaviour, CLI ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/users", "/users?label=high&sort=-score&page=2", "/weights"])
def test_pages_render_without_external_assets(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "<svg" in text or path != "/"


def test_user_page_has_waterfalls_and_timeline(client: FlaskClient, built_warehouse: Path) -> None:
    user_id, explanation = _top_user(built_warehouse)
    text = client.get(f"/users/{user_id}").get_data(as_text=True)
    assert html.escape(explanation) in text
    assert "Rule score contributions" in text and "Session timeline" in text
    trained = query(built_warehouse, "select count(*) > 0 from marts.ml_model_scores where status = 'trained'")[0][0]
    assert ("Model SHAP contributions" in text) is trained


def test_header_search_jumps_to_an_exact_user(client: FlaskClient, built_warehouse: Path) -> None:
    user_id = _top_user(built_warehouse)[0]
    response = client.get(f"/users?q={user_id}&go=1")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/users/{user_id}")


def test_connections_are_closed_between_requests(warehouse_copy: Path) -> None:
    client = create_app(warehouse_copy).test_client()
    assert client.get("/api/summary").status_code == 200
    assert client.get("/users").status_code == 200
    # A read-write open in this process fails while any read-only connection is still open.
    with duckdb.connect(str(warehouse_copy)) as con:
        assert con.execute("select count(*) from marts.user_scores").fetchone()[0] > 0


HOLD_WRITE_LOCK = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()"


def test_a_writer_holding_the_file_gives_503_then_the_app_recovers(warehouse_copy: Path) -> None:
    client = create_app(warehouse_copy).test_client()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITE_LOCK, str(warehouse_copy)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        response = client.get("/api/users")
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"
        assert "locked" in response.get_json()["error"]
    finally:
        holder.communicate("", timeout=30)
    assert client.get("/api/users").status_code == 200


def test_weights_pages_show_the_weights_in_use_after_a_rejected_seed(
    warehouse_copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A build that rejects seeds/weights.csv has already loaded it into raw.weights; the pages show the
    validated weights the scores still use, and say the seed file differs (it was a server error)."""
    from intent_scoring.web import queries

    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute("update raw.weights set cap = 'two' where feature = 'demo_request_clicks'")
        used = con.execute("select weight_set, cap from intermediate.int_weights_validated "
                           "where feature = 'demo_request_clicks' order by 1").fetchall()
    seed = tmp_path / "weights.csv"
    seed.write_text(queries.WEIGHTS_CSV.read_text().replace("demo_request_clicks,12,linear_cap,2,",
                                                            "demo_request_clicks,12,linear_cap,two,"))
    monkeypatch.setattr(queries, "WEIGHTS_CSV", seed)
    client = create_app(warehouse_copy).test_client()
    body = client.get("/api/weights").get_json()
    assert sorted((row["weight_set"], row["cap"]) for row in body["weights"]
                  if row["feature"] == "demo_request_clicks") == used
    assert "int_weights_validated" in body["source"] and body["seed_changed_since_build"] is True
    assert client.get("/weights").status_code == 200


def test_missing_warehouse_is_503_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "missing.duckdb"
    client = create_app(missing).test_client()
    response = client.get("/api/summary")
    assert response.status_code == 503 and "--mode pipeline" in response.get_json()["error"]
    assert client.get("/").status_code == 503
    assert not missing.exists()


def test_serve_mode_is_listed_and_checks_the_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = cli.build_parser().parse_args(["--mode", "serve", "--port", "9999"])
    assert (args.host, args.port) == ("127.0.0.1", 9999) and "serve" in cli.MODES
    assert "python main.py --mode serve" in cli.MODES_HELP
    monkeypatch.setenv("INTENT_WAREHOUSE", str(tmp_path / "missing.duckdb"))
    assert cli.main(["--mode", "serve"]) == 1
    assert "--mode pipeline" in capsys.readouterr().err


# --- end to end in headless Chromium ------------------------------------------------------------------------


@pytest.fixture()
def live_url(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def _chromium(tmp_path: Path, *args: str) -> str:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run installs the Debian `chromium` package")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium) and CI is not set")
    profile = tmp_path / "chromium-profile"
    command = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--hide-scrollbars", f"--user-data-dir={profile}", *args,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    shutil.rmtree(profile, ignore_errors=True)
    return result.stdout


def test_pages_render_in_headless_chromium(live_url: str, built_warehouse: Path, tmp_path: Path) -> None:
    user_id, explanation = _top_user(built_warehouse)
    overview = _chromium(tmp_path, "--dump-dom", f"{live_url}/")
    assert user_id in overview and html.escape(explanation, quote=False) in overview
    assert "<svg" in overview and "Score distribution" in overview

    users = _chromium(tmp_path, "--dump-dom", f"{live_url}/users?label=high&sort=rank")
    assert user_id in users and "users match" in users

    detail = _chromium(tmp_path, "--dump-dom", f"{live_url}/users/{user_id}")
    assert html.escape(explanation, quote=False) in detail and "Session timeline" in detail

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    screenshot = DATA_DIR / "dashboard.png"
    screenshot.unlink(missing_ok=True)
    _chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1280,900", f"{live_url}/")
    assert screenshot.exists() and screenshot.stat().st_size > 10_000
    user_shot = DATA_DIR / "dashboard-user.png"
    _chromium(tmp_path, f"--screenshot={user_shot}", "--window-size=1280,900", f"{live_url}/users/{user_id}")
    assert user_shot.exists()


# --- an untrained model -------------------------------------------------------------------------------------


@pytest.fixture()
def untrained_client(warehouse_copy: Path) -> FlaskClient:
    """The built warehouse with the ML marts rewritten as a run whose model was not trained."""
    note = "model not trained: the training period has 3 positive users"
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute(
            "update marts.ml_model_scores set status = 'not trained', status_message = ?, probability = null, "
            "score = null, margin = null, base_value = null, score_rank = null, label = null, explanation = null, "
            "contributions = null",
            [note],
        )
        con.execute("update marts.ml_metrics set status = 'not trained', value = null, note = ?", [note])
        con.execute("delete from marts.ml_feature_importance")
        con.execute(
            "update marts.score_backtest set auc = null, lift_at_10pct = null, precision_at_20 = null, "
            "precision_at_100 = null, high_users = null, high_conversion_rate = null, medium_users = null, "
            "medium_conversion_rate = null, low_users = null, low_conversion_rate = null, note = ? "
            "where scorer = 'model'",
            [note],
        )
    return create_app(warehouse_copy).test_client()


def test_an_untrained_model_is_reported_not_drawn(untrained_client: FlaskClient, built_warehouse: Path) -> None:
    summary = untrained_client.get("/api/summary").get_json()
    assert summary["model"]["trained"] is False and "not trained" in summary["model"]["note"]
    assert untrained_client.get("/api/distribution?scorer=model").get_json()["available"] is False
    user_id = _top_user(built_warehouse)[0]
    detail = untrained_client.get(f"/api/users/{user_id}").get_json()
    assert detail["model"]["status"] == "not trained" and detail["model"]["shap"] == []
    assert "model_score" not in untrained_client.get("/api/users?page_size=5").get_json()["items"][0]
    for path in ("/", "/users", f"/users/{user_id}", "/weights"):
        response = untrained_client.get(path)
        assert response.status_code == 200, path
        assert b"Model SHAP contributions" not in response.data
    assert b"not trained" in untrained_client.get("/").data
