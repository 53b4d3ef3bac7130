"""Realistic, deterministic Oura documents for every collection (shapes from the 1.37 spec and
real recorded responses; see /work/shared/oura-api.md §12).

`make_history(days, end=...)` returns `{category: [documents]}` plus `"personal_info": {...}`,
ready for `FakeOura(data)`. Realism on purpose:

- local times carry a UTC offset that follows EU daylight-saving rules (+01:00 winter,
  +02:00 summer); one workout comes back with +00:00; heartrate and battery are UTC `+00:00`;
- nullable fields are sometimes null, sample objects (`heart_rate`, `hrv`) are sometimes null
  as a whole, and newer fields are ABSENT (not null) on older documents (sleep `ring_id`,
  `app_sleep_phase_5_min`, `sleep_phase_30_sec`; heartrate `timestamp_unix`;
  cardiovascular `pulse_wave_velocity`);
- daily_cardiovascular_age has no `id`; ring_configuration's older ring was set up at the
  1970-01-01 sentinel; heartrate has a few instants twice with different sources;
- a few nights/days are missing from the sleep, readiness and spo2 collections;
- some text needs CSV quoting (comma, quote, newline) and one is non-ASCII.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import uuid
from typing import Any

UTC = dt.UTC
Doc = dict[str, Any]

TRICKY_TEXT = 'Sauna, then "cold plunge"\nfelt great \u2013 löyly ☺'
EPOCH_SENTINEL = "1970-01-01T00:00:00+00:00"
NEW_FIELDS_FRACTION = 0.6  # documents in the last 60 % of the history carry the newer fields


# --- time helpers -------------------------------------------------------------------------


def _last_sunday(year: int, month: int) -> dt.date:
    last = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() + 1) % 7)


def utc_offset(instant: dt.datetime) -> dt.timedelta:
    """EU rules: +02:00 from the last Sunday of March to the last Sunday of October 01:00 UTC."""
    year = instant.year
    begin = dt.datetime.combine(_last_sunday(year, 3), dt.time(1), UTC)
    finish = dt.datetime.combine(_last_sunday(year, 10), dt.time(1), UTC)
    return dt.timedelta(hours=2 if begin <= instant < finish else 1)


def local(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """An aware local wall-clock time on `day` with the offset in force then."""
    naive = dt.datetime(day.year, day.month, day.day, hour, minute, second)
    offset = utc_offset(naive.replace(tzinfo=UTC) - dt.timedelta(hours=1))
    return naive.replace(tzinfo=dt.timezone(offset))


def iso(moment: dt.datetime, *, millis: bool = False) -> str:
    return moment.isoformat(timespec="milliseconds" if millis else "seconds")


# --- random helpers -----------------------------------------------------------------------


class _Gen:
    """A seeded source of ids, numbers and pre-built pools (slicing pools keeps this fast)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        rng = self.rng
        self.met_pool: list[float | None] = [
            None if rng.random() < 0.03 else round(rng.uniform(0.9, 6.5), 1) for _ in range(4000)
        ]
        self.hr_pool: list[float | None] = [
            None if rng.random() < 0.08 else float(rng.randint(48, 72)) for _ in range(600)
        ]
        self.hrv_pool: list[float | None] = [
            None if rng.random() < 0.08 else float(rng.randint(20, 90)) for _ in range(600)
        ]
        self.bpm_pool: list[int] = [rng.randint(52, 96) for _ in range(5003)]
        self.hypno_pool = "".join(rng.choice("1223344") for _ in range(4000))
        self.move_pool = "".join(rng.choice("1111223") for _ in range(4000))
        self.class_pool = "".join(rng.choice("0011222333345") for _ in range(4000))

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def num(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def real(self, lo: float, hi: float, digits: int = 2) -> float:
        return round(self.rng.uniform(lo, hi), digits)

    def maybe(self, value: Any, p_null: float = 0.1) -> Any:
        return None if self.chance(p_null) else value

    def floats(self, pool: list[float | None], n: int) -> list[float | None]:
        start = self.num(0, len(pool) - n)
        return pool[start : start + n]

    def text(self, pool: str, n: int) -> str:
        start = self.num(0, len(pool) - n)
        return pool[start : start + n]

    def scores(self, names: tuple[str, ...], p_null: float = 0.0) -> dict[str, int | None]:
        return {name: self.maybe(self.num(40, 100), p_null) for name in names}


def sample(interval: float, items: list[float | None], start: dt.datetime) -> Doc:
    return {"interval": interval, "items": items, "timestamp": iso(start, millis=True)}


# --- daily documents ----------------------------------------------------------------------

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


def daily_activity(g: _Gen, day: dt.date) -> Doc:
    start = local(day, 4)
    steps = g.num(1500, 18000)
    return {
        "id": g.uid(),
        "class_5_min": g.text(g.class_pool, 288),
        "score": g.maybe(g.num(45, 99), 0.05),
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


def daily_readiness(g: _Gen, day: dt.date) -> Doc:
    return {
        "id": g.uid(),
        "contributors": g.scores(READINESS_CONTRIBUTORS, 0.05),
        "day": day.isoformat(),
        "score": g.maybe(g.num(50, 98), 0.03),
        "temperature_deviation": g.maybe(g.real(-0.8, 0.8), 0.05),
        "temperature_trend_deviation": g.maybe(g.real(-0.5, 0.5), 0.1),
        "timestamp": f"{day.isoformat()}T00:00:00+00:00",
    }


def daily_sleep(g: _Gen, day: dt.date) -> Doc:
    return {
        "id": g.uid(),
        "contributors": g.scores(SLEEP_CONTRIBUTORS),
        "day": day.isoformat(),
        "score": g.maybe(g.num(45, 97), 0.03),
        "timestamp": f"{day.isoformat()}T00:00:00+00:00",
    }


def daily_resilience(g: _Gen, day: dt.date) -> Doc:
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


def daily_spo2(g: _Gen, day: dt.date) -> Doc:
    spo2 = None if g.chance(0.15) else {"average": g.real(94.0, 99.5, 3)}
    return {
        "id": g.uid(),
        "breathing_disturbance_index": g.maybe(g.num(0, 20), 0.2),
        "day": day.isoformat(),
        "spo2_percentage": spo2,
    }


def daily_stress(g: _Gen, day: dt.date) -> Doc:
    return {
        "id": g.uid(),
        "day": day.isoformat(),
        "day_summary": g.maybe(g.rng.choice(["restored", "normal", "stressful"]), 0.15),
        "recovery_high": g.maybe(g.num(0, 60) * 900, 0.05),
        "stress_high": g.maybe(g.num(0, 40) * 900, 0.05),
    }


def cardiovascular_age(g: _Gen, day: dt.date, *, newer: bool) -> Doc:
    doc: Doc = {"day": day.isoformat(), "vascular_age": g.maybe(g.num(28, 45), 0.05)}
    if newer:
        doc["pulse_wave_velocity"] = g.maybe(g.real(5.5, 8.5, 3), 0.1)
    return doc


def sleep_time(g: _Gen, day: dt.date) -> Doc:
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


def vo2_max(g: _Gen, day: dt.date) -> Doc:
    return {
        "id": g.uid(),
        "day": day.isoformat(),
        "timestamp": iso(local(day, 0)),
        "vo2_max": g.num(38, 47),
    }


# --- sleep --------------------------------------------------------------------------------


def sleep_period(
    g: _Gen, day: dt.date, *, kind: str, start: dt.datetime, minutes: int, newer: bool
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


def sleep_readiness(g: _Gen) -> Doc:
    return {
        "contributors": g.scores(READINESS_CONTRIBUTORS, 0.05),
        "score": g.num(50, 98),
        "temperature_deviation": g.maybe(g.real(-0.8, 0.8), 0.1),
        "temperature_trend_deviation": g.maybe(g.real(-0.5, 0.5), 0.1),
    }


def sleeps_for_day(g: _Gen, day: dt.date, *, newer: bool) -> list[Doc]:
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


# --- occasional documents -----------------------------------------------------------------


def workout(g: _Gen, day: dt.date, start: dt.datetime, *, offset_zero: bool = False) -> Doc:
    if offset_zero:
        start = start.astimezone(UTC)
    end = start + dt.timedelta(minutes=g.num(20, 90))
    activity = g.rng.choice(["walking", "running", "cycling", "strengthTraining"])
    return {
        "id": g.uid(),
        "activity": activity,
        "calories": g.real(60, 700, 3),
        "day": day.isoformat(),
        "distance": g.real(1000, 12000, 1) if activity == "running" and g.chance(0.5) else None,
        "end_datetime": iso(end),
        "intensity": g.rng.choice(["easy", "moderate", "hard"]),
        "label": None,
        "source": g.rng.choice(["manual", "autodetected", "confirmed", "workout_heart_rate"]),
        "start_datetime": iso(start),
    }


def workouts_for_day(g: _Gen, day: dt.date, index: int) -> list[Doc]:
    """Usually one workout; every 9th day two, listed evening first (the API does not sort
    workouts by time within a day); day 5 has one at 00:20 local (UTC date = previous day),
    day 7 has one reported with +00:00."""
    docs = [workout(g, day, local(day, g.num(16, 19), g.num(0, 59)), offset_zero=index == 7)]
    if index % 9 == 0:
        docs.insert(0, workout(g, day, local(day, 20, g.num(0, 59))))
    if index == 5:
        docs.append(workout(g, day, local(day, 0, 20)))
    return docs


def session(g: _Gen, day: dt.date) -> Doc:
    start = local(day, g.num(7, 21), g.num(0, 59))
    minutes = g.num(5, 20)
    motion: list[float | None] = [float(g.num(0, 6)) for _ in range(minutes * 12)]
    return {
        "id": g.uid(),
        "day": day.isoformat(),
        "start_datetime": iso(start),
        "end_datetime": iso(start + dt.timedelta(minutes=minutes)),
        "type": g.rng.choice(["breathing", "meditation", "relaxation", "rest"]),
        "heart_rate": None,
        "heart_rate_variability": None,
        "mood": g.maybe(g.rng.choice(["bad", "worse", "same", "good", "great"]), 0.5),
        "motion_count": sample(5.0, motion, start),
    }


def enhanced_tag(g: _Gen, day: dt.date, *, tricky: bool) -> Doc:
    custom = g.chance(0.2)
    return {
        "id": g.uid(),
        "tag_type_code": "custom" if custom or tricky else "tag_generic_caffeine",
        "start_time": iso(local(day, g.num(7, 22), g.num(0, 59))),
        "end_time": None,
        "start_day": day.isoformat(),
        "end_day": None,
        "comment": TRICKY_TEXT if tricky else "",
        "custom_name": "Sauna \u2013 löyly" if tricky else ("Late dinner" if custom else None),
    }


def tag(g: _Gen, day: dt.date) -> Doc:
    moment = local(day, g.num(18, 23), g.num(0, 59))
    return {
        "id": g.uid(),
        "day": day.isoformat(),
        "text": g.maybe("Alcohol, two glasses", 0.5),
        "timestamp": iso(moment),
        "tags": g.rng.sample(["alcohol", "late_meal", "sauna", "caffeine"], g.num(1, 2)),
    }


def rest_mode_period(g: _Gen, first: dt.date, length: int, *, ongoing: bool) -> Doc:
    last = first + dt.timedelta(days=length)
    episodes = [
        {
            "tags": g.rng.sample(["tag_generic_fever", "tag_generic_flu", "tag_generic_cold"], 1),
            "timestamp": iso(local(first + dt.timedelta(days=i), 9), millis=True),
        }
        for i in range(min(length, 3))
    ]
    return {
        "id": g.uid(),
        "end_day": None if ongoing else last.isoformat(),
        "end_time": None if ongoing else iso(local(last, 8, 30)),
        "episodes": episodes,
        "start_day": first.isoformat(),
        "start_time": iso(local(first, 9)),
    }


# --- time series --------------------------------------------------------------------------


def _day_suffixes(interval_s: int) -> list[tuple[int, str]]:
    return [
        (s, f"T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00:00")
        for s in range(0, 86400, interval_s)
    ]


def heartrate(g: _Gen, first: dt.date, days: int, interval_s: int, unix_from: int) -> list[Doc]:
    """Samples every `interval_s` from UTC midnight of `first`; rest at night, awake by day,
    a workout burst at 17:xx, and every third day one instant twice (awake and workout)."""
    suffixes = _day_suffixes(interval_s)
    pool, pool_len = g.bpm_pool, len(g.bpm_pool)
    out: list[Doc] = []
    cursor = 0
    for index in range(days):
        day = first + dt.timedelta(days=index)
        prefix = day.isoformat()
        base = int(dt.datetime.combine(day, dt.time(), UTC).timestamp())
        with_unix = index >= unix_from
        for second, suffix in suffixes:
            hour = second // 3600
            source = "rest" if hour < 5 or hour >= 21 else "awake"
            bpm = pool[cursor % pool_len]
            cursor += 1
            if hour == 17 and second % 3600 < 1800:
                source, bpm = "workout", bpm + 40
            doc: Doc = {"bpm": bpm, "source": source, "timestamp": prefix + suffix}
            if with_unix:
                doc["timestamp_unix"] = (base + second) * 1000
            out.append(doc)
            if index % 3 == 0 and second == 43200:
                out.append({**doc, "bpm": bpm + 15, "source": "workout"})
    return out


def battery(g: _Gen, first: dt.date, days: int, interval_s: int, flags_from: int) -> list[Doc]:
    """A saw-tooth: drains ~1 % per hour, charges to 100 % when it reaches ~20 %."""
    out: list[Doc] = []
    start = dt.datetime.combine(first, dt.time(), UTC)
    level, charging = 80.0, False
    drain = interval_s / 3600
    for step in range(days * 86400 // interval_s):
        moment = start + dt.timedelta(seconds=step * interval_s)
        if charging:
            level = min(100.0, level + 25 * drain)
            charging = level < 100
        else:
            level -= drain * g.real(0.7, 1.3)
            charging = level < 20
        flags = step * interval_s >= flags_from * 86400
        out.append(
            {
                "timestamp": iso(moment),
                "timestamp_unix": int(moment.timestamp()) * 1000,
                "level": max(1, int(level)),
                "charging": charging if flags else None,
                "in_charger": charging if flags else None,
            }
        )
    return out


# --- single/undated -----------------------------------------------------------------------


def ring_configuration(g: _Gen, first: dt.date, *, plausible: bool) -> list[Doc]:
    newer_setup = dt.datetime.combine(first, dt.time(18, 42, 7), UTC)
    older_setup = iso(newer_setup - dt.timedelta(days=30)) if plausible else EPOCH_SENTINEL
    return [
        {
            "id": g.uid(),
            "color": "stealth_black",
            "design": "heritage",
            "firmware_version": "2.9.18",
            "hardware_type": "gen3",
            "set_up_at": older_setup,
            "size": 10,
        },
        {
            "id": g.uid(),
            "color": "silver",
            "design": "horizon",
            "firmware_version": "1.4.2",
            "hardware_type": "gen4",
            "set_up_at": iso(newer_setup),
            "size": 10,
        },
    ]


def personal_info(g: _Gen) -> Doc:
    return {
        "id": "2-" + "".join(g.rng.choice("0123456789abcdef") for _ in range(24)),
        "age": 38,
        "weight": 72.5,
        "height": 1.79,
        "biological_sex": "male",
        "email": "ringo.tester@example.com",
    }


# --- the history --------------------------------------------------------------------------


def make_history(
    days: int,
    *,
    end: dt.date,
    heartrate_interval_s: int = 300,
    seed: int = 0,
    battery_interval_s: int = 3600,
    plausible_ring_setup: bool = False,
) -> dict[str, Any]:
    """Documents for all 19 categories covering `days` days ending at `end` (inclusive)."""
    g = _Gen(seed)
    first = end - dt.timedelta(days=days - 1)
    newer_from = int(days * (1 - NEW_FIELDS_FRACTION))
    data: dict[str, Any] = {name: [] for name in CATEGORY_NAMES if name != "personal_info"}
    for index in range(days):
        _add_day(g, data, first + dt.timedelta(days=index), index, newer=index >= newer_from)
    _add_rest_modes(g, data["rest_mode_period"], first, days)
    data["heartrate"] = heartrate(g, first, days, heartrate_interval_s, newer_from)
    data["ring_battery_level"] = battery(g, first, days, battery_interval_s, newer_from)
    data["ring_configuration"] = ring_configuration(
        g, end - dt.timedelta(days=days), plausible=plausible_ring_setup
    )
    data["personal_info"] = personal_info(g)
    return data


def _add_day(g: _Gen, data: dict[str, Any], day: dt.date, index: int, *, newer: bool) -> None:
    data["daily_activity"].append(daily_activity(g, day))
    slept = index < 2 or not g.chance(0.03)  # a few nights are missing entirely
    if slept:
        data["sleep"].extend(sleeps_for_day(g, day, newer=newer))
        data["daily_sleep"].append(daily_sleep(g, day))
        data["daily_readiness"].append(daily_readiness(g, day))
        data["sleep_time"].append(sleep_time(g, day))
        if g.chance(0.95):
            data["daily_spo2"].append(daily_spo2(g, day))
    data["daily_stress"].append(daily_stress(g, day))
    data["daily_resilience"].append(daily_resilience(g, day))
    data["daily_cardiovascular_age"].append(cardiovascular_age(g, day, newer=newer))
    if index % 2 == 1 or index in (5, 7):
        data["workout"].extend(workouts_for_day(g, day, index))
    if index % 4 == 2:
        data["session"].append(session(g, day))
    if index % 5 == 3 or index == 1:
        data["enhanced_tag"].append(enhanced_tag(g, day, tricky=index == 1))
    if index % 7 == 0 and not newer:
        data["tag"].append(tag(g, day))
    if index % 7 == 4:
        data["vO2_max"].append(vo2_max(g, day))


def _add_rest_modes(g: _Gen, out: list[Doc], first: dt.date, days: int) -> None:
    starts = list(range(10, days - 5, 90))
    for number, offset in enumerate(starts):
        ongoing = number == len(starts) - 1 and days - offset < 60
        out.append(rest_mode_period(g, first + dt.timedelta(days=offset), 3, ongoing=ongoing))


CATEGORY_NAMES: tuple[str, ...] = (
    "daily_activity",
    "daily_cardiovascular_age",
    "daily_readiness",
    "daily_resilience",
    "daily_sleep",
    "daily_spo2",
    "daily_stress",
    "enhanced_tag",
    "heartrate",
    "personal_info",
    "rest_mode_period",
    "ring_battery_level",
    "ring_configuration",
    "session",
    "sleep",
    "sleep_time",
    "tag",
    "vO2_max",
    "workout",
)

REVISABLE_FIELDS = (
    "score",
    "bpm",
    "level",
    "vascular_age",
    "vo2_max",
    "steps",
    "calories",
    "average_heart_rate",
    "size",
    "age",
)


def revise(doc: Doc) -> Doc:
    """A changed deep copy of `doc` with the same key (a re-scored or edited document)."""
    revised = copy.deepcopy(doc)
    for name in REVISABLE_FIELDS:
        value = revised.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            revised[name] = value - 1 if name == "score" and value >= 100 else value + 1
            return revised
    for name, value in revised.items():
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if numeric and name not in ("period", "timestamp_unix"):
            revised[name] = value + 1
            return revised
    for name in ("comment", "text", "recommendation", "activity", "level", "day_summary"):
        if name in revised:
            revised[name] = f"{revised[name] or ''} (edited)"
            return revised
    revised["revised"] = True
    return revised
