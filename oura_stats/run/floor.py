"""The history floor: the first day worth asking for on a category's first run, and which
categories wait for it.

Only categories split into many requests gain from a later first day (`needs_floor`); the
others cost one request whatever their start, so they start from the default floor and run
while this step finds it: from the rings' set-up dates, else a month before the first
readiness score (scores begin after calibration).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from oura_stats.api.categories import BY_NAME, Category
from oura_stats.api.client import Document, OuraClient, RequestStats
from oura_stats.api.windows import (
    EARLIEST_DAY,
    Options,
    day_of,
    floor_before_first_score,
    history_floor,
    needs_floor,
)
from oura_stats.errors import (
    AuthError,
    DatabaseError,
    OuraStatsError,
    StopRequested,
    UnreachableError,
)
from oura_stats.run.jobs import Job
from oura_stats.store.state import CategoryState

log = logging.getLogger(__name__)

RING = BY_NAME["ring_configuration"]
READINESS = BY_NAME["daily_readiness"]
RUN_WIDE = (AuthError, StopRequested, UnreachableError, DatabaseError)  # fails every category


def waiting_for_floor(
    saved: dict[Category, CategoryState], options: Options, *, sandbox: bool
) -> set[Category]:
    """The categories planned only once the floor is known (none in the sandbox, whose
    floor is a fixed month)."""
    if sandbox:
        return set()
    return {category for category, state in saved.items() if needs_floor(category, state, options)}


def held_for_floor(job: Job) -> bool:
    """Whether the floor step may serve the job: ring_configuration (its one request gives
    the set-up dates) and a first run of daily_readiness (collected whole, then read)."""
    return job.category == RING or (job.category == READINESS and job.saved.complete_until is None)


class FloorFinder:
    """Finds the floor with as few requests as it can, counting them where they belong:
    on a held job when its category is collected, else on `stats` (the summary's line)."""

    def __init__(
        self,
        client: OuraClient,
        path: Callable[[Category], str],
        options: Options,
        stats: RequestStats,
    ) -> None:
        self._client = client
        self._path = path
        self._options = options
        self._stats = stats

    def find(self, held: list[Job], collect: Callable[[Job], None]) -> dt.date:
        """The floor; `collect` runs a held readiness job whole (it fails on its own)."""
        jobs = {job.category: job for job in held}
        rings = self._ring_documents(jobs.get(RING))
        floor = history_floor([d.get("set_up_at") for d in rings or []])
        if floor != EARLIEST_DAY:
            log.info("history floor %s: the rings' set-up dates", floor)
            return floor
        first = self._first_scored_day(jobs.get(READINESS), collect)
        floor = floor_before_first_score(first)
        found = f"first readiness score {first}" if first else "no readiness score"
        log.info("history floor %s: %s", floor, found)
        return floor

    def _ring_documents(self, job: Job | None) -> list[Document] | None:
        """Every ring; when ring_configuration is collected, they are its collection."""
        stats = job.stats if job is not None else self._stats
        try:
            path = self._path(RING)
            rings = [d for page in self._client.iter_pages(path, {}, stats) for d in page]
        except OuraStatsError as error:
            if isinstance(error, RUN_WIDE):
                raise
            log.info("ring set-up dates unavailable (%s)", error)
            return None  # a collected ring_configuration then fails in its own right
        if job is not None:
            job.prefetched = rings
        return rings

    def _first_scored_day(self, job: Job | None, collect: Callable[[Job], None]) -> dt.date | None:
        if job is not None:
            log.info("history floor: daily_readiness first, its first score bounds the rest")
            collect(job)  # whole (one request and its pages), then read
            return day_of(job.store.oldest_time) if job.error is None else None
        end = self._options.today + dt.timedelta(days=1)
        params = {"start_date": EARLIEST_DAY.isoformat(), "end_date": end.isoformat()}
        pages = self._client.iter_pages(self._path(READINESS), params, self._stats)
        try:
            days = [str(doc.get("day")) for doc in next(pages, [])]
        except OuraStatsError as error:
            if isinstance(error, RUN_WIDE):
                raise
            log.info("first readiness day unavailable (%s)", error)
            return None
        finally:
            pages.close()
        return day_of(min((d for d in days if d), default=None))
