"""Pure rules that turn rows into one value per day; the report's numbers come from here.

- 7-day average: for each day, the mean of the values present on that day and the six days
  before it; a gap (None) when none of the seven days has a value. Missing days are never
  counted as zeros.
- Sleep belongs to the `day` the API gives it (the day the night ends, in the sleeper's own
  time zone), never to the calendar date of its start: a night from 23:10 to 07:00 is one
  night, whatever the UTC offsets.
- The main sleep of a day is its `long_sleep` period (the longest, if there are several);
  every other period except `deleted` is a nap, shown apart. A day with sleep data but no
  nap counts as zero naps; a day without any sleep data is missing (a gap), never a zero.
- Naps per week: the sum over the week's days with sleep data, scaled to seven days when
  some are missing; a week without any is a gap.
- Long ranges: each week's mean, lowest and highest of the days present.
- Heart rate: every sample counts toward its local day's minimum, mean and maximum (local to
  the zone given, the computer's own by default).
- Odd numbers (±inf, NaN, magnitudes of 1e12 and beyond, values outside a chart's fixed
  scale such as a score above 100) are left out of the chart and counted, never drawn.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

Series = dict[dt.date, float]

MAIN_SLEEP = "long_sleep"
# No measurement the report draws comes near this; beyond it lies overflow, not data.
LIMIT = 1e12
NOT_SLEEP = "deleted"


def day_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every day from `first` to `last`, both included."""
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def rolling_mean(
    values: Mapping[dt.date, float], days: Sequence[dt.date], window: int = 7
) -> list[float | None]:
    """For each of `days` (consecutive), the mean of the values present on it and the
    `window - 1` days before it within `days`; None when none is present."""
    column = [values.get(day) for day in days]
    out: list[float | None] = []
    for index in range(len(column)):
        present = [v for v in column[max(0, index - window + 1) : index + 1] if v is not None]
        out.append(sum(present) / len(present) if present else None)
    return out


def number(text: str | None) -> float | None:
    """A CSV cell as a number; None for an empty or non-numeric cell."""
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def usable(value: float) -> bool:
    """A finite number of a plausible magnitude."""
    return math.isfinite(value) and abs(value) < LIMIT


def without_odd(
    values: Mapping[dt.date, float], scale: tuple[float, float] | None = None
) -> tuple[Series, list[dt.date]]:
    """The values that are usable (and within `scale`, when given), and the days left out."""
    kept: Series = {}
    odd: list[dt.date] = []
    for day, value in values.items():
        inside = scale is None or scale[0] <= value <= scale[1]
        if usable(value) and inside:
            kept[day] = value
        else:
            odd.append(day)
    return kept, sorted(odd)


@dataclass
class SleepPeriod:
    """The fields of one sleep period the report uses (durations in seconds)."""

    day: dt.date
    kind: str
    time_in_bed: float
    values: dict[str, float]


def main_sleeps(periods: Sequence[SleepPeriod]) -> dict[dt.date, SleepPeriod]:
    """Per day, its main sleep: the `long_sleep` period with the longest time in bed."""
    main: dict[dt.date, SleepPeriod] = {}
    for period in periods:
        if period.kind != MAIN_SLEEP:
            continue
        best = main.get(period.day)
        if best is None or period.time_in_bed > best.time_in_bed:
            main[period.day] = period
    return main


def nap_minutes(periods: Sequence[SleepPeriod], field: str = "total_sleep_duration") -> Series:
    """Per day with sleep data, the minutes slept in periods that are not the main sleep
    (naps, rests): zero on a day with only a main sleep."""
    return naps(periods, field)[1]


def naps(
    periods: Sequence[SleepPeriod], field: str = "total_sleep_duration"
) -> tuple[Series, Series]:
    """Per day with sleep data: (how many naps, minutes napping); both zero without naps."""
    counts: Series = {}
    minutes: Series = {}
    for period in periods:
        if period.kind == NOT_SLEEP:
            continue
        nap = period.kind != MAIN_SLEEP
        counts[period.day] = counts.get(period.day, 0.0) + nap
        added = period.values.get(field, 0.0) / 60 if nap else 0.0
        minutes[period.day] = minutes.get(period.day, 0.0) + added
    return counts, minutes


