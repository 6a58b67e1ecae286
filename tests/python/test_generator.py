"""Tests for the synthetic B2B traffic generator (python/intent_scoring/generator.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from intent_scoring import generator
from intent_scoring.generator import (
    ARCHETYPE_SHARES,
    ARCHETYPES,
    BLOCK_USERS,
    UNKNOWN_EVENT_TYPES,
    GeneratorConfig,
    generate_events,
    generate_users,
    hidden_profiles,
    n_users_for_events,
    window_bounds,
    write_generated,
)
from intent_scoring.raw_schema import EVENT_TYPES, EVENTS_SCHEMA, USERS_SCHEMA

SMALL = GeneratorConfig(n_users=400, seed=11)
CLEAN = dataclasses.replace(SMALL, clean=True)
MESSY = dataclasses.replace(
    SMALL,
    duplicate_rate=0.05,
    late_arrival_rate=0.05,
    null_user_rate=0.03,
    unknown_event_type_rate=0.03,
    future_timestamp_rate=0.03,
)
RESEARCH_TYPES = ("pricing_page_view", "doc_download", "demo_request_click", "chat_message")


def all_events(config: GeneratorConfig) -> pa.Table:
    return pa.concat_tables(generate_events(config, generate_users(config)))


def frame(events: pa.Table) -> pd.DataFrame:
    return events.to_pandas()


@pytest.fixture(scope="module")
def clean_events() -> pd.DataFrame:
    return frame(all_events(CLEAN))


@pytest.fixture(scope="module")
def messy_events() -> pd.DataFrame:
    return frame(all_events(MESSY))


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def raw_snapshot(con: duckdb.DuckDBPyConnection) -> tuple[pa.Table, pa.Table]:
    users = con.execute("select * from raw.users order by user_id").to_arrow_table()
    events = con.execute("select * from raw.events order by event_id, loaded_at").to_arrow_table()
    return users, events


# ----------------------------------------------------------------------------- contract and determinism


def test_tables_have_exactly_the_raw_contract_schemas() -> None:
    users = generate_users(SMALL)
    assert users.schema.equals(USERS_SCHEMA)
    chunks = list(generate_events(SMALL, users))
    assert chunks and all(chunk.schema.equals(EVENTS_SCHEMA) for chunk in chunks)


def test_same_seed_gives_identical_arrow_tables() -> None:
    assert generate_users(SMALL).equals(generate_users(SMALL))
    assert all_events(SMALL).equals(all_events(SMALL))
    pd.testing.assert_frame_equal(hidden_profiles(SMALL), hidden_profiles(SMALL))


def digest(config: GeneratorConfig) -> str:
    """sha256 of the Arrow IPC bytes of users and events: equal digests mean byte-identical tables."""
    sha = hashlib.sha256()
    for table in (generate_users(config), all_events(config)):
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        sha.update(sink.getvalue().to_pybytes())
    return sha.hexdigest()


def test_same_seed_gives_byte_identical_tables_in_another_process() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import test_generator as t; "
        "print(t.digest(t.SMALL))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(Path(generator.__file__).parents[1])}
    result = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent)],
        env=env, capture_output=True, text=True, check=True, timeout=120,
    )
    assert result.stdout.strip() == digest(SMALL)


def test_same_seed_gives_identical_warehouse_tables(tmp_path: Path) -> None:
    snapshots = []
    for name in ("a", "b"):
        with duckdb.connect(str(tmp_path / f"{name}.duckdb")) as connection:
            write_generated(connection, SMALL)
            snapshots.append(raw_snapshot(connection))
    assert snapshots[0][0].equals(snapshots[1][0])
    assert snapshots[0][1].equals(snapshots[1][1])


def test_different_seed_gives_different_data() -> None:
    other = dataclasses.replace(SMALL, seed=12)
    users_a, users_b = generate_users(SMALL), generate_users(other)
    assert users_a.column("user_id").equals(users_b.column("user_id"))  # same ids, different people
    assert not users_a.column("username").equals(users_b.column("username"))
    events_a, events_b = all_events(SMALL), all_events(other)
    assert not events_a.column("event_at").equals(events_b.column("event_at"))
    assert set(events_a.column("event_id").to_pylist()).isdisjoint(events_b.column("event_id").to_pylist())
    assert not hidden_profiles(SMALL)["intent"].equals(hidden_profiles(other)["intent"])


def test_chunks_respect_chunk_rows_without_changing_the_data() -> None:
    small_chunks = dataclasses.replace(SMALL, chunk_rows=700)
    chunks = list(generate_events(small_chunks, generate_users(small_chunks)))
    assert len(chunks) > 1
    assert all(0 < chunk.num_rows <= 700 for chunk in chunks)
    assert pa.concat_tables(chunks).equals(all_events(SMALL))


def test_config_validates_rates_and_clean_turns_mess_off() -> None:
    with pytest.raises(ValueError, match="duplicate_rate"):
        GeneratorConfig(duplicate_rate=-0.1)
    with pytest.raises(ValueError, match="late_arrival_rate"):
        GeneratorConfig(late_arrival_rate=0.5)
    with pytest.raises(ValueError, match="days"):
        GeneratorConfig(days=0)
    assert set(CLEAN.mess_rates().values()) == {0.0}
    assert SMALL.mess_rates()["duplicate_rate"] == SMALL.duplicate_rate > 0


def test_one_day_window_is_one_day_of_the_same_traffic() -> None:
    """`generate --append --days 1` is a daily load: about 1/120 of the 120-day volume, inside that day."""
    config = GeneratorConfig(n_users=20_000, seed=5, clean=True)
    day = dataclasses.replace(config, days=1, end_date=config.end_date + dt.timedelta(days=1))
    full, daily = all_events(config), all_events(day)
    start, end = window_bounds(day)
    at = daily.column("event_at").to_pandas()
    assert ((at >= start) & (at < end)).all()
    assert 0.5 / 120 < daily.num_rows / full.num_rows < 2.0 / 120
    # most users are absent from one day; converters are drawn per window, so a day has few
    assert pc.count_distinct(daily.column("user_id")).as_py() < 0.1 * config.n_users
    signups = pc.sum(pc.equal(daily.column("event_type"), "signup")).as_py()
    full_signups = pc.sum(pc.equal(full.column("event_type"), "signup")).as_py()
    assert signups < 4 * full_signups / 120


def test_consecutive_daily_loads_draw_different_visits() -> None:
    """Each appended day draws its own visits, not the previous day's shifted by 24 hours."""
    config = GeneratorConfig(n_users=5000, seed=5, clean=True, days=1)
    monday = dataclasses.replace(config, end_date=dt.date(2026, 7, 6))
    tuesday = dataclasses.replace(config, end_date=dt.date(2026, 7, 7))
    a, b = frame(all_events(monday)), frame(all_events(tuesday))
    shifted = (a["event_at"] + pd.Timedelta(days=1)).sort_values().reset_index(drop=True)
    assert not shifted.equals(b["event_at"].sort_values().reset_index(drop=True))
    # mostly other users on another day
    users_a, users_b = set(a["user_id"]), set(b["user_id"])
    assert len(users_a & users_b) < 0.5 * min(len(users_a), len(users_b))


