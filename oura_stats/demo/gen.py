"""Building blocks of the synthetic history: local times with EU daylight saving, and a
seeded generator of ids, numbers and pre-built sample pools."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

UTC = dt.UTC
Doc = dict[str, Any]


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


class Gen:
    """A seeded source of ids, numbers and pre-built pools (slicing pools keeps this fast)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
        rng = self.rng
        self.met_pool: list[float | None] = [
            None if rng.random() < 0.03 else round(rng.uniform(0.9, 6.5), 1) for _ in range(4000)
        ]
        # Deviations from a night's own level (`around`), some samples missing.
        self.hr_pool: list[float | None] = [
            None if rng.random() < 0.08 else round(rng.gauss(0, 4)) for _ in range(600)
        ]
        self.hrv_pool: list[float | None] = [
            None if rng.random() < 0.08 else round(rng.gauss(0, 12)) for _ in range(600)
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

    def around(self, pool: list[float | None], centre: float, n: int) -> list[float | None]:
        """`n` samples scattered around `centre` by the pool's deviations, some null."""
        return [None if v is None else float(max(1, centre + v)) for v in self.floats(pool, n)]

    def text(self, pool: str, n: int) -> str:
        start = self.num(0, len(pool) - n)
        return pool[start : start + n]

    def scores(self, names: tuple[str, ...], p_null: float = 0.0) -> dict[str, int | None]:
        return {name: self.maybe(self.num(40, 100), p_null) for name in names}


def sample(interval: float, items: list[float | None], start: dt.datetime) -> Doc:
    return {"interval": interval, "items": items, "timestamp": iso(start, millis=True)}
