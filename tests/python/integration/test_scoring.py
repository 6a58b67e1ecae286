"""Rule scoring: stability, bad seeds failing loudly without losing the last good scores."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from intent_scoring.dbt_runner import DbtRunError, run_dbt

from .dbt_helpers import copy_project, query

SCORES = "select user_id, score, label, raw_points_total from marts.user_scores order by user_id"


def test_existing_scores_do_not_move_when_an_extreme_user_is_added(warehouse_copy: Path) -> None:
    before = query(warehouse_copy, SCORES)
    as_of = query(warehouse_copy, "select max(as_of) from marts.user_features")[0][0]
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute(
            "insert into raw.users (user_id, username, account_balance_usd, recent_pages_viewed, "
            "recent_pricing_views, created_at, loaded_at) values ('zz_extreme', 'whale', 1e9, 100000, 100000, "
            "timestamp '2020-01-01', timestamp '2020-01-01')"
        )
        con.execute(
            """
            insert into raw.events (event_id, user_id, event_at, event_type, page_path, device, session_id,
                                    time_on_page_sec, scroll_depth_pct, loaded_at)
            select 'zz' || i, 'zz_extreme', ?::timestamp - to_minutes(i * 7),
                   (['pricing_page_view', 'signup', 'calendar_booking', 'demo_request_click', 'search'])[1 + i % 5],
                   '/pricing', 'desktop', 'zz-s' || (i // 4), 45.0, 90.0, ?::timestamp
            from range(2000) t(i)
            """,
            [as_of, as_of],
        )
    run_dbt(["build", "--select", "+user_scores", "--exclude", "test_type:data"], quiet=True)
    after = {row[0]: row[1:] for row in query(warehouse_copy, SCORES)}
    assert "zz_extreme" in after
    assert query(warehouse_copy, "select max(as_of) from marts.user_features")[0][0] == as_of
    for user_id, score, label, raw_points_total in before:
        new_score, new_label, new_raw = after[user_id]
        assert (new_score, new_label) == (score, label), user_id
        # only the summation order of floating-point points may differ
        assert new_raw == pytest.approx(raw_points_total, abs=1e-9), user_id


def _seed_lines(project: Path) -> list[str]:
    return (project / "seeds" / "weights.csv").read_text().splitlines()


def _write_seed(project: Path, lines: list[str]) -> None:
    (project / "seeds" / "weights.csv").write_text("\n".join(lines) + "\n")


def _replace_field(line: str, index: int, value: str) -> str:
    fields = line.split(",")
    fields[index] = value
    return ",".join(fields)


BAD_SEEDS = {
    "unknown feature": (lambda ls: [*ls, "default,not_a_column,5,binary,,intent,x"], "line {n}",
                        "'not_a_column' is not a column of user_features"),
    "non-numeric weight": (lambda ls: [ls[0], _replace_field(ls[1], 2, "heavy"), *ls[2:]], "line 2",
                           "weight 'heavy' is not a number"),
    "non-numeric cap": (lambda ls: [*ls[:3], _replace_field(ls[3], 4, "two"), *ls[4:]], "line 4",
                        "cap 'two' is not a number"),
    "unknown transform": (lambda ls: [ls[0], _replace_field(ls[1], 3, "sqrt"), *ls[2:]], "line 2",
                          "unknown transform 'sqrt'"),
    "duplicate row": (lambda ls: [*ls, ls[1]], "line {n}", "duplicate (weight_set, feature); first defined on line 2"),
    "positive weights sum to zero": (lambda ls: [*ls, "broken,bounce_rate,-5,rate,,penalty,x"], "'broken'",
                                     "positive weights sum to 0"),
    # agate refuses the file before any macro sees it; run_dbt names the line instead of agate's row index
    "extra field": (lambda ls: [*ls[:2], ls[2] + ",extra", *ls[3:]], "line 3",
                    "has 8 fields but the header names 7 columns"),
    "missing cap": (lambda ls: [*ls[:3], _replace_field(ls[3], 4, ""), *ls[4:]], "line 4",
                    "transform 'linear_cap' needs a cap"),
}


@pytest.mark.parametrize("case", sorted(BAD_SEEDS))
def test_bad_seed_row_fails_the_build_naming_the_row_and_keeps_last_scores(
    case: str, warehouse_copy: Path, tmp_path: Path
) -> None:
    edit, where, problem = BAD_SEEDS[case]
    project = copy_project(tmp_path / "project")
    lines = edit(_seed_lines(project))
    _write_seed(project, lines)
    before = query(warehouse_copy, SCORES)
    with pytest.raises(DbtRunError) as failure:
        run_dbt(["build", "--select", "weights+", "--exclude", "tag:ml"], quiet=True, project_dir=project)
    message = str(failure.value)
    assert "seeds/weights.csv" in message
    assert where.format(n=len(lines)) in message, message
    assert problem in message, message
    assert query(warehouse_copy, SCORES) == before


def test_retuned_seed_changes_scores_without_sql_changes(warehouse_copy: Path, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    lines = _seed_lines(project)
    # double the weight of pricing page views in the default set
    lines = [_replace_field(line, 2, "16") if line.startswith("default,pricing_page_views,") else line
             for line in lines]
    _write_seed(project, lines)
    before = dict(query(warehouse_copy, "select user_id, score from marts.user_scores"))
    run_dbt(["build", "--select", "weights+", "--exclude", "tag:ml"], quiet=True, project_dir=project)
    after = dict(query(warehouse_copy, "select user_id, score from marts.user_scores"))
    pricing_users = {u for (u,) in query(
        warehouse_copy, "select user_id from marts.user_features where pricing_page_views > 0")}
    assert any(after[u] != before[u] for u in pricing_users)
    weight = query(
        warehouse_copy,
        "select distinct weight from marts.user_score_contributions "
        "where feature = 'pricing_page_views' and weight_set = 'default'",
    )
    assert weight == [(16.0,)]


def test_contributions_json_holds_every_features_points(built_warehouse: Path) -> None:
    """user_scores.contributions is JSON text: one key per feature of the set, its points to 4 decimals."""
    points: dict[str, dict[str, float]] = {}
    for user_id, feature, value in query(
        built_warehouse, "select user_id, feature, points from marts.user_score_contributions"
    ):
        points.setdefault(user_id, {})[feature] = value
    rows = query(built_warehouse, "select user_id, contributions, raw_points_total from marts.user_scores")
    assert len(rows) == len(points)
    for user_id, text, total in rows:
        parsed = json.loads(text)
        assert list(parsed) == sorted(points[user_id]), "one key per feature, alphabetical"
        assert parsed == {f: pytest.approx(p, abs=5e-5) for f, p in points[user_id].items()}
        assert sum(parsed.values()) == pytest.approx(total, abs=5e-5 * len(parsed))


def test_explanations_name_the_top_three_contributions_and_largest_penalty(built_warehouse: Path) -> None:
    """user_scores' explanation (ranked in wide form on DuckDB) agrees, for every user, with the
    contributions mart ranked here: positive points descending, ties by feature name, three of
    them, then the most negative penalty."""
    phrases: dict[str, list[tuple[float, str, str]]] = {}
    for user_id, feature, points, phrase in query(
        built_warehouse,
        "select user_id, feature, points, reason_text || ' (' || case when points < 0 then '-' else '+' end"
        " || cast(cast(round(abs(points), 1) as decimal(18, 1)) as varchar) || ')'"
        " from marts.user_score_contributions",
    ):
        phrases.setdefault(user_id, []).append((points, feature, phrase))
    rows = query(built_warehouse, "select user_id, explanation from marts.user_scores")
    assert len(rows) == len(phrases) > 1000
    kinds = set()
    for user_id, explanation in rows:
        contributions = phrases[user_id]
        top = [p for _, _, p in sorted((-pt, f, p) for pt, f, p in contributions if pt > 0)[:3]]
        penalty = [p for _, _, p in sorted((pt, f, p) for pt, f, p in contributions if pt < 0)[:1]]
        if not top and not penalty:
            expected = "no scoring activity yet"
        elif not top:
            expected = "penalty: " + penalty[0]
        else:
            expected = ", ".join(top) + ("; penalty: " + penalty[0] if penalty else "")
        assert explanation == expected, user_id
        kinds.add((len(top), bool(penalty)))
    assert {(3, True), (3, False)} <= kinds, "users with and without a penalty were compared"



def test_unique_tests_catch_a_repeated_key(warehouse_copy: Path) -> None:
    """The uniqueness tests (on DuckDB they group hashes of the key, then the keys behind repeated
    hashes) pass on the built tables and fail on a repeated single-column key (a user twice in
    user_features, a score twice) and a repeated composite key (that user's contributions)."""
    unique_tests = [
        "unique_user_features_user_id",
        "unique_int_user_scores_by_weight_set_weight_set_user_key",
        "unique_combination_of_columns_user_score_contributions_user_id__feature",
    ]
    select = ["test", "--select", "user_features,test_name:unique", "int_user_scores_by_weight_set,test_name:unique",
              "user_score_contributions,test_name:unique_combination_of_columns"]
    run_dbt(select, quiet=True)
    with duckdb.connect(str(warehouse_copy)) as con:
        for table in ("marts.user_features", "intermediate.int_user_scores_by_weight_set"):
            con.execute(f"insert into {table} select * from {table} limit 1")
    with pytest.raises(DbtRunError) as failure:
        run_dbt(select, quiet=True)
    for name in unique_tests:
        assert name in str(failure.value)


def test_score_test_catches_a_score_that_is_not_its_points(warehouse_copy: Path) -> None:
    """assert_score_equals_sum_of_points passes on the built scores, ignores weight sets other than
    var('weight_set'), and fails when one user's score under it no longer equals their points."""
    select = ["test", "--select", "assert_score_equals_sum_of_points"]
    run_dbt(select, quiet=True)
    table = "intermediate.int_user_scores_by_weight_set"
    with duckdb.connect(str(warehouse_copy)) as con:
        user_id = con.execute(
            f"select min(user_id) from {table} where weight_set = 'default' and not is_clamped and score < 90"
        ).fetchone()[0]
        con.execute(f"update {table} set score = score + 5 where weight_set = 'aggressive' and user_id = ?",
                    [user_id])
    run_dbt(select, quiet=True)
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute(f"update {table} set score = score + 5 where weight_set = 'default' and user_id = ?", [user_id])
    with pytest.raises(DbtRunError) as failure:
        run_dbt(select, quiet=True)
    assert "assert_score_equals_sum_of_points" in str(failure.value)
