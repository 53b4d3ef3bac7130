"""Every Oura user collection the tool collects, described in one declarative table.

Adding a collection is one line here (plus a test fixture). Facts behind the table:
Oura API v2 spec 1.37 and what clients observed against the real API.
"""

from __future__ import annotations

import difflib
import enum
from dataclasses import dataclass

from oura_stats.errors import ConfigError


class Kind(enum.Enum):
    DAILY = "daily"  # documents filtered by start_date/end_date
    SERIES = "series"  # samples filtered by start_datetime/end_datetime
    SINGLE = "single"  # one bare object, no parameters
    UNDATED = "undated"  # a paged list without date parameters


@dataclass(frozen=True)
class Category:
    name: str
    kind: Kind
    key: tuple[str, ...]
    time_field: str | None
    scope: str
    # Longest span of days one request may cover; None: the whole window in one request
    # (the API pages it). Time series are capped at 30 days by the API; the heaviest
    # documents are split so one response never holds years of per-minute samples.
    max_days: int | None = None

    @property
    def path(self) -> str:
        return f"/v2/usercollection/{self.name}"

    @property
    def sandbox_path(self) -> str:
        return f"/v2/sandbox/usercollection/{self.name}"

    @property
    def lead_columns(self) -> tuple[str, ...]:
        """Key and time columns, which always come first in the CSV."""
        if self.time_field is None or self.time_field in self.key:
            return self.key
        return (*self.key, self.time_field)

    @property
    def time_in_key(self) -> bool:
        """True when two rows with the same key always share their time value too."""
        return self.time_field is not None and self.time_field in self.key

    @property
    def has_sandbox(self) -> bool:
        return self.kind is not Kind.SINGLE


SERIES_MAX_DAYS = 30

CATEGORIES: tuple[Category, ...] = (
    Category("daily_activity", Kind.DAILY, ("id",), "day", "daily", max_days=365),
    # Real daily_cardiovascular_age documents have come without an id: one per day.
    Category("daily_cardiovascular_age", Kind.DAILY, ("day",), "day", "heart_health"),
    Category("daily_readiness", Kind.DAILY, ("id",), "day", "daily"),
    Category("daily_resilience", Kind.DAILY, ("id",), "day", "stress"),
    Category("daily_sleep", Kind.DAILY, ("id",), "day", "daily"),
    Category("daily_spo2", Kind.DAILY, ("id",), "day", "spo2"),
    Category("daily_stress", Kind.DAILY, ("id",), "day", "daily"),
    Category("enhanced_tag", Kind.DAILY, ("id",), "start_day", "tag"),
    Category(
        "heartrate",
        Kind.SERIES,
        ("timestamp", "source"),
        "timestamp",
        "heartrate",
        max_days=SERIES_MAX_DAYS,
    ),
    Category("personal_info", Kind.SINGLE, ("id",), None, "personal"),
    Category("rest_mode_period", Kind.DAILY, ("id",), "start_day", "daily"),
    Category(
        "ring_battery_level",
        Kind.SERIES,
        ("timestamp",),
        "timestamp",
        "daily",
        max_days=SERIES_MAX_DAYS,
    ),
    Category("ring_configuration", Kind.UNDATED, ("id",), "set_up_at", "ring_configuration"),
    Category("session", Kind.DAILY, ("id",), "day", "session"),
    Category("sleep", Kind.DAILY, ("id",), "day", "daily", max_days=365),
    Category("sleep_time", Kind.DAILY, ("id",), "day", "daily"),
    Category("tag", Kind.DAILY, ("id",), "day", "tag"),  # deprecated, but old data lives here
    Category("vO2_max", Kind.DAILY, ("id",), "day", "heart_health"),
    Category("workout", Kind.DAILY, ("id",), "day", "workout"),
)

BY_NAME: dict[str, Category] = {category.name: category for category in CATEGORIES}
_BY_LOWER: dict[str, Category] = {category.name.lower(): category for category in CATEGORIES}


def select(names: list[str] | None) -> list[Category]:
    """The categories named (case-insensitively, comma lists allowed), in table order."""
    if not names:
        return list(CATEGORIES)
    wanted: set[str] = set()
    for raw in names:
        for part in raw.split(","):
            name = part.strip()
            if not name:
                continue
            category = _BY_LOWER.get(name.lower())
            if category is None:
                raise ConfigError(_unknown(name))
            wanted.add(category.name)
    if not wanted:
        raise ConfigError("--categories named no category; run `oura-stats categories`")
    return [category for category in CATEGORIES if category.name in wanted]


def _unknown(name: str) -> str:
    """An unknown name, with the category it nearly spells, else the whole list."""
    near = difflib.get_close_matches(name.lower(), list(_BY_LOWER), n=1, cutoff=0.75)
    if near:
        return f"unknown category {name!r}; did you mean {_BY_LOWER[near[0]].name}?"
    return f"unknown category {name!r}; choose from: {', '.join(c.name for c in CATEGORIES)}"
