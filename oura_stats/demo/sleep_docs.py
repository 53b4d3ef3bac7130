"""Synthetic sleep periods: the main night (`long_sleep`), short awakenings and naps."""

from __future__ import annotations

import datetime as dt

from oura_stats.demo.daily_docs import READINESS_CONTRIBUTORS
from oura_stats.demo.gen import Doc, Gen, iso, local, sample


def sleep_period(
    g: Gen, day: dt.date, *, kind: str, start: dt.datetime, minutes: int, newer: bool
) -> Doc:
    end = start + dt.timedelta(minutes=minutes)
    in_bed = minutes * 60
    asleep = int(in_bed * g.real(0.8, 0.95))
    deep, rem = int(asleep * 0.2), int(asleep * 0.22)
    long_sleep = kind == "long_sleep"
    n_5min = in_bed // 300
    heart = None if g.chance(0.3) else sample(300.0, g.floats(g.hr_pool, n_5min), start)
    hrv = None if heart is None else sample(300.0, g.floats(g.hrv_pool, n_5min), start)
    doc: Doc = {
        "id": g.uid(),
        "average_breath": g.real(13.0, 16.5, 3),
        "average_heart_rate": g.real(50.0, 64.0, 3),
        "average_hrv": g.maybe(g.num(25, 70), 0.1),
        "awake_time": in_bed - asleep,
        "bedtime_end": iso(end),
        "bedtime_start": iso(start),
        "day": day.isoformat(),
        "deep_sleep_duration": deep,
        "efficiency": g.num(75, 96),
        "heart_rate": heart,
        "hrv": hrv,
        "latency": g.num(1, 40) * 30,
        "light_sleep_duration": asleep - deep - rem,
        "low_battery_alert": g.chance(0.02),
        "lowest_heart_rate": g.num(44, 58),
        "movement_30_sec": g.text(g.move_pool, in_bed // 30),
        "period": 0,
        "readiness": sleep_readiness(g) if long_sleep else None,
        "readiness_score_delta": g.maybe(g.num(-3, 3), 0.3) if long_sleep else None,
        "rem_sleep_duration": rem,
        "restless_periods": g.num(50, 400),
        "sleep_algorithm_version": "v2",
        "sleep_analysis_reason": g.maybe("foreground_sleep_analysis", 0.5),
        "sleep_phase_5_min": g.text(g.hypno_pool, n_5min),
        "sleep_score_delta": g.maybe(g.num(-3, 3), 0.3) if long_sleep else None,
        "time_in_bed": in_bed,
        "total_sleep_duration": asleep,
        "type": kind,
    }
    if newer:
        doc["ring_id"] = "9c3f0a52-7e4c-4b7e-9a0f-2f6b1d5e8c11"
        doc["app_sleep_phase_5_min"] = doc["sleep_phase_5_min"]
        doc["sleep_phase_30_sec"] = g.text(g.hypno_pool, in_bed // 30)
    return doc


def sleep_readiness(g: Gen) -> Doc:
    return {
        "contributors": g.scores(READINESS_CONTRIBUTORS, 0.05),
        "score": g.num(50, 98),
        "temperature_deviation": g.maybe(g.real(-0.8, 0.8), 0.1),
        "temperature_trend_deviation": g.maybe(g.real(-0.5, 0.5), 0.1),
    }


def sleeps_for_day(g: Gen, day: dt.date, *, newer: bool) -> list[Doc]:
    """The night ending on `day` (long_sleep), sometimes preceded by a short awakening period
    ("sleep") and sometimes followed by a daytime "rest"."""
    previous = day - dt.timedelta(days=1)
    bed = local(previous, 22, g.num(0, 59)) + dt.timedelta(minutes=g.num(0, 120))
    docs = []
    if g.chance(0.1):
        docs.append(sleep_period(g, day, kind="sleep", start=bed, minutes=40, newer=newer))
        bed += dt.timedelta(minutes=70)
    docs.append(
        sleep_period(g, day, kind="long_sleep", start=bed, minutes=g.num(360, 540), newer=newer)
    )
    if g.chance(0.15):
        nap = local(day, 14, g.num(0, 59))
        docs.append(sleep_period(g, day, kind="rest", start=nap, minutes=30, newer=newer))
    for period, doc in enumerate(docs):
        doc["period"] = period
    return docs
