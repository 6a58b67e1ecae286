"""What the dbt Python models in models/marts/ml call: read refs, train once, build each mart.

dbt-duckdb runs Python models in the dbt process, so the trained model is cached
per training set within one `dbt build` and the three ML marts agree exactly.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from intent_scoring import ml
from intent_scoring.warehouse import warehouse_path

_CACHE: dict[str, ml.TrainResult] = {}


def settings(ml_settings: str | None) -> dict:
    """The ML vars, passed as one JSON config (see _ml__models.yml).

    The model file itself must call dbt.config.get("ml_settings"): dbt only
    exposes the config keys it finds in the model's own source.
    """
    if not ml_settings:
        raise ValueError("the ml_settings config is missing; see models/marts/ml/_ml__models.yml")
    return json.loads(ml_settings)


def _fingerprint(frame: pd.DataFrame, config: dict) -> str:
    """The training rows and settings; the row order does not count, as each model reads the
    table in whatever order DuckDB returns it (an order-bound key trained the model once per ML mart)."""
    return hashlib.sha256((ml.frame_fingerprint(frame) + json.dumps(config, sort_keys=True)).encode()).hexdigest()


def trained(training_set: pd.DataFrame, config: dict) -> ml.TrainResult:
    """Train on ml_training_set (or reuse the model trained on the same rows in this run)."""
    key = _fingerprint(training_set, config)
    if key not in _CACHE:
        _CACHE[key] = ml.train_from_frames(
            training_set, config["features"], seed=config["seed"], min_positives=config["min_positives"]
        )
    return _CACHE[key]


def models_folder() -> Path:
    """data/models beside the warehouse file."""
    return warehouse_path().parent / "models"


def model_scores(training_set: pd.DataFrame, scoring: pd.DataFrame, config: dict) -> pd.DataFrame:
    """ml_model_scores: train, save the model and metrics as JSON, score every user at as_of.

    For the dbt Python model only: dbt stores the returned frame (and the other ML marts) in
    transactions of its own after this returns, so the files cannot wait for them here.
    `--mode train` (ml_standalone.train) stages the files and publishes them after its commit.
    """
    result = trained(training_set, config)
    return scored_frame(result, scoring, config, ml.save_artifacts(result, models_folder()))


def scored_frame(
    result: ml.TrainResult, scoring: pd.DataFrame, config: dict, model_path: Path | None
) -> pd.DataFrame:
    """The ml_model_scores rows for a trained (or loaded) model; model_path is where it is saved."""
    scored = ml.score_users(result, scoring, high=config["high_probability"], medium=config["medium_probability"])
    scored["model_path"] = str(model_path) if model_path else None
    scored["as_of"] = scoring["as_of"].to_numpy() if len(scoring) else pd.Series([], dtype="datetime64[us]")
    return scored


def feature_importance(training_set: pd.DataFrame, scoring: pd.DataFrame, config: dict) -> pd.DataFrame:
    """ml_feature_importance: mean |SHAP| over scored users and gain."""
    return ml.feature_importance(trained(training_set, config), scoring)


def metrics(training_set: pd.DataFrame, config: dict) -> pd.DataFrame:
    """ml_metrics: the validation metrics of the trained model."""
    return ml.metrics_frame(trained(training_set, config))


def _random_baseline(user_ids: pd.Series) -> np.ndarray:
    """A deterministic 'random' score: a hash of the user id."""
    return np.array([int(hashlib.md5(u.encode()).hexdigest()[:8], 16) / 2**32 for u in user_ids.astype(str)])


def _tiers_by_share(score: np.ndarray) -> np.ndarray:
    """For baselines with no labels of their own: top 10% high, next 30% medium, rest low."""
    order = np.argsort(-score, kind="stable")
    high_end, medium_end = round(0.1 * len(score)), round(0.4 * len(score))
    tiers = np.full(len(score), "low", dtype=object)
    tiers[order[:high_end]] = "high"
    tiers[order[high_end:medium_end]] = "medium"
    return tiers


def backtest(
    training_set: pd.DataFrame, rule_scores: pd.DataFrame, config: dict, result: ml.TrainResult | None = None
) -> pd.DataFrame:
    """score_backtest: rules, model and two baselines on the same out-of-time validation labels.

    result: an already trained (or loaded) model; by default, the one trained on training_set.
    """
    validation = training_set[training_set["split"] == "validation"].reset_index(drop=True)
    rules = validation[["user_id"]].merge(rule_scores, on="user_id", how="left")
    if len(validation) and rules["score"].isna().all():
        raise ValueError(
            "no rule scores at the validation cutoff: int_rule_scores_at_validation_cutoff is empty or stale; "
            "rebuild it (dbt build --select int_weights_validated+) before the backtest"
        )
    y = validation[ml.LABEL].astype(int).to_numpy()
    scorers: dict[str, tuple[np.ndarray | None, np.ndarray | None, str]] = {
        "rules": (rules["score"].fillna(0).to_numpy(), rules["label"].fillna("low").to_numpy(), "scored"),
        "recency": (
            -validation["days_since_last_event"].fillna(1e9).to_numpy(dtype="float64"), None, "scored"
        ),
        "random": (_random_baseline(validation["user_id"]), None, "scored"),
    }
    result = result or trained(training_set, config)
    if result.status == ml.TRAINED:
        probability = ml.predict_proba(result, validation)
        labels = ml.label_for(probability, config["high_probability"], config["medium_probability"])
        scorers["model"] = (probability, labels, "scored")
    else:
        scorers["model"] = (None, None, result.message)
    rows = []
    for name, (score, tiers, note) in scorers.items():
        row: dict[str, object] = {"scorer": name, "users": len(y), "positives": int(y.sum()), "note": note}
        if score is not None and len(y):
            metrics = ml.evaluate(y, score)
            tiers = tiers if tiers is not None else _tiers_by_share(score)
            row.update(
                auc=metrics["auc"], lift_at_10pct=metrics["lift_top_decile"],
                precision_at_20=metrics["precision_at_20"], precision_at_100=metrics["precision_at_100"],
            )
            for tier in ("high", "medium", "low"):
                mask = tiers == tier
                row[f"{tier}_users"] = int(mask.sum())
                row[f"{tier}_conversion_rate"] = float(y[mask].mean()) if mask.any() else np.nan
        rows.append(row)
    columns = ["scorer", "auc", "lift_at_10pct", "precision_at_20", "precision_at_100", "users", "positives",
               "high_users", "high_conversion_rate", "medium_users", "medium_conversion_rate", "low_users",
               "low_conversion_rate", "note"]
    return pd.DataFrame(rows).reindex(columns=columns)
