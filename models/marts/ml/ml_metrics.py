"""One row per metric of the model on the out-of-time validation period."""

from intent_scoring import ml_models


def model(dbt, session):
    dbt.config(materialized="table")
    dbt.ref("ml_model_scores")
    training_set = dbt.ref("ml_training_set").df()
    return ml_models.metrics(training_set, ml_models.settings(dbt.config.get("ml_settings")))
