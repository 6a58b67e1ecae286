"""An export in the assessment CSV format is sessionized by our rules, not by its precomputed columns."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from intent_scoring.csv_loader import load_csv
from intent_scoring.dbt_runner import run_dbt
from intent_scoring.warehouse import connect

from .dbt_helpers import query

HEADER = (
    "event_id,user_id,username,session_id,timestamp,event_type,location_city,device,is_repeat_session,"
    "session_number,account_balance_usd,recent_pages_viewed,recent_pricing_views,gender,time_on_page_sec,"
    "scroll_depth_pct,bounce_flag,spam_flag"
)
# The file claims one session per user (session_number 1 everywhere); our rules disagree:
# alice has a 30:01 gap after an exactly-30:00 gap, bob's tracker session changes after a minute.
ROWS = [
    "a1,alice,Alice,s1,2024-03-01T10:00:00,page_view,Berlin,desktop,false,1,100,3,1,F,30,50,false,false",
    "a2,alice,Alice,s1,2024-03-01T10:30:00,pricing_page_view,Berlin,desktop,false,1,100,3,1,F,30,,false,false",
    "a3,alice,Alice,s1,2024-03-01T11:00:01,signup,Berlin,desktop,false,1,100,3,1,F,30,80,false,false",
    "b1,bob,Bob,s2,2024-03-01T10:00:00,page_view,Paris,mobile,false,1,5,1,0,M,12,20,false,false",
    "b2,bob,Bob,s3,2024-03-01T10:01:00,search,Paris,mobile,false,1,5,1,0,M,12,20,false,false",
]


def test_csv_export_is_sessionized_from_timestamps_and_tracker_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "csv.duckdb"
    monkeypatch.setenv("INTENT_WAREHOUSE", str(path))
    export = tmp_path / "export.csv"
    export.write_text("\n".join([HEADER, *ROWS]) + "\n")
    with connect(path=path) as con:
        load_csv(con, export, loaded_at=dt.datetime(2024, 3, 2))
    run_dbt(["build", "--select", "+sessions", "+user_scores", "events_rejected", "--exclude", "tag:ml"], quiet=True)
    sessions = query(path, "select user_id, session_number, event_count from marts.sessions order by 1, 2")
    assert sessions == [("alice", 1, 2), ("alice", 2, 1), ("bob", 1, 1), ("bob", 2, 1)]
    # the export's own columns are kept for reference only
    assert query(path, "select distinct ref_session_number from raw.events") == [(1,)]
    assert query(path, "select count(*) from marts.user_scores")[0][0] == 2
