"""Selecting a query's documents: each category sorted once by its filter key, then the
date or datetime bounds found by bisection (see `api_rules` for the semantics)."""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from typing import Any

from oura_stats.demo.api_rules import (
    ACTIVITY_DAY_START,
    UTC,
    ApiFailure,
    Route,
    as_date,
    as_datetime,
    epoch,
    parse_date_param,
    parse_datetime_param,
)


@dataclass
class SortedIndex:
    """A category's documents sorted by their filter key, plus those keys (for bisect)."""

    source_id: int
    source_len: int
    docs: list[dict[str, Any]]
    keys: list[Any]

    def is_for(self, source: list[dict[str, Any]]) -> bool:
        """Whether this index still describes `source` (same list, same length)."""
        return self.source_id == id(source) and self.source_len == len(source)


def build_index(route: Route, source: list[dict[str, Any]]) -> SortedIndex:
    """Sort `source` by each document's filter key (see `filter_key`)."""
    keyed = sorted(
        ((filter_key(route, doc), i) for i, doc in enumerate(source)),
        key=lambda pair: pair[0],
    )
    return SortedIndex(
        source_id=id(source),
        source_len=len(source),
        docs=[source[i] for _, i in keyed],
        keys=[key for key, _ in keyed],
    )


def daily_bounds(
    index: SortedIndex, route: Route, params: dict[str, str], today: dt.date
) -> tuple[int, int]:
    """The slice of `index` that a daily query's `start_date`/`end_date` select."""
    raw_start, raw_end = params.get("start_date"), params.get("end_date")
    end = parse_date_param("end_date", raw_end) if raw_end is not None else today
    if raw_start is not None:
        start = parse_date_param("start_date", raw_start)
    else:
        start = as_date(end) - dt.timedelta(days=1)
    if as_datetime(start) > as_datetime(end):
        raise ApiFailure(422, "Start date must be before end date")
    if route.exclusive_end:
        lo = bisect.bisect_left(index.keys, as_datetime(start))
        hi = bisect.bisect_right(index.keys, as_datetime(end))
    else:
        lo = bisect.bisect_left(index.keys, as_date(start))
        hi = bisect.bisect_right(index.keys, as_date(end))
    return lo, hi


def series_bounds(
    index: SortedIndex, params: dict[str, str], now: dt.datetime, max_days: int
) -> tuple[int, int]:
    """The slice of `index` that a time-series query's datetimes select; 400 past `max_days`."""
    raw_start, raw_end = params.get("start_datetime"), params.get("end_datetime")
    end = parse_datetime_param("end_datetime", raw_end) if raw_end is not None else now
    if raw_start is not None:
        start = parse_datetime_param("start_datetime", raw_start)
    else:
        start = end - dt.timedelta(days=1)
    if start > end:
        raise ApiFailure(400, "Start datetime must be before end datetime")
    if end - start > dt.timedelta(days=max_days):
        detail = (
            f"The time range between start_datetime and end_datetime "
            f"must not exceed {max_days} days"
        )
        raise ApiFailure(400, detail)
    lo = bisect.bisect_left(index.keys, start.timestamp())
    hi = bisect.bisect_right(index.keys, end.timestamp())
    return lo, hi


def filter_key(route: Route, doc: dict[str, Any]) -> Any:
    """The value a document is sorted and filtered by (see `api_rules`)."""
    if route.kind == "series":
        return epoch(doc["timestamp"])
    if route.kind == "undated":
        return 0
    if route.utc_field is not None:
        day = dt.datetime.fromisoformat(doc[route.utc_field]).astimezone(UTC).date()
    else:
        day = dt.date.fromisoformat(doc[route.time_field or "day"])
    if route.exclusive_end:
        return dt.datetime.combine(day, ACTIVITY_DAY_START)
    return day


def project(page: list[dict[str, Any]], fields: str, route: Route) -> list[dict[str, Any]]:
    """Keep only the `fields` asked for (plus the keys), unless none of them exist."""
    wanted = {name.strip() for name in fields.split(",") if name.strip()}
    if not page or not wanted & set().union(*(doc.keys() for doc in page)):
        return page
    always = {"id", "timestamp", route.time_field or "day"}
    keep = wanted | always
    return [{k: v for k, v in doc.items() if k in keep} for doc in page]
