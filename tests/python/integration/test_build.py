"""A full `dbt build` on generated data: shapes and invariants of the marts."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from intent_scoring.dbt_runner import DbtRunError, run_dbt

from .conftest import N_USERS
from .dbt_helpers import query


def test_every_user_scored_exactly_once(built_warehouse: Path) -> None:
    users = query(built_warehouse, "select count(*) from staging.stg_web__users")[0][0]
    scored = query(built_warehouse, "select count(*), count(distinct user_id) from marts.user_scores")[0]
    assert users == N_USERS
    assert scored == (N_USERS, N_USERS)


def test_ranks_are_a_permutation_and_follow_the_score(built_warehouse: Path) -> None:
    rows = query(built_warehouse, "select score_rank, score from marts.user_scores order by score_rank")
    assert [r[0] for r in rows] == list(range(1, N_USERS + 1))
    scores = [r[1] for r in rows]
    assert scores == sorted(scores, reverse=True)


def test_top_users_holds_the_top_20_with_explanations(built_warehouse: Path) -> None:
    top = query(built_warehouse, "select user_id, explanation from marts.top_users order by score_rank")
    best = query(built_warehouse, "select user_id from marts.user_scores where score_rank <= 20 order by score_rank")
    assert [r[0] for r in top] == [r[0] for r in best]
    assert all("(+" in explanation for _, explanation in top)


def test_labels_follow_the_thresholds_seed(built_warehouse: Path) -> None:
    wrong = query(
        built_warehouse,
        """
        select count(*) from marts.user_scores
        where label <> case when score >= 70 then 'high' when score >= 40 then 'medium' else 'low' end
        """,
    )[0][0]
    assert wrong == 0
    labels = dict(query(built_warehouse, "select label, count(*) from marts.user_scores group by 1"))
    assert set(labels) == {"high", "medium", "low"}, labels


def test_raw_rows_reconcile_with_staging_rejects_and_duplicates(built_warehouse: Path) -> None:
    raw, valid, rejected, duplicates = query(
        built_warehouse,
        """
        select (select count(*) from raw.events), (select count(*) from staging.stg_web__events),
               (select count(*) from staging.events_rejected),
               (select count(*) from staging.base_web__events where copy_number > 1)
        """,
    )[0]
    assert raw == valid + rejected + duplicates
    assert duplicates > 0 and rejected > 0


def test_generated_mess_lands_in_quarantine_with_reasons(built_warehouse: Path) -> None:
    reasons = dict(query(built_warehouse, "select rejection_reason, count(*) from staging.events_rejected group by 1"))
    assert {"null user_id", "unknown event_type", "event_at after loaded_at"} <= set(reasons)


def test_as_of_defaults_to_latest_event_not_the_clock(built_warehouse: Path) -> None:
    as_of, latest = query(
        built_warehouse,
        "select (select max(as_of) from marts.user_features), (select max(event_at) from staging.stg_web__events)",
    )[0]
    assert as_of == latest


def test_sessions_split_on_gaps_over_30_minutes(built_warehouse: Path) -> None:
    # No two consecutive events inside one session are more than 30 minutes apart,
    # and every session start after a user's first follows a gap > 30 min or a tracker change.
    inside, starts = query(
        built_warehouse,
        """
        select
            count(*) filter (where not is_session_start and seconds_since_previous_event > 1800),
            count(*) filter (where is_session_start and session_number > 1
                             and seconds_since_previous_event <= 1800)
        from intermediate.int_events_sessionized
        """,
    )[0]
    assert inside == 0
    # tracker changes explain the short-gap starts; without the var they would not exist
    tracker_starts = query(
        built_warehouse,
        """
        select count(*) from (
            select sessionized.is_session_start, sessionized.seconds_since_previous_event, staged.tracker_session_id,
                   lag(staged.tracker_session_id) over (
                       partition by sessionized.user_id order by sessionized.event_at, sessionized.event_id
                   ) as prev
            from intermediate.int_events_sessionized as sessionized
            inner join staging.stg_web__events as staged on sessionized.event_id = staged.event_id
        ) where is_session_start and seconds_since_previous_event <= 1800 and tracker_session_id = prev
        """,
    )[0][0]
    assert tracker_starts == 0
    # the generator's trackers rotate ids inside some visits: those short-gap starts exist
    assert starts > 0


def test_bots_are_flagged_and_do_not_count_as_engagement(built_warehouse: Path) -> None:
    spam_sessions = query(built_warehouse, "select count(*) from marts.sessions where is_spam")[0][0]
    assert spam_sessions > 0
    # a user whose sessions are all bot-like has no human sessions or page views
    leaked = query(
        built_warehouse,
        "select count(*) from marts.user_features where spam_sessions = total_sessions and total_sessions > 0 "
        "and (sessions > 0 or page_views > 0)",
    )[0][0]
    assert leaked == 0


def test_distinct_pages_and_active_days_match_distinct_counts(built_warehouse: Path) -> None:
    # both are counted with plain group-bys (a distinct count inside the big aggregates cannot spill);
    # here they are recounted with count(distinct ...) straight from the events and sessions
    pages = query(
        built_warehouse,
        """
        select count(*), count(*) filter (where sessions.distinct_pages = recount.pages)
        from marts.sessions
        inner join (
            select sessionized.session_key, count(distinct staged.page_path) as pages
            from intermediate.int_events_sessionized as sessionized
            inner join staging.stg_web__events as staged on sessionized.event_id = staged.event_id
            group by 1
        ) as recount on sessions.session_key = recount.session_key
        """,
    )[0]
    assert pages[0] == query(built_warehouse, "select count(*) from marts.sessions")[0][0]
    assert pages[1] == pages[0]
    assert query(built_warehouse, "select count(*) from marts.sessions where distinct_pages > 1")[0][0] > 0
    # at as_of (the latest event) every session is over, so a user's active days are the distinct start days
    # of their sessions that do not look like bots
    days = query(
        built_warehouse,
        """
        select count(*), count(*) filter (where features.active_days = coalesce(recount.days, 0))
        from marts.user_features as features
        left join (
            select user_id, count(distinct date_trunc('day', started_at)) as days
            from marts.sessions where not is_spam group by 1
        ) as recount on features.user_id = recount.user_id
        """,
    )[0]
    assert days == (N_USERS, N_USERS)
    assert query(built_warehouse, "select max(active_days) from marts.user_features")[0][0] > 1
    # at every cutoff (the day roll-up path): the distinct start days of the human sessions over by
    # then, and of those running across the cutoff, flagged as they looked at it
    at_cutoffs = query(
        built_warehouse,
        """
        with human_sessions_by_cutoff as (
            select cutoffs.as_of, sessions.user_id, sessions.started_at
            from marts.sessions
            inner join intermediate.int_feature_cutoffs as cutoffs on sessions.ended_at <= cutoffs.as_of
            where not sessions.is_spam
            union all
            select as_of, user_id, started_at
            from intermediate.int_sessions_spanning_cutoffs where not is_spam
        )
        select count(*), count(*) filter (where features.active_days = coalesce(recount.days, 0))
        from (
            select * from marts.user_features
            union all
            select * from intermediate.int_user_features_at_past_cutoffs
        ) as features
        left join (
            select as_of, user_id, count(distinct date_trunc('day', started_at)) as days
            from human_sessions_by_cutoff group by 1, 2
        ) as recount on features.user_id = recount.user_id and features.as_of = recount.as_of
        """,
    )[0]
    assert at_cutoffs[0] > N_USERS
    assert at_cutoffs[1] == at_cutoffs[0]


def test_feature_range_tests_fail_and_name_the_column(warehouse_copy: Path) -> None:
    """The one-query range tests on the feature tables catch a negative count, a missing
    count and a share above 1, and their stored failures name each column (user_features:
    one row for the user; the past cutoffs: one per cutoff)."""
    with duckdb.connect(str(warehouse_copy)) as con:
        # a user who existed by the earliest cutoff has a row at every cutoff
        user = con.execute(
            "select min(user_id) from intermediate.int_user_features_at_past_cutoffs where offset_days = 60"
        ).fetchone()[0]
        for table in ["marts.user_features", "intermediate.int_user_features_at_past_cutoffs"]:
            con.execute(
                f"update {table} set searches = -1, decayed_signups = null, bounce_rate = 1.5 where user_id = ?",
                [user],
            )
        past_cutoffs = con.execute(
            "select count(*) from intermediate.int_user_features_at_past_cutoffs where user_id = ?", [user]
        ).fetchone()[0]
    assert past_cutoffs == 2
    tests = {
        "user_features_counts_present_and_non_negative": [("decayed_signups", None, 1), ("searches", -1.0, 1)],
        "user_features_shares_present_and_within_0_1": [("bounce_rate", 1.5, 1)],
        "int_user_features_at_past_cutoffs_counts_present_and_non_negative":
            [("decayed_signups", None, 2), ("searches", -1.0, 2)],
        "int_user_features_at_past_cutoffs_shares_present_and_within_0_1": [("bounce_rate", 1.5, 2)],
    }
    with pytest.raises(DbtRunError) as failure:
        run_dbt(["test", "--select", *tests, "--store-failures"], quiet=True)
    assert all(name in str(failure.value) for name in tests)
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        stored = {
            name: con.execute(
                f"select failing_column, failing_value, count(*) from {schema}.{name} group by 1, 2 order by 1"
            ).fetchall()
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables where table_name in (?, ?, ?, ?)",
                list(tests),
            ).fetchall()
        }
    assert stored == tests
