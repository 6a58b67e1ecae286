"""`--mode train` outside dbt: the saved model files change only when the marts describing them are stored."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from intent_scoring import ml, ml_models, ml_standalone

CONFIG = {"features": ["x1", "x2"], "seed": 5, "min_positives": 5, "high_probability": 0.3,
          "medium_probability": 0.1}


def _users(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    return pd.DataFrame({"user_id": [f"u{seed}_{i}" for i in range(n)], "x1": x1, "x2": x2,
                         ml.LABEL: rng.random(n) < 1 / (1 + np.exp(-(2 * x1 - 2)))})


def _warehouse(rule_scores_missing: bool = False) -> duckdb.DuckDBPyConnection:
    train, validation = _users(2000, 1).assign(split="train"), _users(1000, 2).assign(split="validation")
    training_set = pd.concat([train, validation], ignore_index=True)
    training_set["user_cutoff_key"] = training_set["user_id"]
    training_set["days_since_last_event"] = 3.0
    scoring = _users(50, 3).drop(columns=ml.LABEL).assign(as_of=pd.Timestamp("2024-01-01"))
    rules = pd.DataFrame({"user_id": validation["user_id"], "score": np.nan if rule_scores_missing else 50.0,
                          "label": "medium"})
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("create schema intermediate")
    for name, frame in (("marts.ml_training_set", training_set), ("marts.user_features", scoring),
                        ("intermediate.int_rule_scores_at_validation_cutoff", rules)):
        con.register("_frame", frame)
        con.execute(f"create table {name} as select * from _frame")
        con.unregister("_frame")
    return con


@pytest.fixture()
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setattr(ml_models, "models_folder", lambda: folder)
    monkeypatch.setattr(ml_standalone, "ml_settings", lambda: dict(CONFIG))
    return folder


def _previous_files(folder: Path) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ml.MODEL_FILE).write_bytes(b"the model the stored marts describe")
    (folder / ml.METRICS_FILE).write_bytes(b"its metrics")
    return _files(folder)


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_train_saves_the_model_and_the_marts(models: Path) -> None:
    con = _warehouse()
    result = ml_standalone.train(con)
    assert result.status == ml.TRAINED
    assert sorted(_files(models)) == [ml.MODEL_FILE, ml.METRICS_FILE]  # and no temporary file
    paths = con.execute("select distinct model_path from marts.ml_model_scores").fetchall()
    assert paths == [(str(models / ml.MODEL_FILE),)]
    scoring = con.execute("select * from marts.user_features").df()
    np.testing.assert_allclose(
        ml.predict_margin(ml.load_artifacts(models), scoring), ml.predict_margin(result, scoring), atol=1e-6
    )


def test_a_mart_that_cannot_be_built_leaves_the_saved_model(models: Path) -> None:
    before = _previous_files(models)
    with pytest.raises(ValueError, match="no rule scores"):
        ml_standalone.train(_warehouse(rule_scores_missing=True))
    assert _files(models) == before


def test_a_failed_transaction_leaves_the_saved_model_and_the_marts(models: Path) -> None:
    con = _warehouse()
    con.execute("create table marts.ml_model_scores as select 'stored' as status")
    con.execute("create view marts.score_backtest as select 1 as x")  # the last create fails: rollback
    before = _previous_files(models)
    with pytest.raises(duckdb.CatalogException):
        ml_standalone.train(con)
    assert _files(models) == before
    assert con.execute("select status from marts.ml_model_scores").fetchall() == [("stored",)]


def test_the_ml_marts_train_once_whatever_order_they_read_the_training_set_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    train, validation = _users(2000, 11).assign(split="train"), _users(1000, 12).assign(split="validation")
    training_set = pd.concat([train, validation], ignore_index=True).assign(user_cutoff_key=lambda f: f["user_id"])
    trainings = []
    train_from_frames = ml.train_from_frames
    monkeypatch.setattr(ml, "train_from_frames", lambda *a, **k: trainings.append(1) or train_from_frames(*a, **k))
    first = ml_models.trained(training_set, CONFIG)
    # each dbt Python model reads ml_training_set again, and DuckDB returns its rows in any order
    assert ml_models.trained(training_set.sample(frac=1, random_state=1), CONFIG) is first
    assert len(trainings) == 1
    changed = training_set.assign(x2=training_set["x2"].where(training_set.index != 5, 9.0))
    assert ml_models.trained(changed, CONFIG) is not first
    assert len(trainings) == 2
