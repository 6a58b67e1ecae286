"""The project's dbt vars, read from dbt_project.yml, for code that runs outside dbt."""

from __future__ import annotations

import json
from functools import cache

import yaml

from intent_scoring.warehouse import PROJECT_ROOT


@cache
def project_vars() -> dict:
    """The `vars:` block of dbt_project.yml."""
    with (PROJECT_ROOT / "dbt_project.yml").open() as handle:
        return yaml.safe_load(handle)["vars"]


def ml_settings() -> dict:
    """The same settings the dbt Python models receive as their ml_settings config."""
    values = project_vars()
    return json.loads(json.dumps({
        "features": values["ml_features"],
        "seed": values["ml_seed"],
        "min_positives": values["ml_min_positives"],
        "high_probability": values["ml_high_probability"],
        "medium_probability": values["ml_medium_probability"],
    }))
