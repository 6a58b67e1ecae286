"""Synthetic B2B website traffic for the raw tables (`raw.users`, `raw.events`).

The generator simulates a population of visitors of a B2B SaaS site. Each user has
a hidden archetype and a hidden purchase intent in [0, 1]; both drive what the user
does on the site, and neither is ever written to the raw tables (see
`hidden_profiles` for the truth, meant for tests and diagnostics only).

Window
    Events happen in ``[start, end)`` where ``end`` is midnight after
    ``config.end_date`` and ``start = end - config.days``: the end date is the last
    whole day of data. With clean=True every event lies inside the window; with mess
    on, clock-skewed rows may carry an `event_at` after it.

Archetypes (exact shares, see ``ARCHETYPE_SHARES``)
    bouncer (one visit, one page view, a few seconds), casual, researcher (docs,
    pricing, searches), hot_lead (pricing, demo, chat), returning (many visits) and
    bot (bursts of dozens of events seconds apart with zero time on page and zero
    scroll; some spam the signup form).

Conversions
    A converting user signs up and books a call; `conversion_at` is the time of the
    calendar booking, which is the later of the two events (the signup happens in
    the same visit or up to 7 days before). Conversion times are spread uniformly
    over the window; a converter's research activity (pricing, docs, demo clicks,
    chat) ramps up in the weeks before it, except for a share of low-signal
    converters. Some non-converters sign up without booking or book without signing
    up, and active high-intent users often never convert.

Determinism
    Everything derives from ``config.seed`` through ``numpy.random.default_rng`` with
    fixed stream keys and Faker instances seeded with the seed; no clock is read and
    `loaded_at` derives from `event_at`. Users are processed in fixed blocks of
    ``BLOCK_USERS`` users, so the data does not depend on ``chunk_rows``.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import math
from collections.abc import Iterable, Iterator

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from faker import Faker

from intent_scoring.raw_schema import EVENT_TYPES, EVENTS_SCHEMA, RAW_SCHEMA, USERS_SCHEMA
from intent_scoring.warehouse import write_raw_tables

SEC = 1_000_000  # microseconds
MINUTE = 60 * SEC
HOUR = 60 * MINUTE
DAY = 24 * HOUR
_EPOCH = datetime.datetime(1970, 1, 1)
_NO_TIME = np.iinfo(np.int64).min

BLOCK_USERS = 10_000  # users per generation block; fixed so the data never depends on chunk_rows
MAX_MESS_RATE = 0.1  # each mess rate must lie in [0, MAX_MESS_RATE]

# rng stream keys: default_rng([seed, stream, ...])
_STREAM_PROFILES, _STREAM_USERS, _STREAM_EVENTS = 0, 1, 2

ARCHETYPES: tuple[str, ...] = ("bouncer", "casual", "researcher", "hot_lead", "returning", "bot")
ARCHETYPE_SHARES: tuple[float, ...] = (0.30, 0.28, 0.20, 0.08, 0.10, 0.04)
BOUNCER, CASUAL, RESEARCHER, HOT_LEAD, RETURNING, BOT = range(6)

# Per archetype (indexed by code): hidden intent ~ Beta(a, b); bots have intent 0.
_INTENT_BETA = np.array([[1.0, 12.0], [2.0, 8.0], [4.0, 4.0], [6.0, 2.5], [2.5, 5.0], [1.0, 1.0]])
# P(converts) = base + slope * intent.
_CONVERT_BASE = np.array([0.0, 0.0, 0.02, 0.14, 0.01, 0.0])
_CONVERT_SLOPE = np.array([0.0, 0.15, 0.50, 0.60, 0.25, 0.0])
# Non-converters who sign up but never book, or book but never sign up (noise).
_SIGNUP_ONLY_P = np.array([0.0, 0.03, 0.12, 0.15, 0.08, 0.0])
_BOOKING_ONLY_P = np.array([0.0, 0.0, 0.03, 0.06, 0.02, 0.0])
LOW_SIGNAL_SHARE = 0.3  # converters whose research hardly ramps up before converting
# Non-converters who ramp up research towards a decision that never comes (e.g. chose a competitor).
_FALSE_RAMP_P = np.array([0.0, 0.05, 0.25, 0.30, 0.15, 0.0])
# Ordinary visits over a 120-day window: min + Poisson(lam0 + lam_intent * intent), scaled by days/120.
_VISITS_MIN = np.array([1, 1, 2, 3, 6, 1])
_VISITS_LAM0 = np.array([0.0, 1.0, 2.0, 3.0, 8.0, 2.0])
_VISITS_LAM_INTENT = np.array([0.0, 2.0, 4.0, 4.0, 4.0, 0.0])
# Events in an ordinary visit: min + Poisson(lam).
_EVENTS_MIN = np.array([1, 1, 2, 2, 1, 12])
_EVENTS_LAM = np.array([0.0, 1.5, 3.0, 4.0, 2.5, 25.0])
# Share of an ordinary visit's events drawn from the research mix: base + slope * intent.
_RESEARCH_MIX_BASE = np.array([0.0, 0.05, 0.15, 0.2, 0.05, 0.0])
_RESEARCH_MIX_SLOPE = np.array([0.0, 0.3, 0.4, 0.4, 0.3, 0.0])

# Event type probabilities, columns in EVENT_TYPES order; rows: the archetypes, then the research mix.
_TYPE_P = np.array(
    [
        [1.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.000, 0.0],  # bouncer
        [0.82, 0.07, 0.06, 0.02, 0.02, 0.01, 0.000, 0.0],  # casual
        [0.52, 0.12, 0.16, 0.03, 0.14, 0.03, 0.000, 0.0],  # researcher
        [0.45, 0.18, 0.10, 0.08, 0.10, 0.09, 0.000, 0.0],  # hot_lead
        [0.70, 0.05, 0.12, 0.03, 0.09, 0.01, 0.000, 0.0],  # returning
        [0.86, 0.02, 0.113, 0.00, 0.00, 0.00, 0.007, 0.0],  # bot (form spam signups)
        [0.28, 0.26, 0.12, 0.10, 0.14, 0.10, 0.000, 0.0],  # research mix (ramp-up, conversion visits)
    ]
)
_RESEARCH_ROW = 6
_TYPE_CUM = np.cumsum(_TYPE_P / _TYPE_P.sum(axis=1, keepdims=True), axis=1)
PAGE_VIEW, PRICING, SEARCH, CHAT, DOC, DEMO, SIGNUP, BOOKING = range(8)
UNKNOWN_EVENT_TYPES: tuple[str, ...] = ("page_veiw", "heartbeat", "PageView", "tab_focus")
_TYPE_VOCAB = pa.array(list(EVENT_TYPES) + list(UNKNOWN_EVENT_TYPES), pa.string())
_TOP_MEDIAN_SEC = np.array([25.0, 50.0, 8.0, 60.0, 90.0, 30.0, 45.0, 70.0])

# Visit kinds.
_BASE, _RAMP, _SIGNUP_VISIT, _BOOKING_VISIT, _SIGNUP_BOOKING_VISIT = range(5)

_BLOG = ("intent-data-101", "b2b-funnel-metrics", "lead-scoring-myths", "product-led-sales", "churn-signals",
         "pipeline-forecasting", "release-notes-q2", "customer-story-northwind", "dbt-for-revops",
         "account-based-marketing", "pricing-page-teardown", "hiring-our-first-sdr")
_DOCS = ("getting-started", "api-reference", "sso-setup", "webhooks", "data-retention",
         "integrations/salesforce", "integrations/hubspot", "security", "rate-limits", "billing")
_SEARCH_TERMS = ("sso", "pricing+enterprise", "api+rate+limits", "gdpr", "salesforce+integration", "soc+2",
                 "hubspot", "free+trial", "webhooks", "data+export", "seats", "on-prem", "invoice", "slack")
_PATHS_BY_TYPE: tuple[tuple[tuple[str, float], ...], ...] = (
    (("/", 8.0), ("/product", 3.0), ("/product/integrations", 1.5), ("/customers", 1.5), ("/about", 1.0),
     ("/careers", 0.7), ("/security", 0.8), ("/changelog", 0.6), ("/blog", 1.5),
     *((f"/blog/{slug}", 0.6) for slug in _BLOG), *((f"/docs/{slug}", 0.5) for slug in _DOCS)),
    (("/pricing", 6.0), ("/pricing?plan=team", 1.5), ("/pricing?plan=enterprise", 1.0),
     ("/pricing#faq", 1.0)),
    tuple((f"/search?q={term}", 1.0) for term in _SEARCH_TERMS),
    (("/pricing", 3.0), ("/", 1.0), ("/docs/getting-started", 1.0), ("/demo", 1.0), ("/product", 1.0)),
    (("/resources/whitepaper-intent-data.pdf", 2.0), ("/docs/security-overview.pdf", 1.5),
     ("/resources/roi-calculator.xlsx", 1.0), ("/docs/api-reference.pdf", 1.0),
     ("/resources/case-study-northwind.pdf", 1.0)),
    (("/demo", 4.0), ("/demo?source=pricing", 2.0), ("/demo?source=nav", 1.0)),
    (("/signup", 4.0), ("/signup?plan=team", 1.5), ("/signup?plan=trial", 2.0)),
    (("/demo/book", 3.0), ("/book-a-call", 2.0), ("/demo/confirmed", 1.0)),
)
_PATH_VOCAB = pa.array([path for paths in _PATHS_BY_TYPE for path, _ in paths], pa.string())
_PATH_OFFSET = np.cumsum([0] + [len(paths) for paths in _PATHS_BY_TYPE])[:-1]
_PATH_CUM = tuple(np.cumsum([w for _, w in paths]) / sum(w for _, w in paths) for paths in _PATHS_BY_TYPE)

# Traffic sources: referrer, utm_source, weight for ordinary visits, research/conversion visits, bots.
_SOURCES: tuple[tuple[str | None, str | None, float, float, float], ...] = (
    (None, None, 30.0, 30.0, 50.0),
    ("https://www.google.com/", None, 22.0, 15.0, 5.0),
    ("https://www.google.com/", "google", 8.0, 10.0, 0.0),
    ("https://www.linkedin.com/", "linkedin", 10.0, 12.0, 0.0),
    (None, "newsletter", 8.0, 15.0, 0.0),
    ("https://www.bing.com/", None, 4.0, 2.0, 5.0),
    ("https://www.g2.com/", "g2", 4.0, 8.0, 0.0),
    ("https://news.ycombinator.com/", None, 4.0, 1.0, 0.0),
    ("https://partner.example.com/", "partner", 3.0, 5.0, 0.0),
    ("https://t.co/", "twitter", 7.0, 2.0, 0.0),
    ("http://free-traffic.example/", None, 0.0, 0.0, 40.0),
)
_REFERRER_VOCAB = pa.array([s[0] for s in _SOURCES], pa.string())
_UTM_VOCAB = pa.array([s[1] for s in _SOURCES], pa.string())
_SOURCE_CUM = tuple(np.cumsum([s[k] for s in _SOURCES]) / sum(s[k] for s in _SOURCES) for k in (2, 3, 4))

DEVICES: tuple[str, ...] = ("desktop", "mobile", "tablet")
_DEVICE_P = np.array([0.62, 0.31, 0.07])
_DEVICE_VOCAB = pa.array(DEVICES, pa.string())

# Faker locales: (locale, country, share of users, timezones).
_LOCALES: tuple[tuple[str, str, float, tuple[str, ...]], ...] = (
    ("en_US", "United States", 0.55,
     ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")),
    ("en_GB", "United Kingdom", 0.15, ("Europe/London",)),
    ("de_DE", "Germany", 0.12, ("Europe/Berlin",)),
    ("fr_FR", "France", 0.08, ("Europe/Paris",)),
    ("en_IN", "India", 0.10, ("Asia/Kolkata",)),
)
_JOB_TITLES = (
    "Head of Data", "VP Engineering", "CTO", "Software Engineer", "Data Engineer", "Analytics Engineer",
    "Product Manager", "Head of Marketing", "Marketing Operations Manager", "Revenue Operations Lead",
    "Sales Director", "Account Executive", "SDR", "CFO", "Finance Manager", "Procurement Specialist",
    "IT Manager", "Security Engineer", "Customer Success Manager", "Founder", "CEO", "COO",
    "Growth Marketer", "Data Scientist", "BI Analyst", "Solutions Architect", "Head of Sales",
    "Operations Manager", "Consultant", "Student",
)
_POOL_USERNAMES, _POOL_COMPANIES, _POOL_CITIES = 600, 300, 120
EVENTS_PER_USER = 27.8  # measured average with the default config (days=120, default mess rates)


# The users table is built whole in memory: a billion users is far past what fits (a clear error
# instead of numpy's overflow for a mistyped size).
MAX_USERS = 1_000_000_000


@dataclasses.dataclass(frozen=True)
class GeneratorConfig:
    """Settings of one generated data set; the same config gives byte-identical tables.

    Mess rates are fractions of the clean event rows and must lie in
    [0, MAX_MESS_RATE]. In every block of ``BLOCK_USERS`` users with ``n`` clean
    rows exactly ``round(rate * n)`` rows are affected, and the affected rows of the
    different kinds are disjoint, so over ``N`` clean rows in ``B`` blocks the
    observed fraction of each kind is within ``rate ± B / (2 N)``:

    - duplicate_rate: extra rows that re-send an earlier row (same event_id, every
      column equal except a loaded_at 1 minute to 3 days later); appended after the
      originals.
    - late_arrival_rate: rows whose loaded_at is 2 hours to 5 days after event_at
      (otherwise loaded_at is 1 second to 30 minutes after event_at).
    - null_user_rate: rows with a null user_id.
    - unknown_event_type_rate: rows whose event_type is one of UNKNOWN_EVENT_TYPES.
    - future_timestamp_rate: rows from a clock-skewed client: event_at moved 1 hour to
      2 days later, so event_at > loaded_at (possibly beyond the window).

    clean=True turns all of them off (see ``mess_rates``).
    """

    n_users: int = 5000
    seed: int = 42
    days: int = 120
    end_date: datetime.date = datetime.date(2026, 6, 30)
    clean: bool = False
    duplicate_rate: float = 0.01
    late_arrival_rate: float = 0.02
    null_user_rate: float = 0.002
    unknown_event_type_rate: float = 0.002
    future_timestamp_rate: float = 0.001
    chunk_rows: int = 1_000_000

    def __post_init__(self) -> None:
        if self.n_users < 1:
            raise ValueError(f"n_users must be at least 1, got {self.n_users}")
        if self.seed < 0:
            raise ValueError(f"seed must be non-negative, got {self.seed}")
        if self.days < 1:
            raise ValueError(f"days must be at least 1, got {self.days}")
        if self.n_users > MAX_USERS:
            raise ValueError(f"n_users must be at most {MAX_USERS:,}, got {self.n_users:,}")
        if self.chunk_rows < 1:
            raise ValueError(f"chunk_rows must be at least 1, got {self.chunk_rows}")
        try:
            window_bounds(self)
        except OverflowError:
            raise ValueError(
                f"the event window ({self.days:,} days ending {self.end_date}) reaches outside the dates "
                "Python supports (years 1-9999)"
            ) from None
        for name in _MESS_FIELDS:
            rate = getattr(self, name)
            if not 0.0 <= rate <= MAX_MESS_RATE:
                raise ValueError(f"{name} must be between 0 and {MAX_MESS_RATE}, got {rate}")

    def mess_rates(self) -> dict[str, float]:
        """The mess rates in effect: all 0 when clean, else the configured ones."""
        return {name: 0.0 if self.clean else float(getattr(self, name)) for name in _MESS_FIELDS}


_MESS_FIELDS = (
    "null_user_rate",
    "unknown_event_type_rate",
    "future_timestamp_rate",
    "late_arrival_rate",
    "duplicate_rate",
)


def window_bounds(config: GeneratorConfig) -> tuple[datetime.datetime, datetime.datetime]:
    """The event window ``[start, end)``: end is midnight after end_date, start is `days` earlier."""
    end = datetime.datetime.combine(config.end_date + datetime.timedelta(days=1), datetime.time())
    return end - datetime.timedelta(days=config.days), end


def _to_us(moment: datetime.datetime) -> int:
    return (moment - _EPOCH) // datetime.timedelta(microseconds=1)


def _window_us(config: GeneratorConfig) -> tuple[int, int]:
    start, end = window_bounds(config)
    return _to_us(start), _to_us(end)


def _ts_array(values_us: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(values_us.astype("datetime64[us]"), pa.timestamp("us"), mask=mask)


def _draw(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Categorical draws: indices into a cumulative probability vector for uniforms u."""
    return np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)


