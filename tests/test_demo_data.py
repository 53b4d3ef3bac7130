"""The demo's synthetic account: self-consistent documents and the relationships real data
shows, with their sizes (the report's associations find the planted alcohol effect)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable
from typing import Any

import pytest

from oura_stats.demo.body import ALCOHOL, season
from oura_stats.demo.history import make_history
from oura_stats.demo.pipeline import until_now
from oura_stats.report.associations import associations

END = dt.date(2026, 12, 6)
YEARS = make_history(3 * 365, end=END)


def by_day(category: str, value: Callable[[dict[str, Any]], Any]) -> dict[str, float]:
    found = {}
    for doc in YEARS[category]:
        if category == "sleep" and doc["type"] != "long_sleep":
            continue
        if value(doc) is not None:
            found[doc["day"]] = float(value(doc))
    return found


def correlation(first: dict[str, float], second: dict[str, float]) -> float:
    days = sorted(first.keys() & second.keys())
    assert len(days) > 500
    return statistics.correlation([first[d] for d in days], [second[d] for d in days])


def present(items: list[float | None]) -> list[float]:
    return [v for v in items if v is not None]


def test_sleep_durations_are_their_phases_and_averages_their_series() -> None:
    for doc in YEARS["sleep"]:
        phases = doc["sleep_phase_5_min"]
        spans = {code: phases.count(code) * 300 for code in "1234"}
        assert doc["deep_sleep_duration"] == spans["1"]
        assert doc["light_sleep_duration"] == spans["2"]
        assert doc["rem_sleep_duration"] == spans["3"]
        assert doc["awake_time"] == spans["4"]
        assert doc["time_in_bed"] == len(phases) * 300
        assert doc["total_sleep_duration"] == doc["time_in_bed"] - doc["awake_time"]
        assert doc["efficiency"] == round(100 * doc["total_sleep_duration"] / doc["time_in_bed"])
        start = dt.datetime.fromisoformat(doc["bedtime_start"])
        assert dt.datetime.fromisoformat(doc["bedtime_end"]) - start == dt.timedelta(
            seconds=doc["time_in_bed"]
        )
        if "sleep_phase_30_sec" in doc:
            assert doc["sleep_phase_30_sec"] == "".join(c * 10 for c in phases)
        if doc["hrv"]:
            assert doc["average_hrv"] == round(statistics.fmean(present(doc["hrv"]["items"])))
            hearts = present(doc["heart_rate"]["items"])
            assert doc["average_heart_rate"] == round(statistics.fmean(hearts), 3)
            assert doc["lowest_heart_rate"] == min(hearts)
            assert len(doc["hrv"]["items"]) == len(phases)


def test_stress_and_recovery_never_exceed_the_day() -> None:
    for doc in YEARS["daily_stress"]:
        assert (doc["stress_high"] or 0) + (doc["recovery_high"] or 0) <= 86400


@pytest.mark.parametrize("hour", [3, 6, 14, 23])
def test_nothing_lies_in_the_future_of_now(hour: int) -> None:
    now = dt.datetime.combine(END, dt.time(hour, 14), dt.UTC)
    history = until_now(make_history(10, end=END), now)

    def at(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text)

    for name in ("heartrate", "ring_battery_level"):
        assert max(at(s["timestamp"]) for s in history[name]) <= now
    assert all(at(d["bedtime_end"]) <= now for d in history["sleep"])
    assert all(at(d["end_datetime"]) <= now for d in history["workout"] + history["session"])
    assert all(at(d["start_time"]) <= now for d in history["enhanced_tag"])
    for doc in history["daily_activity"]:
        met = doc["met"]
        ends = at(met["timestamp"]) + dt.timedelta(seconds=len(met["items"]) * met["interval"])
        assert ends <= now
        assert at(doc["timestamp"]) + dt.timedelta(minutes=5 * len(doc["class_5_min"])) <= now
    for doc in history["daily_stress"]:
        midnight = dt.datetime.fromisoformat(f"{doc['day']}T00:00:00+01:00")
        so_far = max(0.0, (now - midnight).total_seconds())
        assert (doc["stress_high"] or 0) + (doc["recovery_high"] or 0) <= so_far
    slept = {d["day"] for d in history["sleep"]}
    assert all(d["day"] in slept for d in history["daily_sleep"] if d["day"] == END.isoformat())


def test_hrv_goes_with_readiness_and_sleep_with_its_score() -> None:
    hrv = by_day("sleep", lambda d: d["average_hrv"])
    readiness = by_day("daily_readiness", lambda d: d["score"])
    assert correlation(hrv, readiness) > 0.6
    minutes = by_day("sleep", lambda d: d["total_sleep_duration"])
    assert correlation(minutes, by_day("daily_sleep", lambda d: d["score"])) > 0.6
    steps = by_day("daily_activity", lambda d: d["steps"])
    assert correlation(steps, by_day("daily_activity", lambda d: d["score"])) > 0.6


def test_weekends_and_seasons_show() -> None:
    steps = by_day("daily_activity", lambda d: d["steps"])
    weekend = [v for d, v in steps.items() if dt.date.fromisoformat(d).weekday() >= 5]
    weekday = [v for d, v in steps.items() if dt.date.fromisoformat(d).weekday() < 5]
    assert statistics.fmean(weekend) - statistics.fmean(weekday) > 1800
    sleep = by_day("sleep", lambda d: d["total_sleep_duration"] / 60)
    weekend = [v for d, v in sleep.items() if dt.date.fromisoformat(d).weekday() >= 5]
    weekday = [v for d, v in sleep.items() if dt.date.fromisoformat(d).weekday() < 5]
    assert statistics.fmean(weekend) - statistics.fmean(weekday) > 25
    hrv = by_day("sleep", lambda d: d["average_hrv"])
    summer = [v for d, v in hrv.items() if season(dt.date.fromisoformat(d)) > 0.7]
    winter = [v for d, v in hrv.items() if season(dt.date.fromisoformat(d)) < -0.7]
    assert statistics.fmean(summer) - statistics.fmean(winter) > 8


def test_alcohol_lowers_the_next_nights_hrv_and_readiness() -> None:
    evenings = {d["start_day"] for d in YEARS["enhanced_tag"] if d["tag_type_code"] == ALCOHOL}
    assert 100 < len(evenings) < 300
    hrv = by_day("sleep", lambda d: d["average_hrv"])
    readiness = by_day("daily_readiness", lambda d: d["score"])
    for outcome, least in ((hrv, 8), (readiness, 7)):
        after = [v for d, v in outcome.items() if _before(d) in evenings]
        other = [v for d, v in outcome.items() if _before(d) not in evenings]
        assert statistics.fmean(other) - statistics.fmean(after) > least
    days = [END - dt.timedelta(days=n) for n in range(365)]
    marked = {("tag", "alcohol"): {dt.date.fromisoformat(d) for d in evenings}}
    scores = {dt.date.fromisoformat(d): v for d, v in readiness.items()}
    (found,) = associations(marked, [scores], days)
    comparison = found.outcomes[0]
    assert comparison is not None
    assert comparison.clear
    assert comparison.difference < -5


def _before(day: str) -> str:
    return (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()


def test_the_generator_is_deterministic() -> None:
    assert make_history(40, end=END) == make_history(40, end=END)
