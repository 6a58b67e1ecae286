"""intent_scoring: explainable purchase-intent scoring with dbt and DuckDB."""

__version__ = "0.1.0"
