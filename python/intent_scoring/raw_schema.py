"""The contract of the raw tables that the generator and the CSV loader write.

Both writers produce exactly these columns, in this order, so the dbt sources
see one shape whatever filled them.
"""

from __future__ import annotations

import pyarrow as pa

RAW_SCHEMA = "raw"

EVENT_TYPES: tuple[str, ...] = (
    "page_view",
    "pricing_page_view",
    "search",
    "chat_message",
    "doc_download",
    "demo_request_click",
    "signup",
    "calendar_booking",
)

# One row per event as received; duplicates and bad rows included on purpose.
EVENTS_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("user_id", pa.string()),
        ("event_at", pa.timestamp("us")),  # UTC, no zone
        ("event_type", pa.string()),
        ("page_path", pa.string()),
        ("referrer", pa.string()),
        ("utm_source", pa.string()),
        ("device", pa.string()),
        ("session_id", pa.string()),  # the tracker's session id, kept as reference
        ("time_on_page_sec", pa.float64()),
        ("scroll_depth_pct", pa.float64()),
        ("loaded_at", pa.timestamp("us")),  # UTC, when the row reached the warehouse
        # Precomputed by some exports (the assessment CSV format); reference only.
        ("ref_is_repeat_session", pa.bool_()),
        ("ref_session_number", pa.int64()),
        ("ref_bounce_flag", pa.bool_()),
        ("ref_spam_flag", pa.bool_()),
    ]
)

# One row per user: profile and a browsing-history summary.
USERS_SCHEMA = pa.schema(
    [
        ("user_id", pa.string()),
        ("username", pa.string()),
        ("company", pa.string()),
        ("job_title", pa.string()),
        ("country", pa.string()),
        ("city", pa.string()),
        ("timezone", pa.string()),
        ("primary_device", pa.string()),
        ("gender", pa.string()),  # only from CSV exports; never used as a feature
        ("account_balance_usd", pa.float64()),
        ("recent_pages_viewed", pa.int64()),
        ("recent_pricing_views", pa.int64()),
        ("created_at", pa.timestamp("us")),
        ("loaded_at", pa.timestamp("us")),
    ]
)

TABLE_SCHEMAS: dict[str, pa.Schema] = {"events": EVENTS_SCHEMA, "users": USERS_SCHEMA}


def duckdb_type(field: pa.Field) -> str:
    """DuckDB column type for one Arrow field of the raw contract."""
    mapping = {
        pa.string(): "VARCHAR",
        pa.float64(): "DOUBLE",
        pa.int64(): "BIGINT",
        pa.bool_(): "BOOLEAN",
        pa.timestamp("us"): "TIMESTAMP",
    }
    return mapping[field.type]


def create_table_sql(qualified_name: str, schema: pa.Schema) -> str:
    """`create table` statement for a raw table with the contract's columns."""
    cols = ",\n    ".join(f"{f.name} {duckdb_type(f)}" for f in schema)
    return f"create table {qualified_name} (\n    {cols}\n)"
