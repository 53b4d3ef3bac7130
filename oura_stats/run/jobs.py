"""One category's part of a run: its window and requests, the rows it gathered, and what
the state may say once they are stored.

Everything here is decided from the job's own facts (no clock, no network): the collector
runs the requests and hands over the time of success.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from dataclasses import dataclass, field

from oura_stats.api.categories import Category, Kind
from oura_stats.api.client import Document, RequestStats
from oura_stats.api.windows import (
    ONE_DAY,
    Options,
    Window,
    in_window,
    plan_window,
    request_days,
    request_params,
)
from oura_stats.store.rowhome import RowHome, RowStore
from oura_stats.store.state import CategoryState


@dataclass
class Job:
    """One category in flight: its window, its rows so far, and how many requests remain."""

    category: Category
    window: Window | None
    saved: CategoryState
    store: RowStore
    chunks: list[dict[str, str]]
    stats: RequestStats = field(default_factory=RequestStats)
    prefetched: list[Document] | None = None  # ring_configuration, read for the history floor
    started: float | None = None  # when its first request began: its own time, not the queue's
    error: str | None = None
    remaining: int = 0
    completed: set[int] = field(default_factory=set)  # indices of the chunks fetched whole
    lock: threading.Lock = field(default_factory=threading.Lock)

    def kept(self, page: list[Document]) -> list[Document]:
        """The page's documents inside the window the user chose (all, without a choice)."""
        window, field_name = self.window, self.category.time_field
        if window is None or not window.trim or self.category.kind is not Kind.DAILY:
            return page
        assert field_name is not None
        return [doc for doc in page if in_window(str(doc.get(field_name) or ""), window)]

    def longest_request(self) -> int:
        """The days its longest request spans: what the plan knows of how long that
        request's chain of pages runs (years of a daily collection before 30-day chunks)."""
        return max(request_days(params) for params in self.chunks)

    def advanced(self, success: str, latest: dt.date) -> CategoryState:
        """The category's state once this job's rows are on disk; `latest` is the last day
        data can exist for (tomorrow): no history is complete beyond it."""
        saved, window, newest = self.saved, self.window, self.store.newest_time
        if window is None or not window.advances_state:
            return CategoryState(saved.cursor, saved.complete_until, success)
        cursor = max(filter(None, (saved.cursor, newest)), default=None)
        complete = max(filter(None, (saved.complete_until, window.end.isoformat())))
        return CategoryState(cursor, min(complete, latest.isoformat()), success)

    def covered_until(self) -> dt.date | None:
        """The last day the leading completed requests cover without a gap (None: none)."""
        count = next(i for i in itertools.count() if i not in self.completed)
        if count == 0 or self.window is None:
            return None
        params = self.chunks[count - 1]
        end = params.get("end_date") or params.get("end_datetime") or ""
        # A bare end_date may be exclusive, and end_datetime is the next day's midnight.
        return min(dt.date.fromisoformat(end[:10]) - ONE_DAY, self.window.end)

    def keeps_part(self) -> bool:
        """Whether a job that failed or stopped partway has leading requests worth keeping:
        they complete the history without a gap up to a later day."""
        window, covered = self.window, self.covered_until()
        if window is None or covered is None or not window.advances_state:
            return False
        return covered >= window.start

    def partly_advanced(self, latest: dt.date) -> CategoryState:
        """The state once the rows of a job that failed or stopped partway are on disk: the
        history is complete up to what its leading completed requests cover."""
        covered, saved = self.covered_until(), self.saved
        assert covered is not None
        cursor = max(filter(None, (saved.cursor, self.store.newest_time)), default=None)
        complete = max(filter(None, (saved.complete_until, covered.isoformat())))
        return CategoryState(cursor, min(complete, latest.isoformat()), saved.last_success)


def plan_job(
    category: Category, saved: CategoryState, options: Options, floor: dt.date, rows: RowHome
) -> Job:
    """The job of one category: the window from its state (pure), its requests, its store."""
    window = None
    if category.kind in (Kind.DAILY, Kind.SERIES):
        window = plan_window(saved, options, floor)
    chunks = request_params(category, window) if window is not None else [{}]
    return Job(category, window, saved, rows.store(category), chunks)
