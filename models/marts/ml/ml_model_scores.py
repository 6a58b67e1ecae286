"""One row per user as of as_of: the XGBoost model's probability, score, rank, label and SHAP reasons."""

from intent_scoring import ml_models


def model(dbt, session):
    dbt.config(materialized="table")
    training_set = dbt.ref("ml_training_set").df()
    scoring = dbt.ref("user_features").df()
    return ml_models.model_scores(training_set, scoring, ml_models.settings(dbt.config.get("ml_settings")))
