"""One row per scorer (rules, model, recency, random): metrics on the same out-of-time labels."""

from intent_scoring import ml_models


def model(dbt, session):
    dbt.config(materialized="table")
    dbt.ref("ml_model_scores")
    training_set = dbt.ref("ml_training_set").df()
    rule_scores = dbt.ref("int_rule_scores_at_validation_cutoff").df()
    return ml_models.backtest(training_set, rule_scores, ml_models.settings(dbt.config.get("ml_settings")))
