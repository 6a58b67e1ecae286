"""XGBoost training, scoring, SHAP explanations and metrics for the ML path.

The dbt Python models in models/marts/ml are thin wrappers around these
functions, and `python main.py --mode train` calls the same code, so pytest
tests the logic directly. Labels come from the future of each cutoff
(ml_training_set); nothing here looks at the label of the scoring rows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from intent_scoring.staged_files import StagedFiles

LABEL = "converted_next"
TRAINED = "trained"
NOT_TRAINED = "not trained"

XGB_PARAMS = {
    "objective": "binary:logistic",
    "eval_metric": "logloss",
    "max_depth": 3,
    "eta": 0.05,
    "subsample": 0.9,
    "colsample_bytree": 0.9,
    "min_child_weight": 2.0,
    "lambda": 1.0,
    "nthread": 2,
}


@dataclass
class TrainResult:
    """A trained booster (or why there is none) and what it was trained on."""

    status: str
    message: str
    features: list[str]
    booster: object | None = None
    best_iteration: int | None = None
    train_rows: int = 0
    train_positives: int = 0
    validation_rows: int = 0
    validation_positives: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    # mean |SHAP| per feature over a scored frame, by frame_fingerprint: ml_feature_importance
    # reuses what ml_model_scores computed instead of explaining every user again
    mean_abs_shap: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """A digest of a frame's rows and columns that does not depend on the row order
    (DuckDB returns a table's rows in no fixed order)."""
    rows = np.sort(pd.util.hash_pandas_object(frame, index=False).to_numpy())
    digest = hashlib.sha256(rows.tobytes())
    digest.update(json.dumps([str(column) for column in frame.columns]).encode())
    return digest.hexdigest()


def _matrix(frame: pd.DataFrame, features: list[str]) -> np.ndarray:
    """Features as a float matrix; missing values stay NaN (XGBoost handles them)."""
    return frame[features].astype("float64").to_numpy()


def train_model(
    train: pd.DataFrame,
    validation: pd.DataFrame,
    features: list[str],
    seed: int = 42,
    min_positives: int = 20,
    max_rounds: int = 400,
) -> TrainResult:
    """Train with early stopping on the out-of-time validation rows.

    Returns status NOT_TRAINED with a clear message, instead of raising, when
    either period has too few positives (or negatives) to learn from.
    """
    import xgboost as xgb

    result = TrainResult(
        status=NOT_TRAINED,
        message="",
        features=list(features),
        train_rows=len(train),
        train_positives=int(train[LABEL].sum()) if len(train) else 0,
        validation_rows=len(validation),
        validation_positives=int(validation[LABEL].sum()) if len(validation) else 0,
    )
    for period, rows, positives in (
        ("training", result.train_rows, result.train_positives),
        ("validation", result.validation_rows, result.validation_positives),
    ):
        if positives < min_positives or rows - positives < min_positives:
            result.message = (
                f"model not trained: the {period} period has {positives} positive and "
                f"{rows - positives} negative users; at least {min_positives} of each are needed "
                "(generate more users, or lower var ml_min_positives)"
            )
            return result
    dtrain = xgb.DMatrix(_matrix(train, features), label=train[LABEL].astype(int), feature_names=features)
    dvalid = xgb.DMatrix(_matrix(validation, features), label=validation[LABEL].astype(int), feature_names=features)
    booster = xgb.train(
        {**XGB_PARAMS, "seed": seed},
        dtrain,
        num_boost_round=max_rounds,
        evals=[(dvalid, "validation")],
        early_stopping_rounds=30,
        verbose_eval=False,
    )
    result.status = TRAINED
    result.booster = booster
    result.best_iteration = int(booster.best_iteration)
    result.message = f"trained {result.best_iteration + 1} trees on {result.train_rows} users"
    result.metrics = evaluate(validation[LABEL].astype(int).to_numpy(), predict_proba(result, validation))
    return result


def _iteration_range(result: TrainResult) -> tuple[int, int]:
    return (0, (result.best_iteration or 0) + 1)


def predict_margin(result: TrainResult, frame: pd.DataFrame) -> np.ndarray:
    """Log-odds from the best iteration."""
    import xgboost as xgb

    matrix = xgb.DMatrix(_matrix(frame, result.features), feature_names=result.features)
    margin = result.booster.predict(matrix, output_margin=True, iteration_range=_iteration_range(result))
    return np.asarray(margin, dtype="float64")


def predict_proba(result: TrainResult, frame: pd.DataFrame) -> np.ndarray:
    """Probability of converting within the label horizon."""
    return 1.0 / (1.0 + np.exp(-predict_margin(result, frame)))


def shap_values(result: TrainResult, frame: pd.DataFrame) -> tuple[np.ndarray, float]:
    """Per-user SHAP values (log-odds space) and the base value; base + row sum = margin."""
    import shap

    explainer = shap.TreeExplainer(result.booster)
    if result.best_iteration is not None and result.best_iteration + 1 < result.booster.num_boosted_rounds():
        explainer = shap.TreeExplainer(result.booster[: result.best_iteration + 1])
    values = explainer.shap_values(_matrix(frame, result.features))
    return np.asarray(values, dtype="float64"), float(np.ravel(explainer.expected_value)[0])


def explain(frame: pd.DataFrame, values: np.ndarray, features: list[str], top: int = 3) -> tuple[list[str], list[str]]:
    """Top positive SHAP reasons in words, and every feature's SHAP value as JSON, per row.

    A reason reads "<feature in words> = <value, 3 significant digits, or missing> (<SHAP, signed,
    2 places>)", largest first (ties: the earlier feature); the JSON is {"feature": SHAP rounded to
    6 places, ...} in feature order. An in-memory DuckDB writes the texts: its format() follows
    Python's format specs and repr (the texts of all 431K users of a 10M-event run were those of
    f-strings and json.dumps), in ~3 s where formatting in Python took ~17 s. Only a SHAP value
    exactly halfway at the 6th place differs: DuckDB rounds it away from zero (5e-07 -> 1e-06),
    Python's round by its binary value (-> 0.0).
    """
    import duckdb

    if len(values) == 0:
        return [], []
    raw = _matrix(frame, features)
    # each row's `top` largest SHAP values (ties: the earlier feature), found for all rows at once
    order = np.argsort(-values, axis=1, kind="stable")[:, :top]
    columns = {f"v{i}": values[:, i] for i in range(len(features))}
    reasons = []
    for place in range(order.shape[1]):
        columns[f"feature_{place}"] = order[:, place] + 1  # 1-based, for the SQL list of names
        columns[f"shap_{place}"] = np.take_along_axis(values, order[:, [place]], axis=1)[:, 0]
        columns[f"value_{place}"] = np.take_along_axis(raw, order[:, [place]], axis=1)[:, 0]
        reasons.append(
            f"case when shap_{place} > 0 then format('{{}} = {{}} ({{:+.2f}})', names[feature_{place}], "
            # (DuckDB reads a frame's NaN as null)
            f"case when value_{place} is null or isnan(value_{place}) then 'missing' "
            f"else format('{{:.3g}}', value_{place}) end, "
            f"shap_{place}) end"
        )
    names = "[" + ", ".join(_sql_text(feature.replace("_", " ")) for feature in features) + "]"
    # {"feature": {}, ...} as a format string, its braces doubled
    template = ", ".join(json.dumps(feature).replace("{", "{{").replace("}", "}}") + ": {}" for feature in features)
    arguments = ", ".join(f"round(v{i}, 6)" for i in range(len(features)))
    query = f"""
        select
            coalesce(nullif(concat_ws(', ', {", ".join(reasons)}), ''), 'no feature raises this user''s odds')
                as explanation,
            format({_sql_text("{{" + template + "}}")}, {arguments}) as contributions
        from (select *, {names} as names from explained_rows)
    """
    with duckdb.connect() as con:
        con.register("explained_rows", pd.DataFrame(columns))
        # DuckDB's default, stated because the texts are matched to the rows by position
        con.execute("set preserve_insertion_order = true")
        # no progress bar: this runs inside dbt's and the CLI's output
        con.execute("set enable_progress_bar = false")
        # through Arrow: fetching the texts as NumPy objects took 3.2 s at 431K users, this 0.3 s
        texts = con.execute(query).to_arrow_table()
    return texts.column("explanation").to_pylist(), texts.column("contributions").to_pylist()


def _sql_text(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def label_for(probability: np.ndarray, high: float, medium: float) -> np.ndarray:
    """high / medium / low by probability thresholds."""
    return np.where(probability >= high, "high", np.where(probability >= medium, "medium", "low"))


def score_users(
    result: TrainResult, scoring: pd.DataFrame, high: float = 0.3, medium: float = 0.1
) -> pd.DataFrame:
    """One row per user: the model's probability, 0-100 score, rank, label and SHAP explanation.

    Keeps the mean |SHAP| per feature on `result` for feature_importance of the same frame."""
    out = pd.DataFrame({"user_id": scoring["user_id"].astype(str).to_numpy()})
    out["status"] = result.status
    out["status_message"] = result.message
    if result.status != TRAINED:
        for column in ("probability", "score", "margin", "base_value"):
            out[column] = np.nan
        out["score_rank"] = pd.array([None] * len(out), dtype="Int64")
        # typed nulls: an all-None object column reaches DuckDB as INTEGER, not the text it holds
        # when trained (score_comparison's contract names the type)
        out["label"] = pd.array([None] * len(out), dtype="string")
        out["explanation"] = result.message
        out["contributions"] = pd.array([None] * len(out), dtype="string")
        return out
    margin = predict_margin(result, scoring)
    values, base = shap_values(result, scoring)
    result.mean_abs_shap[frame_fingerprint(scoring)] = np.abs(values).mean(axis=0)
    probability = 1.0 / (1.0 + np.exp(-margin))
    out["probability"] = probability
    out["score"] = np.round(100.0 * probability, 1)
    out["margin"] = margin
    out["base_value"] = base
    order = np.lexsort((out["user_id"].to_numpy(), -probability))
    ranks = np.empty(len(out), dtype="int64")
    ranks[order] = np.arange(1, len(out) + 1)
    out["score_rank"] = ranks
    out["label"] = label_for(probability, high, medium)
    out["explanation"], out["contributions"] = explain(scoring, values, result.features)
    return out


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC by the rank-sum formula (ties get average ranks)."""
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = pd.Series(p).rank(method="average").to_numpy()
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def evaluate(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """AUC, PR-AUC, log loss, top-decile lift and precision@k for one scorer on one label set."""
    from sklearn.metrics import average_precision_score, log_loss

    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype="float64")
    order = np.argsort(-p, kind="stable")
    base_rate = y.mean() if len(y) else float("nan")
    top_decile = order[: max(1, len(y) // 10)]
    metrics = {
        "auc": _auc(y, p),
        "pr_auc": float(average_precision_score(y, p)) if 0 < y.sum() < len(y) else float("nan"),
        "log_loss": float(log_loss(y, np.clip(p, 1e-6, 1 - 1e-6), labels=[0, 1])) if len(y) else float("nan"),
        "lift_top_decile": float(y[top_decile].mean() / base_rate) if base_rate else float("nan"),
        "precision_at_20": float(y[order[:20]].mean()) if len(y) else float("nan"),
        "precision_at_100": float(y[order[:100]].mean()) if len(y) else float("nan"),
        "positives": float(y.sum()),
        "users": float(len(y)),
    }
    return metrics


def feature_importance(result: TrainResult, scoring: pd.DataFrame) -> pd.DataFrame:
    """Mean |SHAP| over the scored users and XGBoost gain, per feature."""
    if result.status != TRAINED:
        return pd.DataFrame({
            "feature": result.features, "mean_abs_shap": np.nan, "gain": np.nan,
            "status": result.status, "status_message": result.message,
        })
    key = frame_fingerprint(scoring)
    if key not in result.mean_abs_shap:
        result.mean_abs_shap[key] = np.abs(shap_values(result, scoring)[0]).mean(axis=0)
    gain = result.booster.get_score(importance_type="gain")
    return pd.DataFrame({
        "feature": result.features,
        "mean_abs_shap": result.mean_abs_shap[key],
        "gain": [float(gain.get(f, 0.0)) for f in result.features],
        "status": result.status,
        "status_message": result.message,
    })


def metrics_frame(result: TrainResult) -> pd.DataFrame:
    """One row per metric on the validation period, with the training status."""
    names = ["auc", "pr_auc", "log_loss", "lift_top_decile", "precision_at_20", "precision_at_100",
             "positives", "users"]
    values = result.metrics or {
        "positives": float(result.validation_positives), "users": float(result.validation_rows)
    }
    return pd.DataFrame({
        "metric": names,
        "value": [values.get(n, np.nan) for n in names],
        "status": result.status,
        "note": result.message,
    })


MODEL_FILE = "intent_model.json"
METRICS_FILE = "intent_model_metrics.json"


class StagedArtifacts(StagedFiles):
    """The model and its metrics written under temporary names, not yet visible to readers
    (publish() renames them into place, discard() leaves the saved pair as it was), and where
    the model will be once published (None: not trained)."""

    def __init__(self) -> None:
        super().__init__()
        self.model_path: Path | None = None


def stage_artifacts(result: TrainResult, folder: Path) -> StagedArtifacts:
    """Write the model (JSON) and its metrics to temporary files beside the saved ones.

    Nothing a reader sees changes until publish(); a failure here leaves no temporary file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    payload = {
        "status": result.status, "message": result.message, "features": result.features,
        "best_iteration": result.best_iteration, "train_rows": result.train_rows,
        "train_positives": result.train_positives, "validation_rows": result.validation_rows,
        "validation_positives": result.validation_positives, "validation_metrics": result.metrics,
    }
    staged = StagedArtifacts()
    try:
        # The model is staged first and its metadata last, so publish() renames them in that order:
        # the metadata is what readers open first, and it carries the model's checksum, so even a
        # crash between the two renames can never pass a new model off as the old one
        # (load_artifacts refuses the pair).
        if result.status == TRAINED:
            model = bytes(result.booster.save_raw(raw_format="json"))
            staged.model_path = folder / MODEL_FILE
            staged.temporary(staged.model_path).write_bytes(model)
            payload["model_sha256"] = hashlib.sha256(model).hexdigest()
        staged.temporary(folder / METRICS_FILE).write_bytes(json.dumps(payload, indent=2, default=float).encode())
    except BaseException:
        staged.discard()
        raise
    return staged


def save_artifacts(result: TrainResult, folder: Path) -> Path | None:
    """Save the model as JSON and its metrics beside it; returns the model path.

    Both are written in full under temporary names before either replaces the saved pair,
    so a failure while writing leaves the previous model and metrics untouched.
    """
    staged = stage_artifacts(result, folder)
    staged.publish()
    return staged.model_path


def load_artifacts(folder: Path) -> TrainResult:
    """The model saved by save_artifacts, ready to score (status NOT_TRAINED when none was saved)."""
    import xgboost as xgb

    metrics_path = folder / METRICS_FILE
    if not metrics_path.exists():
        raise FileNotFoundError(f"no trained model in {folder}: run `python main.py --mode train` first")
    saved = json.loads(metrics_path.read_text())
    result = TrainResult(
        status=saved["status"], message=saved["message"], features=saved["features"],
        best_iteration=saved["best_iteration"], train_rows=saved["train_rows"],
        train_positives=saved["train_positives"], validation_rows=saved["validation_rows"],
        validation_positives=saved["validation_positives"], metrics=saved["validation_metrics"] or {},
    )
    if result.status == TRAINED:
        model_path = folder / MODEL_FILE
        if not model_path.exists():
            raise FileNotFoundError(
                f"{metrics_path} describes a trained model but {model_path} is missing: "
                "run `python main.py --mode train` again"
            )
        model = model_path.read_bytes()
        # Files saved before the checksum was recorded have none; they load as before.
        expected = saved.get("model_sha256")
        if expected and hashlib.sha256(model).hexdigest() != expected:
            raise ValueError(
                f"{model_path} is not the model {metrics_path} describes (a save was interrupted?): "
                "run `python main.py --mode train` again"
            )
        booster = xgb.Booster()
        booster.load_model(bytearray(model))
        result.booster = booster
    return result


def train_from_frames(
    training_set: pd.DataFrame, features: list[str], seed: int = 42, min_positives: int = 20
) -> TrainResult:
    """Split ml_training_set rows by their `split` column and train.

    Rows are sorted by key first: XGBoost's row subsampling depends on row order,
    and dbt and the standalone path read the table in different orders.
    """
    training_set = training_set.sort_values("user_cutoff_key", kind="stable")
    train = training_set[training_set["split"] == "train"]
    validation = training_set[training_set["split"] == "validation"]
    return train_model(train, validation, features, seed=seed, min_positives=min_positives)
