"""`--mode train` and `--mode score-model`: the ML path run outside dbt, writing the same marts.

They read the marts dbt built (ml_training_set, user_features, the rule scores)
and call the same functions as the dbt Python models, so both paths give the
same tables.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from intent_scoring import ml, ml_models
from intent_scoring.project_vars import ml_settings
from intent_scoring.warehouse import WarehouseError

BUILD_HINT = "run `python main.py --mode pipeline` (or `dbt build`) first"


def _read(con: duckdb.DuckDBPyConnection, relation: str) -> pd.DataFrame:
    try:
        return con.execute(f"select * from {relation}").df()
    except duckdb.CatalogException as error:
        raise WarehouseError(f"{relation} does not exist yet: {BUILD_HINT}") from error


def _write(con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame]) -> None:
    """Replace the marts in one transaction: all of them, or none."""
    con.execute("begin transaction")
    try:
        for name, frame in tables.items():
            con.register("_intent_frame", frame)
            con.execute(f"create or replace table marts.{name} as select * from _intent_frame")
            con.unregister("_intent_frame")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def train(con: duckdb.DuckDBPyConnection) -> ml.TrainResult:
    """Train, save the model, and write ml_model_scores, ml_feature_importance, ml_metrics, score_backtest."""
    config = ml_settings()
    training_set = _read(con, "marts.ml_training_set")
    scoring = _read(con, "marts.user_features")
    rule_scores = _read(con, "intermediate.int_rule_scores_at_validation_cutoff")
    result = ml_models.trained(training_set, config)
    # The model files are staged under temporary names and replace the saved ones only after
    # the marts describing them are committed: if a mart fails (stale rule scores, a DB error),
    # `score-model` keeps the model that the stored marts still describe.
    staged = ml.stage_artifacts(result, ml_models.models_folder())
    try:
        _write(con, {
            "ml_model_scores": ml_models.scored_frame(result, scoring, config, staged.model_path),
            "ml_feature_importance": ml_models.feature_importance(training_set, scoring, config),
            "ml_metrics": ml_models.metrics(training_set, config),
            "score_backtest": ml_models.backtest(training_set, rule_scores, config),
        })
    except BaseException:
        staged.discard()
        raise
    staged.publish()
    return result


def comparison(rules: pd.DataFrame, model_scores: pd.DataFrame) -> pd.DataFrame:
    """score_comparison: rule rank vs model rank per user and the Spearman correlation of the ranks."""
    trained = model_scores[model_scores["status"] == ml.TRAINED]
    paired = rules.merge(trained, on="user_id", suffixes=("_rule", "_model"))
    out = pd.DataFrame({
        "user_id": paired["user_id"],
        "rule_label": paired["label_rule"],
        "model_label": paired["label_model"],
        "rule_rank": paired["score_rank_rule"],
        "model_rank": paired["score_rank_model"],
    })
    out["rank_gap"] = out["rule_rank"] - out["model_rank"]
    out["rule_score"] = paired["score_rule"]
    out["model_probability"] = paired["probability"]
    out["spearman_correlation"] = out["rule_rank"].corr(out["model_rank"]) if len(out) > 1 else float("nan")
    return out


def score(con: duckdb.DuckDBPyConnection, compare: bool = False) -> ml.TrainResult:
    """Score user_features with the saved model; with compare, also the backtest and the comparison."""
    config = ml_settings()
    result = ml.load_artifacts(ml_models.models_folder())
    scoring = _read(con, "marts.user_features")
    model_path = ml_models.models_folder() / "intent_model.json" if result.booster else None
    scored = ml_models.scored_frame(result, scoring, config, model_path)
    tables = {"ml_model_scores": scored}
    if compare:
        tables["score_backtest"] = ml_models.backtest(
            _read(con, "marts.ml_training_set"),
            _read(con, "intermediate.int_rule_scores_at_validation_cutoff"),
            config,
            result=result,
        )
        tables["score_comparison"] = comparison(_read(con, "marts.user_scores"), scored)
    _write(con, tables)
    return result