@dataclass(frozen=True)
class Week:
    """Seven consecutive days of a period (fewer at its end), by index into its days."""

    start: int
    end: int  # exclusive
    mean: float | None
    low: float | None
    high: float | None
    total: float | None  # the sum, scaled to seven days when some are missing


def weeks(column: Sequence[float | None], size: int = 7) -> list[Week]:
    """`column` (one value or None per day) in runs of `size` days from its first."""
    out = []
    for start in range(0, len(column), size):
        end = min(start + size, len(column))
        present = [v for v in column[start:end] if v is not None]
        if not present:
            out.append(Week(start, end, None, None, None, None))
            continue
        total = sum(present) * size / len(present)
        out.append(Week(start, end, sum(present) / len(present), min(present), max(present), total))
    return out


class HeartRateDays:
    """Aggregates heart-rate samples per local day as they stream by: per day only the
    minimum, maximum, sum and count are kept. Timestamps are ISO 8601 with an offset; each
    UTC hour's local day is worked out once and reused, unless that hour straddles local
    midnight (half-hour zones), where each sample is converted."""

    def __init__(self, zone: dt.tzinfo) -> None:
        self.zone = zone
        self.days: dict[dt.date, list[float]] = {}  # [low, high, total, count]
        self._hours: dict[str, dt.date | None] = {}

    def add(self, timestamp: str, bpm: float) -> None:
        self.add_samples([(timestamp, bpm)])

    def add_samples(self, samples: Iterable[tuple[str, float]]) -> int:
        """Add (timestamp, bpm) pairs; see `add_rows`."""
        return self.add_rows(((t, repr(b)) for t, b in samples), 0, 1)

    def add_rows(self, rows: Iterable[Sequence[str]], at: int, beats: int) -> int:
        """Add the samples of CSV rows: the timestamp in column `at`, the bpm in `beats`.
        Rows that do not parse are skipped; so are odd numbers (inf, NaN, beyond `LIMIT`),
        whose count is returned. The loop is the report's hot path (~500k rows per 5 years),
        hence one flat loop with the lookups bound to locals."""
        hours, days, local_day = self._hours, self.days, self.local_day
        width, low, high, odd = max(at, beats), -LIMIT, LIMIT, 0
        for row in rows:
            if len(row) <= width or len(timestamp := row[at]) < 19:
                continue
            try:
                bpm = float(row[beats])
            except ValueError:
                continue
            if not low < bpm < high:  # `usable`, inlined: False for NaN and inf too
                odd += 1
                continue
            day = hours.get(timestamp[:13] + timestamp[19:]) or local_day(timestamp)
            if day is None:
                continue
            stats = days.get(day)
            if stats is None:
                days[day] = [bpm, bpm, bpm, 1.0]
                continue
            if bpm < stats[0]:
                stats[0] = bpm
            elif bpm > stats[1]:
                stats[1] = bpm
            stats[2] += bpm
            stats[3] += 1
        return odd

    def local_day(self, timestamp: str) -> dt.date | None:
        """The local date of `timestamp` (None when it is no ISO 8601 instant); remembers
        its hour's date when unambiguous."""
        try:
            moment = dt.datetime.fromisoformat(timestamp)
        except ValueError:
            return None
        hour_key = timestamp[:13] + timestamp[19:]  # date, hour and the offset
        if hour_key not in self._hours:
            start = moment.replace(minute=0, second=0, microsecond=0)
            first = start.astimezone(self.zone).date()
            last = (start + dt.timedelta(seconds=3599)).astimezone(self.zone).date()
            self._hours[hour_key] = first if first == last else None
        return moment.astimezone(self.zone).date()

    def series(self) -> tuple[Series, Series, Series]:
        """(minimum, mean, maximum) per day."""
        lows = {day: s[0] for day, s in self.days.items()}
        means = {day: s[2] / s[3] for day, s in self.days.items()}
        highs = {day: s[1] for day, s in self.days.items()}
        return lows, means, highs
