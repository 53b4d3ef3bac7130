"""Window planning: which days each run asks for, and how requests are cut. Pure functions."""

from __future__ import annotations

import datetime as dt
import itertools

from oura_stats.api.categories import BY_NAME
from oura_stats.api.windows import (
    EARLIEST_DAY,
    Options,
    Window,
    history_floor,
    plan_window,
    request_days,
    request_params,
)
from oura_stats.store.state import CategoryState

TODAY = dt.date(2026, 11, 23)
FLOOR = dt.date(2021, 1, 1)


def plan(saved: CategoryState, **options: object) -> Window:
    return plan_window(saved, Options(today=TODAY, lookback_days=3, **options), FLOOR)  # type: ignore[arg-type]


def test_first_run_fetches_from_the_floor_to_tomorrow() -> None:
    window = plan(CategoryState())
    assert (window.start, window.end) == (FLOOR, TODAY + dt.timedelta(days=1))
    assert window.advances_state
    assert not window.trim


def test_later_runs_look_back_from_the_newest_stored_data_not_from_today() -> None:
    saved = CategoryState(cursor="2026-11-10", complete_until="2026-11-22")
    window = plan(saved)
    assert window.start == dt.date(2026, 11, 7)  # a ring silent for days loses nothing
    assert window.advances_state


def test_time_series_cursor_is_an_instant() -> None:
    saved = CategoryState(cursor="2026-11-22T23:55:00+00:00", complete_until="2026-11-24")
    assert plan(saved).start == dt.date(2026, 11, 19)


def test_category_without_any_data_is_reasked_for_a_month() -> None:
    saved = CategoryState(cursor=None, complete_until="2026-11-24")
    assert plan(saved).start == dt.date(2026, 10, 25)


def test_explicit_window_elsewhere_never_moves_cursors() -> None:
    saved = CategoryState(cursor="2026-11-01", complete_until="2026-11-02")
    later = plan(saved, start=dt.date(2026, 11, 20))
    assert not later.advances_state  # would skip 11-03..11-19
    assert later.trim
    earlier = plan(saved, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31))
    assert earlier.advances_state  # no gap: max(cursor) keeps 11-01
    fresh = plan(CategoryState(), start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31))
    assert not fresh.advances_state  # a slice of history is not a history
    floor = plan(CategoryState(), start=dt.date(2025, 1, 1))
    assert floor.advances_state  # a start alone is the chosen beginning of the history
    until = plan(CategoryState(), end=dt.date(2025, 1, 31))
    assert until.advances_state  # the history from its beginning: the next run goes on


def test_heartrate_requests_are_consecutive_30_day_chunks() -> None:
    window = Window(dt.date(2026, 1, 1), dt.date(2026, 4, 1), trim=False, advances_state=True)
    params = request_params(BY_NAME["heartrate"], window)
    starts = [dt.datetime.fromisoformat(p["start_datetime"]) for p in params]
    ends = [dt.datetime.fromisoformat(p["end_datetime"]) for p in params]
    assert starts[0] == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert ends[-1] == dt.datetime(2026, 4, 2, tzinfo=dt.UTC)
    assert all(e - s <= dt.timedelta(days=30) for s, e in zip(starts, ends, strict=True))
    assert starts[1:] == ends[:-1]
    assert len(params) == 4


def test_daily_requests_are_padded_and_heavy_ones_overlap_by_a_day() -> None:
    window = Window(dt.date(2024, 1, 1), dt.date(2025, 6, 30), trim=False, advances_state=True)
    (single,) = request_params(BY_NAME["daily_sleep"], window)
    assert single == {"start_date": "2023-12-31", "end_date": "2025-07-02"}
    chunks = request_params(BY_NAME["daily_activity"], window)
    assert chunks[0]["start_date"] == "2023-12-31"
    assert chunks[-1]["end_date"] == "2025-07-02"
    assert all(a["end_date"] == b["start_date"] for a, b in itertools.pairwise(chunks))


def test_a_request_spans_the_days_between_its_start_and_end() -> None:
    window = Window(dt.date(2024, 1, 1), dt.date(2025, 6, 30), trim=False, advances_state=True)
    (single,) = request_params(BY_NAME["daily_sleep"], window)
    assert request_days(single) == 549  # 2023-12-31 to 2025-07-02
    chunks = request_params(BY_NAME["heartrate"], window)
    assert [request_days(c) for c in chunks] == [30] * 18 + [7]  # to 2025-07-01 00:00
    assert request_days({}) == 0  # undated: one short request


def test_single_and_undated_categories_make_one_plain_request() -> None:
    assert request_params(BY_NAME["personal_info"], None) == [{}]  # type: ignore[arg-type]


def test_history_floor_trusts_ring_dates_only_when_all_are_plausible() -> None:
    assert history_floor(["2022-03-04T10:00:00+00:00", "2023-01-01T00:00:00+00:00"]) == dt.date(
        2022, 3, 3
    )
    assert history_floor(["1970-01-01T00:00:00+00:00", "2023-01-01T00:00:00+00:00"]) == EARLIEST_DAY
    assert history_floor([None, "2023-01-01T00:00:00+00:00"]) == EARLIEST_DAY
    assert history_floor([]) == EARLIEST_DAY
