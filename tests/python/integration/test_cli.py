"""The CLI's read-only modes and experiment assignment against a built warehouse."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from intent_scoring import cli, reports
from intent_scoring.dbt_runner import DbtRunError, run_dbt

from .conftest import N_USERS
from .dbt_helpers import query


def test_rank_prints_and_writes_the_top_n(use_built_warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "top.csv"
    text = reports.rank(5, out_path=out)
    rows = list(csv.DictReader(out.open()))
    assert [int(r["score_rank"]) for r in rows] == [1, 2, 3, 4, 5]
    for row in rows:
        assert row["user_id"] in text and row["label"] in {"high", "medium", "low"}


def test_explain_global_reports_labels_distribution_and_features(use_built_warehouse: Path) -> None:
    text = reports.explain_global()
    for part in ("Weight set in effect: default", "Users per label", "Score percentiles", "Score histogram",
                 "calendar_bookings", "Model global importance"):
        assert part in text


def test_explain_user_lists_every_feature_and_the_sum(use_built_warehouse: Path) -> None:
    (user_id, raw_total) = query(
        use_built_warehouse, "select user_id, raw_points_total from marts.user_scores where score_rank = 1"
    )[0]
    features = query(
        use_built_warehouse,
        "select feature, points from marts.user_score_contributions where user_id = ? and weight_set = 'default'",
        [user_id],
    )
    text = reports.explain_user(user_id)
    assert f"User {user_id}: rank 1" in text
    assert f"{raw_total:+.2f}" in text
    lines = text.splitlines()
    shown = {line.split()[0]: float(line.split()[4]) for line in lines
             if line.split()[:1] and line.split()[0] in dict(features)}
    assert shown == pytest.approx(dict(features), abs=0.005)
    assert "Sessions:" in text and "SHAP reasons" in text


def test_unknown_user_suggests_close_ids(use_built_warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    existing = query(use_built_warehouse, "select min(user_id) from marts.user_scores")[0][0]
    assert cli.main(["--mode", "explain", "--user-id", existing + "x"]) == 1
    err = capsys.readouterr().err
    assert "unknown user_id" in err and existing in err
    assert len(err.strip().splitlines()) == 1


def test_read_only_mode_on_a_missing_warehouse_names_the_build_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INTENT_WAREHOUSE", str(tmp_path / "missing.duckdb"))
    assert cli.main(["--mode", "rank"]) == 1
    assert "--mode pipeline" in capsys.readouterr().err
    assert not (tmp_path / "missing.duckdb").exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["--mode", "generate", "--n-users", "5", "--days", "800000"], "reaches outside the dates Python supports"),
    (["--mode", "generate", "--n-users", "5", "--end-date", "9999-12-31"], "reaches outside the dates"),
    (["--mode", "generate", "--n-users", "99999999999999999999"], "n_users must be at most 1,000,000,000"),
    (["--mode", "bench", "--events", "99999999999999999999"], "needs more than 1,000,000,000 generated users"),
    (["--mode", "train"], "no warehouse at"),
    (["--mode", "score-model"], "no warehouse at"),
])
def test_out_of_range_sizes_and_a_missing_warehouse_give_one_line(
    argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("INTENT_WAREHOUSE", str(tmp_path / "w.duckdb"))
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "w.duckdb").exists()  # nothing created on the way


def test_append_days_past_year_9999_name_the_last_loaded_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INTENT_WAREHOUSE", str(tmp_path / "w.duckdb"))
    assert cli.main(["--mode", "generate", "--n-users", "5"]) == 0
    assert cli.main(["--mode", "generate", "--n-users", "5", "--append", "--days", "3000000"]) == 1
    assert "--days 3,000,000 after the last loaded day (2026-06-" in capsys.readouterr().err


def test_parquet_generation_refuses_a_file_as_its_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    taken = tmp_path / "events.csv"
    taken.write_text("a,b\n")
    assert cli.main(["--mode", "generate", "--format", "parquet", "--n-users", "5", "--path", str(taken)]) == 1
    assert f"--path {taken} is a file" in capsys.readouterr().err
    assert taken.read_text() == "a,b\n"


@pytest.mark.parametrize("option", ["--user-id", "--weight-set"])
def test_an_empty_name_is_refused_rather_than_read_as_not_given(
    option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as refused:
        cli.main(["--mode", "explain", option, " "])
    assert refused.value.code == 2
    assert f"argument {option}: must not be empty" in capsys.readouterr().err


@pytest.mark.parametrize(("warehouse", "memory_limit", "message"), [
    ("export.csv", "1GB", "is not a DuckDB database file"),
    ("empty.duckdb", "1GB", "is an empty file"),
    ("folder", "1GB", "is not a file"),
    ("new.duckdb", "lots", "INTENT_MEMORY_LIMIT='lots' is not a memory size"),
])
@pytest.mark.parametrize("mode", ["rank", "score-rules"])
def test_a_bad_warehouse_setting_is_named(
    warehouse: str, memory_limit: str, message: str, mode: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "export.csv").write_text("user_id,event_type\n")
    (tmp_path / "folder").mkdir()
    (tmp_path / "empty.duckdb").touch()
    monkeypatch.setenv("INTENT_WAREHOUSE", str(tmp_path / warehouse))
    monkeypatch.setenv("INTENT_MEMORY_LIMIT", memory_limit)
    if mode == "rank" and warehouse == "new.duckdb":
        duckdb.connect(str(tmp_path / warehouse)).close()  # rank opens read-only: it must exist
    assert cli.main(["--mode", mode]) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0]
    assert (tmp_path / "export.csv").read_text() == "user_id,event_type\n"


def test_export_writes_the_file_set(use_built_warehouse: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(reports, "DATA_DIR", tmp_path)
    written = dict(reports.export("csv"))
    names = {p.name for p in written}
    assert names == {"raw_events.csv", "user_features.csv", "user_scores.csv", "top_users.csv",
                     "user_model_scores.csv"}
    assert written[tmp_path / "top_users.csv"] == 20
    for path, rows in written.items():  # the count reported is the rows in the file
        assert rows == duckdb.sql(f"select count(*) from read_csv('{path}')").fetchone()[0], path.name
    parquet = dict(reports.export("parquet"))
    assert tmp_path / "marts" / "user_scores.parquet" in parquet


def _assignments(path: Path, experiment: str) -> dict[str, str]:
    return dict(query(path, "select user_id, experiment_group from marts.experiment_assignments "
                            "where experiment_name = ?", [experiment]))


def _unbalanced_strata(path: Path) -> list[tuple]:
    return query(
        path,
        "select experiment_name, stratum from marts.experiment_assignments group by 1, 2 "
        "having abs(count(*) filter (where experiment_group = 'treatment') "
        "- count(*) filter (where experiment_group = 'control')) > 1",
    )


def test_assignment_is_balanced_deterministic_and_salted(warehouse_copy: Path) -> None:
    assert cli.main(["--mode", "assign", "--experiment", "spring"]) == 0
    first = _assignments(warehouse_copy, "spring")
    assert len(first) == query(warehouse_copy, "select count(*) from marts.user_scores")[0][0]
    # the same name on the same data reproduces exactly: assigned again from scratch
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute("delete from marts.experiment_assignments where experiment_name = 'spring'")
    assert cli.main(["--mode", "assign", "--experiment", "spring"]) == 0
    assert _assignments(warehouse_copy, "spring") == first
    assert _unbalanced_strata(warehouse_copy) == []
    assert cli.main(["--mode", "assign", "--experiment", "autumn"]) == 0
    second = _assignments(warehouse_copy, "autumn")
    assert set(second) == set(first)
    moved = sum(first[u] != second[u] for u in first)
    assert 0.3 < moved / len(first) < 0.7
    # a new experiment sits beside the earlier ones, which keep their groups
    assert _assignments(warehouse_copy, "spring") == first
    assert {name for (name,) in query(warehouse_copy, "select distinct experiment_name "
                                                      "from marts.experiment_assignments")} >= {"spring", "autumn"}


def test_assignments_are_kept_as_users_arrive_and_scores_change(
    warehouse_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    columns = "user_id, stratum, stratum_position, experiment_group, score"
    assert cli.main(["--mode", "assign", "--experiment", "spring"]) == 0
    before = query(warehouse_copy, f"select {columns} from marts.experiment_assignments "
                                   "where experiment_name = 'spring' order by user_id")
    # a day of new events from the same users and a fifth more new ones, then a rescore
    assert cli.main(["--mode", "generate", "--append", "--days", "1", "--n-users", str(N_USERS * 6 // 5)]) == 0
    assert cli.main(["--mode", "score-rules", "--experiment", "spring"]) == 0
    after = query(warehouse_copy, f"select {columns} from marts.experiment_assignments "
                                  "where experiment_name = 'spring' order by user_id")
    kept = {row[0]: row for row in after}
    assert [kept[row[0]] for row in before] == before  # nobody moved, not even their stratum
    rescored = query(warehouse_copy, "select count(*) from marts.user_scores join marts.experiment_assignments "
                                     "using (user_id) where experiment_name = 'spring' "
                                     "and user_scores.score <> experiment_assignments.score")[0][0]
    assert rescored > 0  # the scores did move: the groups stayed anyway
    users = query(warehouse_copy, "select count(*) from marts.user_scores")[0][0]
    assert len(after) == users > len(before)  # the new users were assigned too
    assert _unbalanced_strata(warehouse_copy) == []  # and each stratum is still balanced
    # the share of an experiment with users cannot change; nothing is lost trying
    capsys.readouterr()
    assert cli.main(["--mode", "assign", "--experiment", "spring", "--treatment-share", "0.3"]) == 1
    assert "experiment 'spring' was assigned with treatment share 0.5" in capsys.readouterr().err
    with pytest.raises(DbtRunError, match="and 10 score strata; they cannot change"):
        run_dbt(["run", "--select", "experiment_assignments", "--vars",
                 '{experiment_name: spring, experiment_score_strata: 2}'], quiet=True)
    assert query(warehouse_copy, f"select {columns} from marts.experiment_assignments "
                                 "where experiment_name = 'spring' order by user_id") == after


def test_assignments_of_an_earlier_layout_are_not_dropped_silently(
    warehouse_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with duckdb.connect(str(warehouse_copy)) as con:  # the layout releases before kept assignments built
        con.execute("create or replace table marts.experiment_assignments as "
                    "select user_id, 'old' as experiment_name, 'control' as experiment_group from marts.user_scores")
    assert cli.main(["--mode", "assign", "--experiment", "spring"]) == 1
    assert "has the layout of an earlier release" in capsys.readouterr().err
    assert query(warehouse_copy, "select count(*) from marts.experiment_assignments "
                                 "where experiment_name = 'old'")[0][0] > 0


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--as-of", "yesterday", "not a date"),
    ("--experiment", "o'neil", "use 1-64 letters, digits"),
    ("--treatment-share", "2", "must be a number between 0 and 1"),
    ("--treatment-share", "half", "must be a number between 0 and 1"),
])
def test_bad_option_values_are_refused_before_anything_runs(
    option: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as refused:
        cli.main(["--mode", "score-rules", option, value])
    assert refused.value.code == 2
    assert f"argument {option}: {message}" in capsys.readouterr().err


@pytest.mark.parametrize(("value", "as_of"), [
    ("2026-06-01", "2026-06-01"),
    ("2026-06-01T12:30", "2026-06-01 12:30:00"),
    ("2026-06-01 12:30:00+02:00", "2026-06-01 10:30:00"),  # event times are naive UTC
])
def test_as_of_reaches_dbt_as_a_utc_date_or_timestamp(value: str, as_of: str) -> None:
    args = cli.build_parser().parse_args(["--mode", "score-rules", "--as-of", value])
    assert cli._dbt_vars(args) == ["--vars", f'{{"as_of": "{as_of}"}}']


def test_rank_refuses_a_count_below_one(use_built_warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--mode", "rank", "--n", "-5"]) == 1
    assert "--n must be at least 1" in capsys.readouterr().err


def test_a_rescore_under_another_weight_set_keeps_every_assignment(warehouse_copy: Path) -> None:
    assert cli.main(["--mode", "assign", "--experiment", "spring", "--treatment-share", "0.3"]) == 0
    every = "select * from marts.experiment_assignments order by experiment_user_key"
    before = query(warehouse_copy, every)
    assert ("spring", 0.3) in set(query(warehouse_copy, "select experiment_name, cast(treatment_share as double) "
                                                        "from marts.experiment_assignments"))
    assert cli.main(["--mode", "score-rules", "--weight-set", "aggressive"]) == 0
    assert query(warehouse_copy, "select distinct weight_set from marts.user_scores") == [("aggressive",)]
    assert query(warehouse_copy, every) == before


@pytest.mark.parametrize(("variables", "message"), [
    ('{as_of: "yesterday"}', "var('as_of') must be a date"),
    ('{experiment_name: "o\'neil"}', "var('experiment_name') must be"),
    ("{experiment_treatment_share: 1.5}", "var('experiment_treatment_share') must be"),
    ("{feature_cutoff_offsets_days: [0, 30]}", "60 is missing (needed by ml_train_offset_days"),
    ("{feature_cutoff_offsets_days: [0, 30, 60, 30.5]}", "'30.5' is not a whole number of days"),
    ("{feature_cutoff_offsets_days: [0, 30, 60, 30]}", "offsets must not repeat"),
    # label windows that would read past the validation cutoff, or past as_of
    ("{label_horizon_days: 45}", "training labels would read the validation period"),
    ("{label_horizon_days: 45, ml_train_offset_days: 90, feature_cutoff_offsets_days: [0, 30, 90]}",
     "validation labels would read events after as_of"),
    ("{label_horizon_days: 0}", "label_horizon_days must be a whole number of days >= 1"),
    ("{ml_train_offset_days: 30, ml_validation_offset_days: 60}", "must be greater than ml_validation_offset_days"),
    ('{compare_weight_set_b: "agressive"}', "var('compare_weight_set_b') is 'agressive', which seeds/weights.csv"),
])
def test_a_bad_var_fails_its_model_and_keeps_the_last_build(
    warehouse_copy: Path, variables: str, message: str
) -> None:
    tables = {"int_feature_cutoffs": "intermediate", "experiment_assignments": "marts",
              "ml_training_set": "marts", "weight_set_comparison": "marts"}
    before = {name: query(warehouse_copy, f"select * from {schema}.{name} order by all")
              for name, schema in tables.items()}
    with pytest.raises(DbtRunError) as failure:
        run_dbt(["run", "--select", *tables, "--vars", variables], quiet=True)
    assert message in str(failure.value)
    for name, schema in tables.items():
        assert query(warehouse_copy, f"select * from {schema}.{name} order by all") == before[name], name


def test_help_documents_every_mode(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    for mode in cli.MODES:
        assert f"--mode {mode}" in text
