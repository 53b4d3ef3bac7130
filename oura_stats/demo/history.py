"""A realistic, deterministic Oura history for every collection (document shapes as the
API v2 returns them).

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
- some text needs CSV quoting (comma, quote, newline) and one is non-ASCII;
- the numbers come from one synthetic wearer (`body.py`): self-consistent documents (the
  durations are the phases', the averages their series') with planted relationships.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from oura_stats.demo import daily_docs as daily
from oura_stats.demo import event_docs as events
from oura_stats.demo import series_docs as series
from oura_stats.demo.body import ALCOHOL, Day, plan
from oura_stats.demo.event_docs import TRICKY_TEXT
from oura_stats.demo.gen import Doc, Gen
from oura_stats.demo.sleep_docs import sleeps_for_day

__all__ = ["CATEGORY_NAMES", "TRICKY_TEXT", "make_history", "revise"]

NEW_FIELDS_FRACTION = 0.6  # documents in the last 60 % of the history carry the newer fields


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
    g = Gen(seed)
    first = end - dt.timedelta(days=days - 1)
    newer_from = int(days * (1 - NEW_FIELDS_FRACTION))
    data: dict[str, Any] = {name: [] for name in CATEGORY_NAMES if name != "personal_info"}
    for index, wearer in enumerate(plan(g, first, days)):
        _add_day(g, data, wearer, index, newer=index >= newer_from)
    _add_rest_modes(g, data["rest_mode_period"], first, days)
    data["heartrate"] = series.heartrate(g, first, days, heartrate_interval_s, newer_from)
    data["ring_battery_level"] = series.battery(g, first, days, battery_interval_s, newer_from)
    data["ring_configuration"] = series.ring_configuration(
        g, end - dt.timedelta(days=days), plausible=plausible_ring_setup
    )
    data["personal_info"] = series.personal_info(g)
    return data


def _add_day(g: Gen, data: dict[str, Any], wearer: Day, index: int, *, newer: bool) -> None:
    day = wearer.day
    data["daily_activity"].append(daily.daily_activity(g, wearer))
    slept = index < 2 or not g.chance(0.03)  # a few nights are missing entirely
    if slept:
        data["sleep"].extend(sleeps_for_day(g, wearer, newer=newer))
        data["daily_sleep"].append(daily.daily_sleep(g, wearer))
        data["daily_readiness"].append(daily.daily_readiness(g, wearer))
        data["sleep_time"].append(daily.sleep_time(g, day))
        if g.chance(0.95):
            data["daily_spo2"].append(daily.daily_spo2(g, day))
    data["daily_stress"].append(daily.daily_stress(g, day))
    data["daily_resilience"].append(daily.daily_resilience(g, day))
    data["daily_cardiovascular_age"].append(daily.cardiovascular_age(g, day, newer=newer))
    if index % 2 == 1 or index in (5, 7):
        data["workout"].extend(events.workouts_for_day(g, day, index))
    if index % 4 == 2:
        data["session"].append(events.session(g, day))
    if index % 5 == 3 or index == 1:
        data["enhanced_tag"].append(events.enhanced_tag(g, day, tricky=index == 1))
    if wearer.alcohol:
        data["enhanced_tag"].append(events.enhanced_tag(g, day, tricky=False, code=ALCOHOL))
    if index % 7 == 0 and not newer:
        data["tag"].append(events.tag(g, day))
    if index % 7 == 4:
        data["vO2_max"].append(daily.vo2_max(g, day))


def _add_rest_modes(g: Gen, out: list[Doc], first: dt.date, days: int) -> None:
    starts = list(range(10, days - 5, 90))
    for number, offset in enumerate(starts):
        ongoing = number == len(starts) - 1 and days - offset < 60
        out.append(
            events.rest_mode_period(g, first + dt.timedelta(days=offset), 3, ongoing=ongoing)
        )


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