def _exact_counts(shares: Iterable[float], n: int) -> np.ndarray:
    """Split n into integer counts proportional to shares (largest remainder)."""
    raw = np.asarray(tuple(shares), dtype=float) * n
    counts = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts


def _numbered(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Strings prefix + zero-padded number, built in Arrow (fast for millions)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _user_id_width(n_users: int) -> int:
    return max(6, len(str(n_users - 1)))


# --------------------------------------------------------------------------- hidden population


@dataclasses.dataclass(frozen=True)
class _Population:
    archetype: np.ndarray  # int8 codes into ARCHETYPES
    intent: np.ndarray
    converts: np.ndarray
    conversion_at: np.ndarray  # µs; _NO_TIME when not converting
    created_at: np.ndarray  # µs
    ramp_until: np.ndarray  # µs; research ramps up before this (conversion_at for converters)
    ramp_lambda: np.ndarray  # expected ramp-up visits before ramp_until
    signup_only: np.ndarray
    booking_only: np.ndarray


def _created_at(rng: np.random.Generator, n: int, start: int, end: int) -> np.ndarray:
    """65% of accounts exist before the window (up to a year), the rest appear during it."""
    before = start - rng.integers(HOUR, 365 * DAY, n)
    during = start + rng.integers(0, max(end - start - 2 * DAY, 1), n)
    return np.where(rng.random(n) < 0.65, before, during)


def _conversion_span(start: int, end: int) -> tuple[int, int]:
    """[low, high) of conversion times: [start + 2 days, end - 2 hours), scaled down for short windows."""
    span = end - start
    return start + min(2 * DAY, span // 3), end - min(2 * HOUR, span // 12)


def _population(config: GeneratorConfig) -> _Population:
    """The hidden truth per user (index i is user_id number i)."""
    rng = np.random.default_rng([config.seed, _STREAM_PROFILES])
    n = config.n_users
    start, end = _window_us(config)
    codes = np.repeat(np.arange(len(ARCHETYPES), dtype=np.int8), _exact_counts(ARCHETYPE_SHARES, n))
    archetype = rng.permutation(codes)
    intent = rng.beta(_INTENT_BETA[archetype, 0], _INTENT_BETA[archetype, 1])
    intent[archetype == BOT] = 0.0
    # conversions and ramps are drawn per 120-day window; a shorter window (a daily load) has
    # proportionally fewer, so one appended day looks like one day of the same traffic
    scale = min(1.0, config.days / 120)
    p_convert = np.clip(_CONVERT_BASE[archetype] + _CONVERT_SLOPE[archetype] * intent, 0.0, 1.0) * scale
    converts = rng.random(n) < p_convert
    # conversions fall from 2 days after the start to 2 hours before the end (narrower in a
    # window of 1-2 days, e.g. a daily load appended with --days 1)
    conv_lo, conv_hi = _conversion_span(start, end)
    conversion_at = np.where(converts, rng.integers(conv_lo, conv_hi, n), _NO_TIME)
    created_at = _created_at(rng, n, start, end)
    lead_time = rng.integers(8 * DAY, 60 * DAY, n)
    created_at = np.where(converts, np.minimum(created_at, conversion_at - lead_time), created_at)
    low_signal = rng.random(n) < LOW_SIGNAL_SHARE
    false_ramp = ~converts & (rng.random(n) < _FALSE_RAMP_P[archetype] * scale)
    ramp_until = np.where(converts, conversion_at, rng.integers(conv_lo, conv_hi, n))
    ramp_lambda = np.where(converts, np.where(low_signal, 0.4, 2.0 + 6.0 * intent), 0.0)
    ramp_lambda = np.where(false_ramp, 2.0 + 6.0 * intent, ramp_lambda)
    signup_only = ~converts & (rng.random(n) < _SIGNUP_ONLY_P[archetype] * scale)
    booking_only = ~converts & ~signup_only & (rng.random(n) < _BOOKING_ONLY_P[archetype] * scale)
    created_at = np.where(false_ramp, np.minimum(created_at, ramp_until - lead_time), created_at)
    return _Population(archetype, intent, converts, conversion_at, created_at, ramp_until, ramp_lambda,
                       signup_only, booking_only)


def hidden_profiles(config: GeneratorConfig) -> pd.DataFrame:
    """The hidden truth per user, for tests and diagnostics only; never written to raw tables.

    Columns: user_id, archetype (one of ARCHETYPES), intent (0..1), converts (bool) and
    conversion_at (time of the calendar booking that completes the conversion; NaT
    when the user does not convert in the window).
    """
    pop = _population(config)
    user_ids = _numbered("u", np.arange(config.n_users), _user_id_width(config.n_users))
    conversion_at = pd.Series(pop.conversion_at.astype("datetime64[us]"))
    conversion_at[~pop.converts] = pd.NaT
    return pd.DataFrame(
        {
            "user_id": user_ids.to_pandas(),
            "archetype": pd.Categorical.from_codes(pop.archetype, ARCHETYPES),
            "intent": pop.intent,
            "converts": pop.converts,
            "conversion_at": conversion_at,
        }
    )


# --------------------------------------------------------------------------- users


@functools.lru_cache(maxsize=8)
def _faker_pools(seed: int) -> tuple[tuple[pa.Array, pa.Array, pa.Array], ...]:
    """Per locale: pools of user names, companies and cities drawn once from a seeded Faker."""
    pools = []
    for i, (locale, _, _, _) in enumerate(_LOCALES):
        fake = Faker(locale)
        fake.seed_instance(seed * 100 + i)
        names = [fake.user_name() for _ in range(_POOL_USERNAMES)]
        companies = [fake.company() for _ in range(_POOL_COMPANIES)]
        cities = [fake.city() for _ in range(_POOL_CITIES)]
        pools.append((pa.array(names), pa.array(companies), pa.array(cities)))
    return tuple(pools)


def _pick(rng: np.random.Generator, n: int, pool_size: int, skew: float) -> np.ndarray:
    """Indices into a pool; skew > 0 favours the head (a few companies have many visitors)."""
    weights = 1.0 / (np.arange(pool_size) + skew) if skew > 0 else np.ones(pool_size)
    return _draw(np.cumsum(weights) / weights.sum(), rng.random(n))


def _places_and_people(rng: np.random.Generator, n: int, seed: int) -> dict[str, pa.Array]:
    """username, company, country, city and timezone columns from the Faker pools."""
    locale_idx = _draw(np.cumsum([loc[2] for loc in _LOCALES]), rng.random(n))
    name_idx, company_idx = _pick(rng, n, _POOL_USERNAMES, 0), _pick(rng, n, _POOL_COMPANIES, 8.0)
    city_idx, tz_u = _pick(rng, n, _POOL_CITIES, 5.0), rng.random(n)
    pools = _faker_pools(seed)
    order = np.argsort(locale_idx, kind="stable")
    parts: dict[str, list[pa.Array]] = {k: [] for k in ("username", "company", "country", "city", "timezone")}
    for i, (_, country, _, zones) in enumerate(_LOCALES):
        rows = order[locale_idx[order] == i]
        names, companies, cities = pools[i]
        parts["username"].append(names.take(name_idx[rows]))
        parts["company"].append(companies.take(company_idx[rows]))
        parts["city"].append(cities.take(city_idx[rows]))
        parts["country"].append(pa.array(np.full(len(rows), country, dtype=object), pa.string()))
        zone_idx = np.minimum((tz_u[rows] * len(zones)).astype(np.int64), len(zones) - 1)
        parts["timezone"].append(pa.array(zones, pa.string()).take(zone_idx))
    back = pa.array(np.argsort(order, kind="stable"))
    return {k: pa.concat_arrays(v).take(back) for k, v in parts.items()}


def _browsing_summary(rng: np.random.Generator, pop: _Population) -> tuple[np.ndarray, np.ndarray]:
    """recent_pages_viewed / recent_pricing_views: history at account creation, tracking intent."""
    bot = pop.archetype == BOT
    human = np.where(pop.archetype == BOUNCER, 0.5, 1.0 + 25.0 * pop.intent)
    pages = rng.poisson(np.where(bot, 150.0, human))
    pricing = rng.poisson(np.where(bot, 0.2, 0.05 + 4.0 * pop.intent**2))
    return pages.astype(np.int64), np.minimum(pricing, pages).astype(np.int64)


def generate_users(config: GeneratorConfig) -> pa.Table:
    """raw.users rows in USERS_SCHEMA: one row per user, user ids "u000000", "u000001", ..."""
    rng = np.random.default_rng([config.seed, _STREAM_USERS])
    pop = _population(config)
    n = config.n_users
    bot = pop.archetype == BOT
    people = _places_and_people(rng, n, config.seed)
    suffix = pc.cast(pa.array(np.arange(n), pa.int64()), pa.string())
    anonymous = rng.random(n) < np.where(bot, 0.7, 0.05)  # no company / job title on record
    job_idx = rng.integers(0, len(_JOB_TITLES), n)
    device_idx = np.where(bot, 0, _draw(np.cumsum(_DEVICE_P), rng.random(n)))
    balance = np.round(rng.lognormal(5.5, 1.7, n), 2) * (rng.random(n) >= 0.12)
    pages, pricing = _browsing_summary(rng, pop)
    load_delay = np.minimum(rng.lognormal(np.log(120.0), 1.0, n) * SEC, DAY).astype(np.int64)
    columns = {
        "user_id": _numbered("u", np.arange(n), _user_id_width(n)),
        "username": pc.binary_join_element_wise(people["username"], suffix, ""),
        "company": pc.if_else(pa.array(anonymous), pa.scalar(None, pa.string()), people["company"]),
        "job_title": pa.array(_JOB_TITLES, pa.string()).take(pa.array(job_idx, mask=anonymous)),
        "country": people["country"],
        "city": people["city"],
        "timezone": people["timezone"],
        "primary_device": _DEVICE_VOCAB.take(device_idx),
        "gender": pa.nulls(n, pa.string()),
        "account_balance_usd": pa.array(balance, pa.float64()),
        "recent_pages_viewed": pa.array(pages),
        "recent_pricing_views": pa.array(pricing),
        "created_at": _ts_array(pop.created_at),
        "loaded_at": _ts_array(pop.created_at + load_delay),
    }
    return pa.Table.from_pydict(columns, schema=USERS_SCHEMA)


# --------------------------------------------------------------------------- events: visits


@dataclasses.dataclass
class _Block:
    """Hidden attributes of the users of one block (local index = row in the block)."""

    archetype: np.ndarray
    intent: np.ndarray
    converts: np.ndarray
    conversion_at: np.ndarray
    ramp_until: np.ndarray
    active_from: np.ndarray
    ramp_lambda: np.ndarray
    signup_only: np.ndarray
    booking_only: np.ndarray
    device: np.ndarray  # primary device code


def _visit_counts(rng: np.random.Generator, b: _Block, days: int) -> dict[int, np.ndarray]:
    """Visits per user and visit kind."""
    arch = b.archetype
    lam = (_VISITS_LAM0[arch] + _VISITS_LAM_INTENT[arch] * b.intent) * (days / 120.0)
    together = rng.random(len(arch)) < 0.4  # signup and booking in one visit
    conv = b.converts.astype(np.int64)
    # every user visits at least _VISITS_MIN times per 120 days; in a shorter window each of
    # those visits happens with probability days / 120, so most users are absent from a daily load
    minimum = _VISITS_MIN[arch] if days >= 120 else rng.binomial(_VISITS_MIN[arch], days / 120.0)
    return {
        _BASE: minimum + rng.poisson(lam),
        _RAMP: rng.poisson(b.ramp_lambda),
        _SIGNUP_VISIT: conv * ~together + b.signup_only,
        _BOOKING_VISIT: conv * ~together + b.booking_only,
        _SIGNUP_BOOKING_VISIT: conv * together,
    }


def _events_per_visit(rng: np.random.Generator, kind: np.ndarray, arch: np.ndarray) -> np.ndarray:
    """Events in each visit: by archetype for ordinary visits, by kind otherwise."""
    n_events = _EVENTS_MIN[arch] + rng.poisson(_EVENTS_LAM[arch])
    special = np.select(
        [kind == _RAMP, kind == _SIGNUP_VISIT, kind == _BOOKING_VISIT, kind == _SIGNUP_BOOKING_VISIT],
        [2 + rng.poisson(4.0, len(kind)), 2 + rng.poisson(1.5, len(kind)),
         1 + rng.poisson(1.2, len(kind)), 2 + rng.poisson(1.5, len(kind))],
        default=0,
    )
    return np.where(kind == _BASE, n_events, special)


def _in_visit_gaps(rng: np.random.Generator, pos: np.ndarray, is_bot: np.ndarray) -> np.ndarray:
    """µs since the previous event of the visit (0 for the first event).

    People: lognormal around 40 s, at most 25 minutes, and a few gaps of exactly
    1800 s and 1801 s (the 30-minute sessionization edge). Bots: 0.05-2 s.
    """
    n = len(pos)
    human = np.clip(rng.lognormal(np.log(40.0), 1.1, n), 2.0, 1500.0)
    edge = rng.random(n)
    human = np.where(edge < 0.003, 1800.0, np.where(edge < 0.006, 1801.0, human))
    seconds = np.where(is_bot, rng.uniform(0.05, 2.0, n), human)
    gaps = np.round(seconds * SEC).astype(np.int64)
    gaps[pos == 0] = 0
    return gaps


def _business_hours(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Move times to a weekday-afternoon-heavy pattern (UTC): 60% of weekend visits move to a
    weekday of the same week drawn uniformly (so no weekday gets more than another), and 80%
    of visits to a time of day around 14:30."""
    n = len(t)
    day = t // DAY
    weekday = (day + 3) % 7  # Monday 0; 1970-01-01 was a Thursday
    moved = (weekday >= 5) & (rng.random(n) < 0.6)
    day = np.where(moved, day - weekday + rng.integers(0, 5, n), day)
    tod = np.where(rng.random(n) < 0.8, rng.normal(14.5, 3.0, n) * HOUR, rng.uniform(0, DAY, n))
    return day * DAY + np.clip(tod, 0, DAY - 1).astype(np.int64)


def _visit_starts(rng: np.random.Generator, b: _Block, user: np.ndarray, kind: np.ndarray,
                  duration: np.ndarray, window: tuple[int, int]) -> np.ndarray:
    """Start time (µs) of each visit, so that it lies in the window after the user appears."""
    start, end = window
    n = len(user)
    lo = np.maximum(b.active_from[user], start)
    hi = np.maximum(end - duration - 1, lo)
    conv = np.where(b.converts[user], b.conversion_at[user], hi)  # placeholder keeps arithmetic in range
    uniform = lo + (rng.random(n) * (hi - lo)).astype(np.int64)
    shaped = np.where(b.archetype[user] == BOT, uniform, _business_hours(rng, uniform))
    # a shaped time outside the user's window keeps its uniform time: clipped, it would pile
    # up at the window's end (a Saturday daily load had 15% of its visits in the last minute)
    shaped = np.where((shaped < lo) | (shaped > hi), uniform, shaped)
    before = np.maximum((rng.gamma(2.0, 7.0, n) * DAY).astype(np.int64), HOUR)
    until = b.ramp_until[user]
    ramp = until - before
    ramp = np.where(ramp < lo, lo + (rng.random(n) * np.maximum(until - lo, 0)).astype(np.int64), ramp)
    signup_gap = rng.integers(HOUR, 7 * DAY, n)
    signup_gap = np.maximum(np.minimum(signup_gap, conv - start - min(DAY, (end - start) // 3)), 0)
    signup_end = np.where(b.converts[user], conv - signup_gap, uniform + duration)
    starts = np.select(
        [kind == _BASE, kind == _RAMP, kind == _SIGNUP_VISIT],
        [shaped, ramp, signup_end - duration],
        default=np.where(b.converts[user], conv - duration, uniform),  # booking visits end at conversion
    )
    return np.clip(starts, lo, hi)


# --------------------------------------------------------------------------- events: rows


def _event_types(rng: np.random.Generator, b: _Block, ev_user: np.ndarray, ev_kind: np.ndarray,
                 pos: np.ndarray, n_in_visit: np.ndarray) -> np.ndarray:
    """Event type codes; conversion visits end with a forced signup and/or calendar booking."""
    arch = b.archetype[ev_user]
    mix = _RESEARCH_MIX_BASE[arch] + _RESEARCH_MIX_SLOPE[arch] * b.intent[ev_user]
    research = (ev_kind != _BASE) | (rng.random(len(arch)) < mix)
    row = np.where(research, _RESEARCH_ROW, arch)
    u = rng.random(len(arch))
    types = np.zeros(len(arch), dtype=np.int8)
    for r in np.unique(row):
        sel = row == r
        types[sel] = _draw(_TYPE_CUM[r], u[sel])
    last, second_last = pos == n_in_visit - 1, pos == n_in_visit - 2
    types[last & ((ev_kind == _SIGNUP_VISIT) | (ev_kind == _SIGNUP_BOOKING_VISIT))] = SIGNUP
    types[last & (ev_kind == _BOOKING_VISIT)] = BOOKING
    types[last & (ev_kind == _SIGNUP_BOOKING_VISIT)] = BOOKING
    types[second_last & (ev_kind == _SIGNUP_BOOKING_VISIT)] = SIGNUP
    return types


def _page_paths(rng: np.random.Generator, types: np.ndarray) -> np.ndarray:
    """Index into _PATH_VOCAB for each event, by event type."""
    u = rng.random(len(types))
    paths = np.zeros(len(types), dtype=np.int32)
    for t, cum in enumerate(_PATH_CUM):
        sel = types == t
        paths[sel] = _PATH_OFFSET[t] + _draw(cum, u[sel])
    return paths


def _engagement(
    rng: np.random.Generator, types: np.ndarray, arch: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """time_on_page_sec and scroll_depth_pct (NaN = not recorded): 0 for bots, short for bouncers."""
    n = len(types)
    top = np.round(np.minimum(rng.lognormal(0.0, 0.9, n) * _TOP_MEDIAN_SEC[types], 3600.0), 1)
    top = np.where(arch == BOUNCER, np.round(rng.uniform(1.0, 9.0, n), 1), top)
    scroll = np.round(rng.beta(2.0, 1.6, n) * 100.0)
    scroll = np.where(arch == BOUNCER, np.round(rng.uniform(0.0, 25.0, n)), scroll)
    scroll[rng.random(n) < 0.05] = np.nan
    bot = arch == BOT
    return np.where(bot, 0.0, top), np.where(bot, 0.0, scroll)


def _visit_attributes(rng: np.random.Generator, b: _Block, user: np.ndarray,
                      kind: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per visit: device, traffic source and the position where the tracker rotates its id (0 = never)."""
    n = len(user)
    other = _draw(np.cumsum(_DEVICE_P), rng.random(n))
    device = np.where(rng.random(n) < 0.85, b.device[user], other)
    bot = b.archetype[user] == BOT
    profile = np.where(bot, 2, np.where(kind == _BASE, 0, 1))
    u = rng.random(n)
    source = np.zeros(n, dtype=np.int64)
    for k, cum in enumerate(_SOURCE_CUM):
        sel = profile == k
        source[sel] = _draw(cum, u[sel])
    rotate = rng.random(n) < 0.03
    return device, source, rotate


def _sort_by_user_time(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    order = np.lexsort((cols["event_at"], cols["user"]))
    return {k: v[order] for k, v in cols.items()}


def _clean_events(rng: np.random.Generator, b: _Block, days: int, window: tuple[int, int],
                  visit_offset: int) -> tuple[dict[str, np.ndarray], int]:
    """All clean events of a block, sorted by user and time, as numpy columns; and the visit count."""
    counts = _visit_counts(rng, b, days)
    users = np.arange(len(b.archetype))
    user = np.concatenate([np.repeat(users, counts[k]) for k in sorted(counts)])
    kind = np.concatenate([np.full(counts[k].sum(), k, dtype=np.int8) for k in sorted(counts)])
    n_ev = _events_per_visit(rng, kind, b.archetype[user])
    first = np.cumsum(n_ev) - n_ev
    ev_visit = np.repeat(np.arange(len(user)), n_ev)
    pos = np.arange(len(ev_visit)) - first[ev_visit]
    ev_user, ev_kind = user[ev_visit], kind[ev_visit]
    gaps = _in_visit_gaps(rng, pos, b.archetype[ev_user] == BOT)
    cum = np.cumsum(gaps)
    offset = cum - cum[first][ev_visit]
    duration = offset[first + n_ev - 1]
    starts = _visit_starts(rng, b, user, kind, duration, window)
    device, source, rotate = _visit_attributes(rng, b, user, kind)
    rotate_at = np.where(rotate, 1 + (rng.random(len(user)) * np.maximum(n_ev - 1, 0)).astype(np.int64), 0)
    types = _event_types(rng, b, ev_user, ev_kind, pos, n_ev[ev_visit])
    top, scroll = _engagement(rng, types, b.archetype[ev_user])
    event_at = starts[ev_visit] + offset
    delay = np.clip(rng.lognormal(np.log(20.0), 1.0, len(pos)) * SEC, SEC, 30 * MINUTE).astype(np.int64)
    rotated = (rotate_at[ev_visit] > 0) & (pos >= rotate_at[ev_visit])
    cols = {
        "user": ev_user,
        "event_at": event_at,
        "type": types,
        "path": _page_paths(rng, types),
        "source": source[ev_visit],
        "device": device[ev_visit],
        "session": (visit_offset + ev_visit) * 2 + rotated,
        "top": top,
        "scroll": scroll,
        "loaded_at": event_at + delay,
    }
    return _sort_by_user_time(cols), len(user)


# --------------------------------------------------------------------------- events: mess and Arrow


def _apply_mess(rng: np.random.Generator, cols: dict[str, np.ndarray], rates: dict[str, float],
                id_offset: int) -> dict[str, np.ndarray]:
    """Number the rows, then damage disjoint sets of round(rate * n) rows and append re-sent copies."""
    n = len(cols["user"])
    cols = dict(cols, id=id_offset + np.arange(n), null_user=np.zeros(n, dtype=bool))
    counts = [round(rates[name] * n) for name in _MESS_FIELDS]
    picked = rng.permutation(n)[: sum(counts)]
    null_rows, unknown_rows, future_rows, late_rows, dup_rows = np.split(picked, np.cumsum(counts)[:-1])
    cols["null_user"][null_rows] = True
    unknown = rng.integers(0, len(UNKNOWN_EVENT_TYPES), len(unknown_rows))
    cols["type"][unknown_rows] = len(EVENT_TYPES) + unknown
    cols["event_at"][future_rows] += rng.integers(HOUR, 2 * DAY, len(future_rows))
    late_delay = rng.integers(2 * HOUR, 5 * DAY, len(late_rows))
    cols["loaded_at"][late_rows] = cols["event_at"][late_rows] + late_delay
    dup_rows = np.sort(dup_rows)
    copies = {k: v[dup_rows] for k, v in cols.items()}
    copies["loaded_at"] = copies["loaded_at"] + rng.integers(MINUTE, 3 * DAY, len(dup_rows))
    return {k: np.concatenate([cols[k], copies[k]]) for k in cols}


def _events_table(cols: dict[str, np.ndarray], user_ids: pa.Array, tag: str) -> pa.Table:
    """Arrow table in EVENTS_SCHEMA from numpy columns."""
    n = len(cols["user"])
    scroll = cols["scroll"]
    columns = {
        "event_id": _numbered(f"e{tag}-", cols["id"], 9),
        "user_id": user_ids.take(pa.array(cols["user"], mask=cols["null_user"])),
        "event_at": _ts_array(cols["event_at"]),
        "event_type": _TYPE_VOCAB.take(cols["type"]),
        "page_path": _PATH_VOCAB.take(cols["path"]),
        "referrer": _REFERRER_VOCAB.take(cols["source"]),
        "utm_source": _UTM_VOCAB.take(cols["source"]),
        "device": _DEVICE_VOCAB.take(cols["device"]),
        "session_id": _numbered(f"s{tag}-", cols["session"], 10),
        "time_on_page_sec": pa.array(cols["top"], pa.float64()),
        "scroll_depth_pct": pa.array(scroll, pa.float64(), mask=np.isnan(scroll)),
        "loaded_at": _ts_array(cols["loaded_at"]),
    }
    for field in EVENTS_SCHEMA:
        if field.name not in columns:
            columns[field.name] = pa.nulls(n, field.type)
    return pa.Table.from_pydict(columns, schema=EVENTS_SCHEMA)


def _block_users(pop: _Population, idx: np.ndarray, devices: pa.Array, start: int) -> _Block:
    device = pc.fill_null(pc.index_in(devices, value_set=_DEVICE_VOCAB), 0).to_numpy().astype(np.int64)
    return _Block(
        archetype=pop.archetype[idx],
        intent=pop.intent[idx],
        converts=pop.converts[idx],
        conversion_at=pop.conversion_at[idx],
        ramp_until=pop.ramp_until[idx],
        active_from=np.maximum(pop.created_at[idx], start),
        ramp_lambda=pop.ramp_lambda[idx],
        signup_only=pop.signup_only[idx],
        booking_only=pop.booking_only[idx],
        device=device,
    )


def _user_indices(user_ids: pa.Array, n_users: int) -> np.ndarray:
    """User numbers parsed from ids like "u000123"; they index the hidden population."""
    idx = pc.cast(pc.utf8_slice_codeunits(user_ids, 1), pa.int64()).to_numpy()
    if len(idx) and (idx.min() < 0 or idx.max() >= n_users):
        raise ValueError("users table holds user ids outside this config's population")
    return idx


def _id_tag(config: GeneratorConfig) -> str:
    """Id prefix that keeps ids of batches with another seed or end date apart on append."""
    return f"{config.seed}-{config.end_date:%Y%m%d}"


def generate_events(config: GeneratorConfig, users: pa.Table) -> Iterator[pa.Table]:
    """raw.events rows in EVENTS_SCHEMA for the given users, in chunks of at most chunk_rows.

    `users` is normally ``generate_users(config)``; its user ids index the hidden
    population and its primary_device is the device of most visits. Within each block
    of users the clean rows are ordered by user and event_at; the re-sent duplicates
    follow them. event_id is "e<seed>-<end_date>-<9-digit number>". Chunks never span
    two blocks of BLOCK_USERS users (about 280k rows each).
    """
    for table in _event_blocks(config, users):
        for start in range(0, table.num_rows, config.chunk_rows):
            yield table.slice(start, config.chunk_rows)


def _event_blocks(config: GeneratorConfig, users: pa.Table) -> Iterator[pa.Table]:
    """One events table per block of BLOCK_USERS users."""
    pop = _population(config)
    window = _window_us(config)
    rates = config.mess_rates()
    tag = _id_tag(config)
    id_offset = visit_offset = 0
    for block_no, first in enumerate(range(0, users.num_rows, BLOCK_USERS)):
        part = users.slice(first, BLOCK_USERS)
        user_ids = part.column("user_id").combine_chunks()
        block = _block_users(pop, _user_indices(user_ids, config.n_users),
                             part.column("primary_device").combine_chunks(), window[0])
        # the window's last day is part of the stream: each appended day draws its own visits
        # (without it, every `--append --days 1` repeated the previous day shifted by 24 hours)
        rng = np.random.default_rng([config.seed, _STREAM_EVENTS, config.end_date.toordinal(), block_no])
        cols, n_visits = _clean_events(rng, block, config.days, window, visit_offset)
        visit_offset += n_visits
        n_clean = len(cols["user"])
        yield _events_table(_apply_mess(rng, cols, rates, id_offset), user_ids, tag)
        id_offset += n_clean


def n_users_for_events(n_events: int) -> int:
    """Users that give about n_events events with the default config (≈ EVENTS_PER_USER each)."""
    return max(1, math.ceil(n_events / EVENTS_PER_USER))


# --------------------------------------------------------------------------- writing


def _slices(table: pa.Table, rows: int) -> Iterator[pa.Table]:
    for start in range(0, table.num_rows, rows):
        yield table.slice(start, rows)


def _upserted_users(con: duckdb.DuckDBPyConnection, users: pa.Table) -> pa.Table:
    """The existing raw.users rows whose user_id is not in `users`, followed by `users`.

    A user already there keeps the earlier created_at: the new window draws creation times
    relative to itself, and an account cannot be created after the events it already has
    (as the CSV loader's upsert does).
    """
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = 'users'",
        [RAW_SCHEMA],
    ).fetchone()
    if not found or not found[0]:
        return users
    con.register("_intent_new_users", users.select(["user_id", "created_at"]).append_column(
        "_ord", pa.array(np.arange(users.num_rows))
    ))
    try:
        kept = con.execute(
            f"select * from {RAW_SCHEMA}.users "
            "where user_id is null or user_id not in (select user_id from _intent_new_users)"
        ).to_arrow_table()
        created = con.execute(
            "select coalesce(least(n.created_at, o.created_at), n.created_at) as created_at "
            "from _intent_new_users as n "
            f"left join (select user_id, min(created_at) as created_at from {RAW_SCHEMA}.users group by 1) as o "
            "on n.user_id = o.user_id order by n._ord"
        ).to_arrow_table()
    finally:
        con.unregister("_intent_new_users")
    column = users.schema.get_field_index("created_at")
    field = users.schema.field(column)
    users = users.set_column(column, field, created.column(0).cast(field.type))
    return pa.concat_tables([kept.cast(USERS_SCHEMA), users])


def write_generated(
    con: duckdb.DuckDBPyConnection, config: GeneratorConfig, append: bool = False
) -> dict[str, int]:
    """Generate and write raw.users and raw.events in one transaction; returns rows written.

    append=False replaces both tables. append=True adds the events and upserts the
    users: raw.users is rewritten as its rows with other user ids plus the new users
    (so a user id appears once, with the newest profile); the users count returned is
    the size of that rewritten table. On any error neither table changes.
    """
    users = generate_users(config)
    events = generate_events(config, users)
    if append:
        tables = {"users": _slices(_upserted_users(con, users), config.chunk_rows), "events": events}
        return write_raw_tables(con, tables, append=True, replace=("users",))
    return write_raw_tables(con, {"users": _slices(users, config.chunk_rows), "events": events})