def test_weekdays_get_even_traffic_and_a_weekend_load_does_not_pile_at_its_end() -> None:
    events = frame(all_events(dataclasses.replace(CLEAN, n_users=3000)))
    humans = events[~events["user_id"].isin(
        hidden_profiles(dataclasses.replace(CLEAN, n_users=3000)).query("archetype == 'bot'")["user_id"]
    )]
    share = humans["event_at"].dt.dayofweek.value_counts(normalize=True).sort_index()
    weekdays, weekend = share.loc[0:4], share.loc[5:6]
    assert weekdays.max() < 1.25 * weekdays.min(), share.round(3).to_dict()
    assert weekend.max() < 0.7 * weekdays.min(), share.round(3).to_dict()
    # a daily load on a Saturday: visits keep to the day, none heaped on its last minute
    saturday = dataclasses.replace(CLEAN, n_users=20_000, days=1, end_date=dt.date(2026, 7, 4))
    start, end = window_bounds(saturday)
    at = frame(all_events(saturday))["event_at"]
    assert ((at >= start) & (at < end)).all()
    assert (at >= end - pd.Timedelta(minutes=1)).mean() < 0.01
    assert (at.dt.hour == 23).mean() < 0.05


# ----------------------------------------------------------------------------- users and hidden truth


def test_archetype_shares_are_exact_within_one_user() -> None:
    for n_users in (400, 1003):
        profiles = hidden_profiles(dataclasses.replace(SMALL, n_users=n_users))
        shares = profiles["archetype"].value_counts(normalize=True)
        for name, share in zip(ARCHETYPES, ARCHETYPE_SHARES, strict=True):
            assert abs(shares[name] - share) <= 1 / n_users, name
    assert profiles["intent"].between(0, 1).all()
    assert (profiles.loc[profiles["archetype"] == "bot", "intent"] == 0).all()
    assert profiles["conversion_at"].notna().eq(profiles["converts"]).all()


