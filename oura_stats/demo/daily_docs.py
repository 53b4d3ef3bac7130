"""Synthetic documents of the daily collections (one document per day)."""

from __future__ import annotations

import datetime as dt

from oura_stats.demo.body import Day
from oura_stats.demo.gen import UTC, Doc, Gen, iso, local, sample, utc_offset

ACTIVITY_CONTRIBUTORS = (
    "meet_daily_targets",
    "move_every_hour",
    "recovery_time",
    "stay_active",
    "training_frequency",
    "training_volume",
)
READINESS_CONTRIBUTORS = (
    "activity_balance",
    "body_temperature",
    "hrv_balance",
    "previous_day_activity",
    "previous_night",
    "recovery_index",
    "resting_heart_rate",
    "sleep_balance",
    "sleep_regularity",
)
SLEEP_CONTRIBUTORS = (
    "deep_sleep",
    "efficiency",
    "latency",
    "rem_sleep",
    "restfulness",
    "timing",
    "total_sleep",
)


def daily_activity(g: Gen, wearer: Day) -> Doc:
    day = wearer.day
    start = local(day, 4)
    steps = wearer.steps
    return {
        "id": g.uid(),
        "class_5_min": g.text(g.class_pool, 288),
        "score": g.maybe(wearer.activity_score, 0.05),
        "active_calories": g.num(100, 900),
        "average_met_minutes": g.real(1.1, 2.4, 4),
        "contributors": g.scores(ACTIVITY_CONTRIBUTORS, 0.05),
        "equivalent_walking_distance": int(steps * 0.75),
        "high_activity_met_minutes": g.num(0, 60),
        "high_activity_time": g.num(0, 3600),
        "inactivity_alerts": g.num(0, 3),
        "low_activity_met_minutes": g.num(50, 300),
        "low_activity_time": g.num(3600, 20000),
        "medium_activity_met_minutes": g.num(0, 200),
        "medium_activity_time": g.num(0, 7200),
        "met": sample(60.0, g.floats(g.met_pool, 1440), start),
        "meters_to_target": g.num(-4000, 8000),
        "non_wear_time": g.num(0, 5000),
        "resting_time": g.num(20000, 40000),
        "sedentary_met_minutes": g.num(0, 20),
        "sedentary_time": g.num(20000, 45000),
        "steps": steps,
        "target_calories": 450,
        "target_meters": 9000,
        "total_calories": g.num(1900, 3200),
        "day": day.isoformat(),
        "timestamp": iso(start),
    }


def daily_readiness(g: Gen, wearer: Day) -> Doc:
    day = wearer.day
    return {
        "id": g.uid(),
        "contributors": g.scores(READINESS_CONTRIBUTORS, 0.05),
        "day": day.isoformat(),
        "score": g.maybe(wearer.readiness, 0.03),
        "temperature_deviation": g.maybe(g.real(-0.8, 0.8), 0.05),
        "temperature_trend_deviation": g.maybe(g.real(-0.5, 0.5), 0.1),
        "timestamp": f"{day.isoformat()}T00:00:00+00:00",
    }


def daily_sleep(g: Gen, wearer: Day) -> Doc:
    day = wearer.day
    return {
        "id": g.uid(),
        "contributors": g.scores(SLEEP_CONTRIBUTORS),
        "day": day.isoformat(),
        "score": g.maybe(wearer.sleep_score, 0.03),
        "timestamp": f"{day.isoformat()}T00:00:00+00:00",
    }


def daily_resilience(g: Gen, day: dt.date) -> Doc:
    return {
        "id": g.uid(),
        "day": day.isoformat(),
        "contributors": {
            "sleep_recovery": g.real(20, 100, 1),
            "daytime_recovery": g.real(5, 80, 1),
            "stress": g.real(10, 90, 1),
        },
        "level": g.rng.choice(["limited", "adequate", "solid", "strong", "exceptional"]),
    }


def daily_spo2(g: Gen, day: dt.date) -> Doc:
    spo2 = None if g.chance(0.15) else {"average": g.real(94.0, 99.5, 3)}
    return {
        "id": g.uid(),
        "breathing_disturbance_index": g.maybe(g.num(0, 20), 0.2),
        "day": day.isoformat(),
        "spo2_percentage": spo2,
    }


def daily_stress(g: Gen, day: dt.date) -> Doc:
    return {
        "id": g.uid(),
        "day": day.isoformat(),
        "day_summary": g.maybe(g.rng.choice(["restored", "normal", "stressful"]), 0.15),
        "recovery_high": g.maybe(g.num(0, 32) * 900, 0.05),  # at most 8 h
        "stress_high": g.maybe(g.num(0, 24) * 900, 0.05),  # at most 6 h
    }


def cardiovascular_age(g: Gen, day: dt.date, *, newer: bool) -> Doc:
    doc: Doc = {"day": day.isoformat(), "vascular_age": g.maybe(g.num(28, 45), 0.05)}
    if newer:
        doc["pulse_wave_velocity"] = g.maybe(g.real(5.5, 8.5, 3), 0.1)
    return doc


def sleep_time(g: Gen, day: dt.date) -> Doc:
    bedtime = None
    if g.chance(0.1):
        offset = int(utc_offset(local(day, 12).astimezone(UTC)).total_seconds())
        start = g.num(-8, -2) * 900
        bedtime = {"day_tz": offset, "end_offset": start + 3600, "start_offset": start}
    return {
        "id": g.uid(),
        "day": day.isoformat(),
        "optimal_bedtime": bedtime,
        "recommendation": g.maybe("improve_efficiency", 0.5) if bedtime is None else None,
        "status": "optimal_found" if bedtime else g.rng.choice(["not_enough_nights", None]),
    }


def vo2_max(g: Gen, day: dt.date) -> Doc:
    return {
        "id": g.uid(),
        "day": day.isoformat(),
        "timestamp": iso(local(day, 0)),
        "vo2_max": g.num(38, 47),
    }
