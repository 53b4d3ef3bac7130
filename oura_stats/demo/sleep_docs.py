"""Synthetic sleep periods: the main night (`long_sleep`), short awakenings and naps."""

from __future__ import annotations

import datetime as dt

from oura_stats.demo.body import Day, hypnogram
from oura_stats.demo.daily_docs import READINESS_CONTRIBUTORS
from oura_stats.demo.gen import Doc, Gen, iso, local, sample


def sleep_period(
    g: Gen,
    day: dt.date,
    *,
    kind: str,
    start: dt.datetime,
    asleep_minutes: int,
    newer: bool,
    hrv_target: float,
) -> Doc:
    """One period in bed whose durations are its phases' and whose averages are its
    series' (when it has them)."""
    awake_minutes = 5 * g.num(2, 8)
    phases = hypnogram(g, asleep_minutes, awake_minutes)
    in_bed = len(phases) * 300
    counts = {code: phases.count(code) * 300 for code in "1234"}
    asleep = in_bed - counts["4"]
    end = start + dt.timedelta(seconds=in_bed)
    long_sleep = kind == "long_sleep"
    measured = not g.chance(0.3)
    heart_items = g.around(g.hr_pool, 54.0, len(phases)) if measured else None
    hrv_items = g.around(g.hrv_pool, round(hrv_target), len(phases)) if measured else None
    average_hr = _mean(heart_items) if heart_items else g.real(50.0, 62.0, 3)
    doc: Doc = {
        "id": g.uid(),
        "average_breath": g.real(13.0, 16.5, 3),
        "average_heart_rate": round(average_hr, 3),
        "average_hrv": round(_mean(hrv_items)) if hrv_items else round(hrv_target),
        "awake_time": counts["4"],
        "bedtime_end": iso(end),
        "bedtime_start": iso(start),
        "day": day.isoformat(),
        "deep_sleep_duration": counts["1"],
        "efficiency": round(100 * asleep / in_bed),
        "heart_rate": sample(300.0, heart_items, start) if heart_items else None,
        "hrv": sample(300.0, hrv_items, start) if hrv_items else None,
        "latency": (len(phases) - len(phases.lstrip("4"))) * 300,
        "light_sleep_duration": counts["2"],
        "low_battery_alert": g.chance(0.02),
        "lowest_heart_rate": _lowest(heart_items) if heart_items else g.num(44, 52),
        "movement_30_sec": g.text(g.move_pool, in_bed // 30),
        "period": 0,
        "readiness": None,
        "readiness_score_delta": g.maybe(g.num(-3, 3), 0.3) if long_sleep else None,
        "rem_sleep_duration": counts["3"],
        "restless_periods": g.num(50, 400),
        "sleep_algorithm_version": "v2",
        "sleep_analysis_reason": g.maybe("foreground_sleep_analysis", 0.5),
        "sleep_phase_5_min": phases,
        "sleep_score_delta": g.maybe(g.num(-3, 3), 0.3) if long_sleep else None,
        "time_in_bed": in_bed,
        "total_sleep_duration": asleep,
        "type": kind,
    }
    if newer:
        doc["ring_id"] = "9c3f0a52-7e4c-4b7e-9a0f-2f6b1d5e8c11"
        doc["app_sleep_phase_5_min"] = phases
        doc["sleep_phase_30_sec"] = "".join(code * 10 for code in phases)
    return doc


def _mean(items: list[float | None] | None) -> float:
    present = [v for v in items or [] if v is not None]
    return sum(present) / len(present) if present else 0.0


def _lowest(items: list[float | None]) -> int:
    return int(min((v for v in items if v is not None), default=48))


def sleep_readiness(g: Gen, score: int) -> Doc:
    return {
        "contributors": g.scores(READINESS_CONTRIBUTORS, 0.05),
        "score": score,
        "temperature_deviation": g.maybe(g.real(-0.8, 0.8), 0.1),
        "temperature_trend_deviation": g.maybe(g.real(-0.5, 0.5), 0.1),
    }


def sleeps_for_day(g: Gen, wearer: Day, *, newer: bool) -> list[Doc]:
    """The night ending on the wearer's day (long_sleep), sometimes preceded by a short
    awakening period ("sleep") and sometimes followed by a daytime "rest"."""
    day = wearer.day
    previous = day - dt.timedelta(days=1)
    bed = local(previous, 22, g.num(0, 59)) + dt.timedelta(minutes=g.num(0, 90))
    docs = []
    if g.chance(0.1):
        docs.append(_short(g, day, "sleep", bed, newer))
        bed = _parse(docs[-1]["bedtime_end"]) + dt.timedelta(minutes=30)
    night = sleep_period(
        g,
        day,
        kind="long_sleep",
        start=bed,
        asleep_minutes=wearer.sleep_minutes,
        newer=newer,
        hrv_target=wearer.hrv,
    )
    night["readiness"] = sleep_readiness(g, wearer.readiness)
    docs.append(night)
    if g.chance(0.15):
        docs.append(_short(g, day, "rest", local(day, 14, g.num(0, 59)), newer))
    for period, doc in enumerate(docs):
        doc["period"] = period
    return docs


def _short(g: Gen, day: dt.date, kind: str, start: dt.datetime, newer: bool) -> Doc:
    return sleep_period(
        g, day, kind=kind, start=start, asleep_minutes=25, newer=newer, hrv_target=40.0
    )


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)
