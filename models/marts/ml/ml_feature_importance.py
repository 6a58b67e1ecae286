"""One row per model feature: mean |SHAP| over scored users and XGBoost gain."""

from intent_scoring import ml_models


def model(dbt, session):
    dbt.config(materialized="table")
    dbt.ref("ml_model_scores")  # built after the model is trained and saved
    training_set = dbt.ref("ml_training_set").df()
    scoring = dbt.ref("user_features").df()
    return ml_models.feature_importance(training_set, scoring, ml_models.settings(dbt.config.get("ml_settings")))
