"""ML helpers on small synthetic frames: metrics, training guard, SHAP additivity, explanations."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from intent_scoring import ml


def _frame(n: int, seed: int, signal: float = 2.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = rng.random(n) < 1 / (1 + np.exp(-(signal * x1 - 2)))
    return pd.DataFrame({"user_id": [f"u{i}" for i in range(n)], "x1": x1, "x2": x2, ml.LABEL: y})


def test_auc_matches_sklearn_including_ties() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    p = np.round(rng.random(500), 1)  # many ties
    assert ml.evaluate(y, p)["auc"] == pytest.approx(roc_auc_score(y, p))


def test_lift_and_precision_at_k() -> None:
    y = np.array([1] * 10 + [0] * 90)
    p = np.linspace(1, 0, 100)  # the positives are ranked first
    metrics = ml.evaluate(y, p)
    assert metrics["lift_top_decile"] == pytest.approx(10.0)
    assert metrics["precision_at_20"] == pytest.approx(0.5)
    assert metrics["positives"] == 10 and metrics["users"] == 100


def test_too_few_positives_is_not_trained_with_a_reason() -> None:
    train = _frame(200, 1).assign(**{ml.LABEL: False})
    result = ml.train_model(train, _frame(200, 2), ["x1", "x2"], min_positives=5)
    assert result.status == ml.NOT_TRAINED
    assert "training period has 0 positive" in result.message
    scored = ml.score_users(result, _frame(10, 3))
    assert set(scored["status"]) == {ml.NOT_TRAINED} and scored["probability"].isna().all()
    # the untrained table keeps the trained one's column types: text columns are text, not INTEGER
    types = {row[0]: row[1] for row in duckdb.sql("describe select * from scored").fetchall()}
    assert types["label"] == types["contributions"] == "VARCHAR" and types["score_rank"] == "BIGINT"


def test_trained_model_is_deterministic_and_shap_adds_up_to_the_margin() -> None:
    train, valid, scoring = _frame(3000, 1), _frame(1500, 2), _frame(300, 3)
    first = ml.train_model(train, valid, ["x1", "x2"], seed=5, min_positives=5)
    second = ml.train_model(train, valid, ["x1", "x2"], seed=5, min_positives=5)
    assert first.status == ml.TRAINED
    np.testing.assert_array_equal(ml.predict_margin(first, scoring), ml.predict_margin(second, scoring))
    assert first.metrics["auc"] > 0.75
    scored = ml.score_users(first, scoring)
    for base, margin, contributions in scored[["base_value", "margin", "contributions"]].itertuples(index=False):
        assert base + sum(json.loads(contributions).values()) == pytest.approx(margin, abs=1e-4)
    # the informative feature dominates the global importance
    importance = ml.feature_importance(first, scoring).set_index("feature")
    assert importance.loc["x1", "mean_abs_shap"] > importance.loc["x2", "mean_abs_shap"]
    assert sorted(scored["score_rank"]) == list(range(1, 301))


def test_explanations_name_the_top_positive_features() -> None:
    frame = pd.DataFrame({"pricing_views": [4.0], "bounce_rate": [0.5], "sessions": [2.0]})
    values = np.array([[0.8, -0.3, 0.1]])
    explanations, contributions = ml.explain(frame, values, ["pricing_views", "bounce_rate", "sessions"])
    assert explanations == ["pricing views = 4 (+0.80), sessions = 2 (+0.10)"]
    assert json.loads(contributions[0]) == {"pricing_views": 0.8, "bounce_rate": -0.3, "sessions": 0.1}


def test_explanations_say_missing_for_a_missing_value_and_break_ties_by_feature_order() -> None:
    frame = pd.DataFrame({"a": [np.nan, 1.0], "b": [2.0, 123456.0], "c": [3.0, 0.0]})
    values = np.array([[0.5, 0.5, 0.5], [-0.1, 0.25, -0.0]])
    explanations, _ = ml.explain(frame, values, ["a", "b", "c"])
    assert explanations == [
        "a = missing (+0.50), b = 2 (+0.50), c = 3 (+0.50)",
        "b = 1.23e+05 (+0.25)",
    ]


def _explained_in_python(raw: np.ndarray, values: np.ndarray, features: list[str]) -> tuple[list[str], list[str]]:
    """What ml.explain writes, spelled out with f-strings and json.dumps, one row at a time."""
    explanations, contributions = [], []
    for row_raw, row_shap in zip(raw.tolist(), values.tolist(), strict=True):
        order = sorted(range(len(features)), key=lambda i: -row_shap[i])[:3]
        reasons = [
            f"{features[i].replace('_', ' ')} = {'missing' if row_raw[i] != row_raw[i] else format(row_raw[i], '.3g')}"
            f" ({row_shap[i]:+.2f})"
            for i in order if row_shap[i] > 0
        ]
        explanations.append(", ".join(reasons) or "no feature raises this user's odds")
        contributions.append(json.dumps({f: round(v, 6) for f, v in zip(features, row_shap, strict=True)}))
    return explanations, contributions


def test_explanations_and_contributions_are_the_python_texts_in_row_order() -> None:
    features = ["x1", "x_two", "x3", "it's"]
    rng = np.random.default_rng(3)
    raw = rng.normal(size=(5000, 4)) * 10.0 ** rng.integers(-6, 7, size=(5000, 4))
    raw[rng.random(raw.shape) < 0.05] = np.nan
    values = rng.normal(scale=0.05, size=(5000, 4))
    # the values whose text is easy to get wrong: tiny (exponent), negative zero, zero, near the 6th place
    values[:6] = [[1e-7, -1e-7, 0.0, 0.5], [-0.0, 1.5e-5, -2.5e-5, 0.5], [123.4567894, 1e16, 1e-4, -3.0],
                  [0.0000004, -0.0000006, 7.0, 7.0], [3.3, -1.25, 0.1, 0.0], [-1e-3, -1e-5, -1e-4, -2.0]]
    frame = pd.DataFrame(raw, columns=features)
    assert ml.explain(frame, values, features) == _explained_in_python(raw, values, features)
    assert ml.explain(frame.iloc[:0], values[:0], features) == ([], [])


def test_a_shap_value_halfway_at_the_sixth_place_rounds_away_from_zero() -> None:
    # (Python's round goes by the binary value, 4.99999...e-07, and writes 0.0)
    values = np.array([[0.0000005, -0.0000005]])
    _, contributions = ml.explain(pd.DataFrame(values, columns=["a", "b"]), values, ["a", "b"])
    assert contributions == ['{"a": 1e-06, "b": -1e-06}']


def test_feature_importance_reuses_the_shap_values_of_the_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    result = ml.train_model(_frame(3000, 1), _frame(1500, 2), ["x1", "x2"], seed=5, min_positives=5)
    scoring = _frame(400, 3)
    expected = np.abs(ml.shap_values(result, scoring)[0]).mean(axis=0)
    calls = []
    shap_values = ml.shap_values
    monkeypatch.setattr(ml, "shap_values", lambda *args: calls.append(1) or shap_values(*args))
    ml.score_users(result, scoring)
    # the same users in another order (as another read of the table returns them): no second pass
    importance = ml.feature_importance(result, scoring.sample(frac=1, random_state=0))
    assert len(calls) == 1
    np.testing.assert_allclose(importance["mean_abs_shap"], expected)
    ml.feature_importance(result, scoring.iloc[:200])  # other users: explained again
    assert len(calls) == 2


def test_labels_by_probability_thresholds() -> None:
    labels = ml.label_for(np.array([0.05, 0.1, 0.29, 0.3]), high=0.3, medium=0.1)
    assert list(labels) == ["low", "medium", "medium", "high"]


def test_saved_model_loads_and_scores_the_same(tmp_path) -> None:
    result = ml.train_model(_frame(3000, 1), _frame(1500, 2), ["x1", "x2"], seed=5, min_positives=5)
    ml.save_artifacts(result, tmp_path)
    loaded = ml.load_artifacts(tmp_path)
    scoring = _frame(100, 4)
    np.testing.assert_allclose(ml.predict_margin(loaded, scoring), ml.predict_margin(result, scoring), atol=1e-6)


class _BoosterThatCannotBeSaved:
    def save_raw(self, *args: object, **kwargs: object) -> bytes:
        raise OSError("No space left on device")

    save_model = save_raw


def _saved_files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_a_failed_save_keeps_the_previous_model_and_metrics(tmp_path: Path) -> None:
    result = ml.train_model(_frame(3000, 1), _frame(1500, 2), ["x1", "x2"], seed=5, min_positives=5)
    ml.save_artifacts(result, tmp_path)
    before = _saved_files(tmp_path)
    retrained = dataclasses.replace(result, message="retrained", booster=_BoosterThatCannotBeSaved())
    with pytest.raises(OSError, match="No space"):
        ml.save_artifacts(retrained, tmp_path)
    # neither the metadata nor the model changed, and no temporary file is left behind
    assert _saved_files(tmp_path) == before
    assert ml.load_artifacts(tmp_path).message == result.message


def test_a_save_interrupted_between_model_and_metadata_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = ml.train_model(_frame(3000, 1), _frame(1500, 2), ["x1", "x2"], seed=5, min_positives=5)
    new = ml.train_model(_frame(3000, 7), _frame(1500, 8), ["x1", "x2"], seed=6, min_positives=5)
    ml.save_artifacts(old, tmp_path)
    rename = Path.replace

    def crash_before_the_metadata(self: Path, target: Path) -> Path:
        if Path(target).name == ml.METRICS_FILE:
            raise OSError("killed")
        return rename(self, target)

    monkeypatch.setattr(Path, "replace", crash_before_the_metadata)
    with pytest.raises(OSError, match="killed"):
        ml.save_artifacts(new, tmp_path)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == [ml.MODEL_FILE, ml.METRICS_FILE]
    # the new model sits beside the old metadata: loading says so instead of scoring with the pair
    with pytest.raises(ValueError, match="not the model"):
        ml.load_artifacts(tmp_path)
    ml.save_artifacts(new, tmp_path)
    scoring = _frame(100, 4)
    np.testing.assert_allclose(
        ml.predict_margin(ml.load_artifacts(tmp_path), scoring), ml.predict_margin(new, scoring), atol=1e-6
    )