def test_users_look_like_a_b2b_crm_export() -> None:
    users = generate_users(SMALL).to_pandas()
    profiles = hidden_profiles(SMALL)
    assert users["user_id"].tolist() == [f"u{i:06d}" for i in range(SMALL.n_users)]
    assert users["user_id"].tolist() == profiles["user_id"].tolist()
    assert users["username"].is_unique
    assert users["gender"].isna().all()
    assert set(users["primary_device"]) <= {"desktop", "mobile", "tablet"}
    assert users[["company", "country", "city", "timezone"]].notna().mean().min() > 0.9
    balance = users["account_balance_usd"]
    assert (balance >= 0).all() and (balance == 0).mean() > 0.05
    assert balance.max() > 20 * balance[balance > 0].median()  # many small, a few large
    assert (users["recent_pricing_views"] <= users["recent_pages_viewed"]).all()
    humans = profiles["archetype"] != "bot"
    pages, intent = users.loc[humans, "recent_pages_viewed"], profiles.loc[humans, "intent"]
    assert pages.corr(intent, method="spearman") > 0.3
    _, end = window_bounds(SMALL)
    assert (users["created_at"] < end).all() and (users["loaded_at"] >= users["created_at"]).all()


def test_n_users_for_events_gives_about_that_many_events() -> None:
    target = 40_000
    config = GeneratorConfig(n_users=n_users_for_events(target), seed=5)
    produced = all_events(config).num_rows
    assert 0.85 * target <= produced <= 1.15 * target
    assert n_users_for_events(1) == 1


def test_conversions_keep_coming_through_the_window() -> None:
    profiles = hidden_profiles(GeneratorConfig())  # the default 5000 users
    _, end = window_bounds(GeneratorConfig())
    for k in range(4):
        upper = end - dt.timedelta(days=30 * k)
        converted = profiles["conversion_at"].between(upper - dt.timedelta(days=30), upper, inclusive="left")
        assert converted.sum() >= 100, k


# ----------------------------------------------------------------------------- clean data behaviour


def test_clean_data_has_no_mess(clean_events: pd.DataFrame) -> None:
    start, end = window_bounds(CLEAN)
    assert clean_events["event_id"].is_unique
    assert clean_events["user_id"].notna().all()
    assert set(clean_events["event_type"]) <= set(EVENT_TYPES)
    assert (clean_events["event_at"] <= clean_events["loaded_at"]).all()
    assert (clean_events["loaded_at"] - clean_events["event_at"]).max() <= pd.Timedelta(minutes=30)
    assert clean_events["event_at"].min() >= start and clean_events["event_at"].max() < end


def test_conversions_in_events_match_the_hidden_truth(clean_events: pd.DataFrame) -> None:
    profiles = hidden_profiles(CLEAN).set_index("user_id")
    first = {
        kind: clean_events[clean_events["event_type"] == kind].groupby("user_id")["event_at"].min()
        for kind in ("signup", "calendar_booking")
    }
    both = pd.concat(first, axis=1).dropna()
    converters = profiles.index[profiles["converts"]]
    assert set(both.index) == set(converters)
    assert (both["calendar_booking"] == profiles.loc[both.index, "conversion_at"]).all()
    assert (both["signup"] <= both["calendar_booking"]).all()
    # noise: some non-converters sign up (or book) without completing both
    signed_up = set(first["signup"].index)
    assert signed_up - set(converters)


