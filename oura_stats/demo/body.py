"""The synthetic wearer behind the demo's documents: one `Day` per day, with the
relationships real data shows, so analyses find something.

- HRV and readiness go together (readiness follows HRV and sleep); sleep duration and
  the sleep score; steps and the activity score.
- Weekends: about 2,500 more steps, and the nights ending on Saturday and Sunday are
  about 40 minutes longer.
- A slow seasonal drift: HRV about 6 ms higher and about 1,500 more steps at midsummer
  than at midwinter.
- Alcohol (an `enhanced_tag` of type `tag_generic_alcohol` in the evening, on about one
  day in seven, more on Fridays and Saturdays) lowers the next night's HRV by about 12 ms,
  its readiness by about 10 points and its sleep score by about 5.

Everything is drawn from the history's seeded generator: the same seed, the same wearer.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from oura_stats.demo.gen import Gen

ALCOHOL = "tag_generic_alcohol"


@dataclass(frozen=True)
class Day:
    """What the wearer did on `day` and how the night ending on `day` went."""

    day: dt.date
    alcohol: bool  # an alcohol tag in this day's evening (it shows in the next night)
    sleep_minutes: int  # the main night's total sleep
    hrv: float  # the main night's average HRV (ms)
    sleep_score: int
    readiness: int
    steps: int
    activity_score: int


def season(day: dt.date) -> float:
    """+1 at midsummer (late June), -1 at midwinter."""
    return math.cos(2 * math.pi * (day.timetuple().tm_yday - 172) / 365.25)


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def plan(g: Gen, first: dt.date, days: int) -> list[Day]:
    """The wearer's days from `first` on."""
    out: list[Day] = []
    drank = False  # the evening before the first night
    for index in range(days):
        day = first + dt.timedelta(days=index)
        out.append(_day(g, day, after_alcohol=drank))
        drank = out[-1].alcohol
    return out


def _day(g: Gen, day: dt.date, *, after_alcohol: bool) -> Day:
    gauss, summer = g.rng.gauss, season(day)
    weekend_night = day.weekday() >= 5  # the nights ending on Saturday and Sunday
    minutes = 420 + 40 * weekend_night - 10 * summer - 15 * after_alcohol + gauss(0, 35)
    minutes = _clamp(minutes, 300, 560)
    hrv = 48 + 6 * summer + gauss(0, 6) - 12 * after_alcohol
    hrv = max(15.0, hrv)
    sleep_score = _clamp(74 + 0.12 * (minutes - 420) + gauss(0, 4) - 5 * after_alcohol, 30, 100)
    readiness = 76 + 0.8 * (hrv - 48) + 0.04 * (minutes - 420) + gauss(0, 4) - 4 * after_alcohol
    weekend = day.weekday() >= 5
    steps = _clamp(8000 + 2500 * weekend + 1500 * summer + gauss(0, 2200), 800, 30000)
    activity = _clamp(72 + 0.0022 * (steps - 8000) + gauss(0, 4), 20, 100)
    alcohol = g.chance(0.3 if day.weekday() in (4, 5) else 0.08)
    return Day(
        day=day,
        alcohol=alcohol,
        sleep_minutes=minutes,
        hrv=round(hrv, 1),
        sleep_score=sleep_score,
        readiness=_clamp(readiness, 20, 100),
        steps=steps,
        activity_score=activity,
    )


def hypnogram(g: Gen, asleep_minutes: int, awake_minutes: int) -> str:
    """Sleep stages every 5 minutes (1 deep, 2 light, 3 REM, 4 awake): awake before falling
    asleep and at the end, cycles of about 90 minutes (light, deep, light, REM) between.
    The counts are exact, so the durations a document states are its phases' own."""
    slots = max(1, asleep_minutes // 5)
    deep, rem = round(slots * g.real(0.17, 0.23)), round(slots * g.real(0.2, 0.25))
    light = slots - deep - rem
    awake = max(1, awake_minutes // 5)
    cycles = max(1, slots // 18)
    body = []
    for cycle in range(cycles):
        body.append("2" * (_part(light, cycle, cycles) // 2))
        body.append("1" * _part(deep, cycle, cycles))
        body.append("2" * (_part(light, cycle, cycles) - _part(light, cycle, cycles) // 2))
        body.append("3" * _part(rem, cycle, cycles))
    start = awake // 2
    return "4" * start + "".join(body) + "4" * (awake - start)


def _part(total: int, index: int, parts: int) -> int:
    """The `index`-th of `parts` near-equal parts of `total` (they add up to `total`)."""
    return total * (index + 1) // parts - total * index // parts
