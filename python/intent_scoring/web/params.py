"""Validation of the dashboard's query parameters; every failure names the parameter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

LABELS = ("high", "medium", "low")
SORTS = {
    "rank": "score_rank asc",
    "-rank": "score_rank desc",
    "score": "score asc, score_rank desc",
    "-score": "score desc, score_rank asc",
    "user_id": "user_id asc",
    "-user_id": "user_id desc",
}
SCORERS = ("rules", "model")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_BINS = 100
MAX_QUERY_LENGTH = 64
MAX_USER_ID_LENGTH = 256


class ParamError(ValueError):
    """A bad request parameter: answered with HTTP 400 naming `parameter`."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class UserQuery:
    """One page of the ranked users table: filters, sort order and paging."""

    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    label: str | None = None
    q: str | None = None
    sort: str = "rank"

    @property
    def offset(self) -> int:
        """Rows skipped before this page."""
        return (self.page - 1) * self.page_size

    def as_params(self, **changes: object) -> dict[str, object]:
        """The non-default parameters (with `changes` applied), for building links."""
        values = {"page": self.page, "page_size": self.page_size, "label": self.label, "q": self.q,
                  "sort": self.sort, **changes}
        defaults = {"page": 1, "page_size": DEFAULT_PAGE_SIZE, "label": None, "q": None, "sort": "rank"}
        return {key: value for key, value in values.items() if value not in (None, "") and value != defaults[key]}


def _int(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ParamError(name, f"must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ParamError(name, f"must be between {low} and {high}, got {value}")
    return value


def _choice(args: Mapping[str, str], name: str, choices: Sequence[str], default: str | None) -> str | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise ParamError(name, f"must be one of {', '.join(choices)}; got {raw!r}")
    return raw


def user_query(args: Mapping[str, str]) -> UserQuery:
    """Parse /api/users and /users parameters: page, page_size, label, q, sort."""
    q = (args.get("q") or "").strip()
    if len(q) > MAX_QUERY_LENGTH:
        raise ParamError("q", f"at most {MAX_QUERY_LENGTH} characters")
    return UserQuery(
        page=_int(args, "page", 1, 1, 10**9),
        page_size=_int(args, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
        label=_choice(args, "label", LABELS, None),
        q=q or None,
        sort=_choice(args, "sort", list(SORTS), "rank") or "rank",
    )


def distribution_query(args: Mapping[str, str]) -> tuple[int, str]:
    """Parse /api/distribution parameters: bins (1..100, default 20) and scorer (rules or model)."""
    bins = _int(args, "bins", 20, 1, MAX_BINS)
    scorer = _choice(args, "scorer", SCORERS, "rules") or "rules"
    return bins, scorer


def user_id(value: str) -> str:
    """A plausible user id: 1 to 256 printable characters."""
    if not 0 < len(value) <= MAX_USER_ID_LENGTH or not value.isprintable():
        raise ParamError("user_id", f"must be 1 to {MAX_USER_ID_LENGTH} printable characters")
    return value