def test_bouncers_view_one_page_for_a_few_seconds(clean_events: pd.DataFrame) -> None:
    profiles = hidden_profiles(CLEAN)
    bouncers = set(profiles.loc[profiles["archetype"] == "bouncer", "user_id"])
    theirs = clean_events[clean_events["user_id"].isin(bouncers)]
    assert theirs.groupby("user_id").size().eq(1).all() and theirs["user_id"].nunique() == len(bouncers)
    assert (theirs["event_type"] == "page_view").all()
    assert theirs["time_on_page_sec"].between(0, 10).all()


def test_bots_fire_bursts_with_zero_engagement(clean_events: pd.DataFrame) -> None:
    profiles = hidden_profiles(CLEAN)
    bots = set(profiles.loc[profiles["archetype"] == "bot", "user_id"])
    theirs = clean_events[clean_events["user_id"].isin(bots)].sort_values(["user_id", "event_at"])
    assert (theirs["time_on_page_sec"] == 0).all() and (theirs["scroll_depth_pct"] == 0).all()
    tenth_later = theirs.groupby("user_id")["event_at"].shift(-9)
    burst = (tenth_later - theirs["event_at"]) <= pd.Timedelta(seconds=60)
    bursting = set(theirs.loc[burst, "user_id"])
    assert bursting == bots  # every bot has >= 10 events within 60 s
    humans = clean_events[~clean_events["user_id"].isin(bots)]
    assert (humans["time_on_page_sec"] > 0).all()


def test_exact_30_minute_edge_gaps_exist_between_consecutive_events(clean_events: pd.DataFrame) -> None:
    ordered = clean_events.sort_values(["user_id", "event_at"])
    gaps = ordered.groupby("user_id")["event_at"].diff().dropna()
    assert (gaps == pd.Timedelta(seconds=1800)).sum() >= 3
    assert (gaps == pd.Timedelta(seconds=1801)).sum() >= 3


def test_tracker_sessions_mostly_follow_visits(clean_events: pd.DataFrame) -> None:
    ordered = clean_events.sort_values(["user_id", "event_at"])
    same_user = ordered["user_id"].eq(ordered["user_id"].shift())
    changed = same_user & ordered["session_id"].ne(ordered["session_id"].shift())
    gap = ordered["event_at"].diff()
    rotated_inside_visit = changed & (gap < pd.Timedelta(minutes=5))
    assert rotated_inside_visit.sum() > 0  # the tracker sometimes rotates its id mid-visit
    assert (gap[same_user & ~changed] <= pd.Timedelta(seconds=1801)).all()


def test_research_before_a_cutoff_predicts_conversion_after_it() -> None:
    config = GeneratorConfig(n_users=3000, seed=21, clean=True)
    events = frame(all_events(config))
    profiles = hidden_profiles(config).set_index("user_id")
    _, end = window_bounds(config)
    cutoff = end - dt.timedelta(days=60)
    conversion = profiles["conversion_at"]
    positive = conversion.between(cutoff, cutoff + dt.timedelta(days=30), inclusive="left")
    candidates = ~(conversion < cutoff)  # not converted yet at the cutoff
    before = events[(events["event_at"] < cutoff) & events["event_type"].isin(RESEARCH_TYPES)]
    research = before.groupby("user_id").size().reindex(profiles.index, fill_value=0)
    pos_mean, neg_mean = research[positive].mean(), research[candidates & ~positive].mean()
    assert positive.sum() >= 50
    assert pos_mean > 2 * neg_mean
    assert (research[positive] == 0).any()  # some converters show no signal at all


# ----------------------------------------------------------------------------- mess


def blocks(config: GeneratorConfig) -> int:
    return math.ceil(config.n_users / BLOCK_USERS)


def test_mess_rates_are_within_the_documented_bounds(messy_events: pd.DataFrame) -> None:
    copies = messy_events["event_id"].duplicated(keep="first")
    originals = messy_events[~copies]
    n_clean = len(originals)
    bound = blocks(MESSY) / (2 * n_clean) + 1e-12
    observed = {
        "duplicate_rate": copies.sum(),
        "null_user_rate": originals["user_id"].isna().sum(),
        "unknown_event_type_rate": (~originals["event_type"].isin(EVENT_TYPES)).sum(),
        "future_timestamp_rate": (originals["event_at"] > originals["loaded_at"]).sum(),
        "late_arrival_rate": (originals["loaded_at"] - originals["event_at"] > pd.Timedelta(hours=1)).sum(),
    }
    for name, count in observed.items():
        assert abs(count / n_clean - getattr(MESSY, name)) <= bound, name
    assert set(messy_events["event_type"]) - set(EVENT_TYPES) <= set(UNKNOWN_EVENT_TYPES)


