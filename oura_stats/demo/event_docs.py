"""Synthetic occasional documents: workouts, sessions, tags and rest-mode periods."""

from __future__ import annotations

import datetime as dt

from oura_stats.demo.gen import UTC, Doc, Gen, iso, local, sample

TRICKY_TEXT = 'Sauna, then "cold plunge"\nfelt great \u2013 löyly ☺'


def workout(g: Gen, day: dt.date, start: dt.datetime, *, offset_zero: bool = False) -> Doc:
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


def workouts_for_day(g: Gen, day: dt.date, index: int) -> list[Doc]:
    """Usually one workout; every 9th day two, listed evening first (the API does not sort
    workouts by time within a day); day 5 has one at 00:20 local (UTC date = previous day),
    day 7 has one reported with +00:00."""
    docs = [workout(g, day, local(day, g.num(16, 19), g.num(0, 59)), offset_zero=index == 7)]
    if index % 9 == 0:
        docs.insert(0, workout(g, day, local(day, 20, g.num(0, 59))))
    if index == 5:
        docs.append(workout(g, day, local(day, 0, 20)))
    return docs


def session(g: Gen, day: dt.date) -> Doc:
    start = local(day, g.num(7, 21), g.num(0, 59))
    minutes = g.num(5, 20)
    motion: list[float | None] = [float(g.num(0, 6)) for _ in range(minutes * 12)]
    measured = g.chance(0.6)  # the ring sends heart rate and HRV for most sessions
    heart = sample(5.0, g.around(g.hr_pool, 62.0, minutes * 12), start) if measured else None
    hrv = sample(5.0, g.around(g.hrv_pool, 45.0, minutes * 12), start) if measured else None
    return {
        "id": g.uid(),
        "day": day.isoformat(),
        "start_datetime": iso(start),
        "end_datetime": iso(start + dt.timedelta(minutes=minutes)),
        "type": g.rng.choice(["breathing", "meditation", "relaxation", "rest"]),
        "heart_rate": heart,
        "heart_rate_variability": hrv,
        "mood": g.maybe(g.rng.choice(["bad", "worse", "same", "good", "great"]), 0.5),
        "motion_count": sample(5.0, motion, start),
    }


def enhanced_tag(g: Gen, day: dt.date, *, tricky: bool, code: str = "") -> Doc:
    """A tag of the day (caffeine or a custom one), or of the kind `code` in the evening."""
    custom = g.chance(0.2)
    hour = g.num(19, 22) if code else g.num(7, 22)
    name = "Sauna \u2013 löyly" if tricky else ("Late dinner" if custom else None)
    name = None if code else name
    return {
        "id": g.uid(),
        "tag_type_code": code or ("custom" if custom or tricky else "tag_generic_caffeine"),
        "start_time": iso(local(day, hour, g.num(0, 59))),
        "end_time": None,
        "start_day": day.isoformat(),
        "end_day": None,
        "comment": TRICKY_TEXT if tricky else "",
        "custom_name": name,
    }


def tag(g: Gen, day: dt.date) -> Doc:
    moment = local(day, g.num(18, 23), g.num(0, 59))
    return {
        "id": g.uid(),
        "day": day.isoformat(),
        "text": g.maybe("Alcohol, two glasses", 0.5),
        "timestamp": iso(moment),
        "tags": g.rng.sample(["alcohol", "late_meal", "sauna", "caffeine"], g.num(1, 2)),
    }


def rest_mode_period(g: Gen, first: dt.date, length: int, *, ongoing: bool) -> Doc:
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
