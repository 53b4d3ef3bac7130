"""One category's part of a run: its window and requests, the rows it gathered, and what
the state may say once they are stored.

Everything here is decided from the job's own facts (no clock, no network): the collector
runs the requests and hands over the time of success.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from oura_stats.api.categories import Category, Kind
from oura_stats.api.client import Document, RequestStats
from oura_stats.api.windows import Options, Window, in_window, plan_window, request_params
from oura_stats.store.csvstore import CategoryStore
from oura_stats.store.state import CategoryState


@dataclass
class Job:
    """One category in flight: its window, its rows so far, and how many requests remain."""

    category: Category
    window: Window | None
    saved: CategoryState
    store: CategoryStore
    chunks: list[dict[str, str]]
    stats: RequestStats = field(default_factory=RequestStats)
    prefetched: list[Document] | None = None  # ring_configuration, read for the history floor
    started: float = field(default_factory=time.monotonic)
    error: str | None = None
    remaining: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def kept(self, page: list[Document]) -> list[Document]:
        """The page's documents inside the window the user chose (all, without a choice)."""
        window, field_name = self.window, self.category.time_field
        if window is None or not window.trim or self.category.kind is not Kind.DAILY:
            return page
        assert field_name is not None
        return [doc for doc in page if in_window(str(doc.get(field_name) or ""), window)]

    def advanced(self, success: str) -> CategoryState:
        """The category's state once this job's rows are on disk."""
        saved, window, newest = self.saved, self.window, self.store.newest_time
        if window is None or not window.advances_state:
            return CategoryState(saved.cursor, saved.complete_until, success)
        cursor = max(filter(None, (saved.cursor, newest)), default=None)
        complete = max(filter(None, (saved.complete_until, window.end.isoformat())))
        return CategoryState(cursor, complete, success)


def plan_job(
    category: Category, saved: CategoryState, options: Options, floor: dt.date, output_dir: Path
) -> Job:
    """The job of one category: the window from its state (pure), its requests, its store."""
    window = None
    if category.kind in (Kind.DAILY, Kind.SERIES):
        window = plan_window(saved, options, floor)
    chunks = request_params(category, window) if window is not None else [{}]
    return Job(category, window, saved, CategoryStore(category, output_dir), chunks)