def test_default_mess_is_small_but_present() -> None:
    events = frame(all_events(SMALL))
    copies = events["event_id"].duplicated(keep="first")
    n_clean = int((~copies).sum())
    assert copies.sum() == round(SMALL.duplicate_rate * n_clean)
    assert events["user_id"].isna().sum() == round(SMALL.null_user_rate * n_clean)


def test_resent_duplicates_are_exact_copies_loaded_later(messy_events: pd.DataFrame) -> None:
    copies = messy_events[messy_events["event_id"].duplicated(keep="first")]
    firsts = messy_events.drop_duplicates("event_id").set_index("event_id").loc[copies["event_id"]]
    columns = [c for c in messy_events.columns if c not in ("event_id", "loaded_at")]
    pd.testing.assert_frame_equal(
        copies[columns].reset_index(drop=True), firsts[columns].reset_index(drop=True)
    )
    assert (copies["loaded_at"].to_numpy() > firsts["loaded_at"].to_numpy()).all()


def test_every_event_user_exists_in_users(messy_events: pd.DataFrame) -> None:
    user_ids = set(generate_users(MESSY).column("user_id").to_pylist())
    assert set(messy_events["user_id"].dropna()) <= user_ids


def test_reference_columns_are_null(messy_events: pd.DataFrame) -> None:
    ref = [c for c in messy_events.columns if c.startswith("ref_")]
    assert ref and messy_events[ref].isna().all().all()


# ----------------------------------------------------------------------------- writing


@pytest.mark.parametrize("append", [False, True])
def test_failed_write_leaves_the_previous_raw_tables_intact(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch, append: bool
) -> None:
    write_generated(con, GeneratorConfig(n_users=150, seed=1))
    before = raw_snapshot(con)
    real = generator.generate_events

    def failing(config: GeneratorConfig, users: pa.Table) -> Iterator[pa.Table]:
        chunks = real(config, users)
        yield next(chunks)
        raise RuntimeError("disk full")

    monkeypatch.setattr(generator, "generate_events", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        write_generated(con, GeneratorConfig(n_users=300, seed=2, chunk_rows=500), append=append)
    after = raw_snapshot(con)
    assert after[0].equals(before[0]) and after[1].equals(before[1])


def test_write_generated_replaces_by_default(con: duckdb.DuckDBPyConnection) -> None:
    write_generated(con, GeneratorConfig(n_users=150, seed=1))
    counts = write_generated(con, SMALL)
    stored = con.execute(
        "select (select count(*) from raw.users), (select count(*) from raw.events)"
    ).fetchone()
    assert stored == (counts["users"], counts["events"]) == (SMALL.n_users, all_events(SMALL).num_rows)


def test_append_adds_events_and_upserts_users(con: duckdb.DuckDBPyConnection) -> None:
    first = GeneratorConfig(n_users=200, seed=1)
    later = dataclasses.replace(first, n_users=300, end_date=dt.date(2026, 10, 31))
    written_first = write_generated(con, first)
    written_later = write_generated(con, later, append=True)
    users, events = raw_snapshot(con)
    assert users.num_rows == written_later["users"] == 300
    assert pc.count_distinct(users.column("user_id")).as_py() == 300
    # the newest profile, except created_at: an existing account keeps its earlier creation time
    first_users, later_users = generate_users(first).to_pandas(), generate_users(later).to_pandas()
    upserted = users.to_pandas().set_index("user_id")
    expected = later_users.set_index("user_id")
    expected.loc[first_users["user_id"], "created_at"] = (
        first_users.set_index("user_id")["created_at"].combine(
            expected.loc[first_users["user_id"], "created_at"], min
        )
    )
    pd.testing.assert_frame_equal(upserted.loc[expected.index], expected)
    assert (upserted.loc[first_users["user_id"], "created_at"]
            <= first_users.set_index("user_id")["created_at"]).all()
    assert events.num_rows == written_first["events"] + written_later["events"]
    first_ids = set(all_events(first).column("event_id").to_pylist())
    later_ids = set(all_events(later).column("event_id").to_pylist())
    assert first_ids.isdisjoint(later_ids)
