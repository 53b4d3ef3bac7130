"""Synthetic time series (heart rate, ring battery) and the undated documents (ring
configuration, personal info)."""

from __future__ import annotations

import datetime as dt

from oura_stats.demo.gen import UTC, Doc, Gen, iso

EPOCH_SENTINEL = "1970-01-01T00:00:00+00:00"


def _day_suffixes(interval_s: int) -> list[tuple[int, str]]:
    return [
        (s, f"T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00:00")
        for s in range(0, 86400, interval_s)
    ]


def heartrate(g: Gen, first: dt.date, days: int, interval_s: int, unix_from: int) -> list[Doc]:
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


def battery(g: Gen, first: dt.date, days: int, interval_s: int, flags_from: int) -> list[Doc]:
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


def ring_configuration(g: Gen, first: dt.date, *, plausible: bool) -> list[Doc]:
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


def personal_info(g: Gen) -> Doc:
    return {
        "id": "2-" + "".join(g.rng.choice("0123456789abcdef") for _ in range(24)),
        "age": 38,
        "weight": 72.5,
        "height": 1.79,
        "biological_sex": "male",
        "email": "ringo.tester@example.com",
    }
