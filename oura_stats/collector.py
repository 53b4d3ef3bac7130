"""Runs the categories: plans windows, fetches pages concurrently, stores rows, moves cursors.

The only module that knows the client, the flattener, the store and the state together.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from oura_stats.api.categories import BY_NAME, Category, Kind
from oura_stats.api.client import Document, OuraClient, RequestStats
from oura_stats.api.windows import (
    EARLIEST_DAY,
    Options,
    Window,
    day_of,
    history_floor,
    in_window,
    plan_window,
    request_params,
)
from oura_stats.errors import (
    AuthError,
    ConfigError,
    OuraStatsError,
    StopRequested,
    UnreachableError,
)
from oura_stats.outcome import Outcome, run_record, shared_failure
from oura_stats.store.atomic import remove_stale_temp_files
from oura_stats.store.csvstore import CategoryStore
from oura_stats.store.flatten import flatten
from oura_stats.store.state import CategoryState, State

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 4
RING = BY_NAME["ring_configuration"]
READINESS = BY_NAME["daily_readiness"]
CALIBRATION_MARGIN = dt.timedelta(days=31)
STOPPED = "stopped before finishing; nothing of it was saved this run"
SANDBOX_HISTORY_DAYS = 30

# Called after a category's CSV is committed, with the time key of the run's oldest row.
AfterCommit = Callable[[Category, str | None], None]


@dataclass
class RunConfig:
    output_dir: Path
    categories: list[Category]
    options: Options
    sandbox: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    after_commit: AfterCommit | None = None  # the database mirror, with --db


@dataclass
class _Job:
    """One category in flight: its window, its rows so far, and how many requests remain."""

    category: Category
    window: Window | None
    saved: CategoryState
    store: CategoryStore
    chunks: list[dict[str, str]]
    stats: RequestStats = field(default_factory=RequestStats)
    prefetched: list[Document] | None = None  # ring_configuration, read while planning
    started: float = field(default_factory=time.monotonic)
    error: str | None = None
    remaining: int = 0
    done: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Collector:
    """Collects the selected categories once into the output directory."""

    def __init__(
        self,
        client: OuraClient,
        state: State,
        config: RunConfig,
        *,
        stop: threading.Event | None = None,
        clock: Callable[[], dt.datetime] = now_utc,
    ) -> None:
        self._client = client
        self._state = state
        self._config = config
        self._stop = stop or threading.Event()
        self._clock = clock
        self._run_failure: str | None = None
        self._outcomes: dict[str, Outcome] = {}
        self._extra_requests = RequestStats()

    def run(self) -> list[Outcome]:
        started = self._clock()
        prepare_output_dir(self._config.output_dir)
        try:
            jobs = self._plan()
        except (AuthError, StopRequested, UnreachableError) as error:
            jobs = []  # nothing can be fetched: every category fails alike, said once
            self._run_failure = STOPPED if isinstance(error, StopRequested) else str(error)
            for category in self._config.categories:
                if category.name not in self._outcomes:
                    self._outcomes[category.name] = Outcome(category.name, error=self._run_failure)
                    self._report_failure(category.name, self._run_failure)
        self._execute(jobs)
        outcomes = [self._outcomes[c.name] for c in self._config.categories]
        if self._run_failure not in (None, STOPPED):  # said once, with how many it failed
            log.error("%s", shared_failure(outcomes, str(self._run_failure)))
        self._state.record_run(run_record(started, self._clock(), outcomes))
        self._state.save()
        return outcomes

    @property
    def extra_requests(self) -> int:
        """Requests made only to plan the first run (ring set-up dates, first score day)."""
        return self._extra_requests.requests

    # planning ---------------------------------------------------------------------------

    def _plan(self) -> list[_Job]:
        jobs: list[_Job] = []
        deferred: list[tuple[Category, CategoryState]] = []
        # The sandbox makes up data for any window asked: a month of it is sample enough.
        first_day = EARLIEST_DAY
        if self._config.sandbox:
            first_day = self._config.options.today - dt.timedelta(days=SANDBOX_HISTORY_DAYS)
        for category in self._config.categories:
            remove_stale_temp_files(self._config.output_dir, f"{category.name}.csv")
            if self._config.sandbox and not category.has_sandbox:
                self._outcomes[category.name] = Outcome(category.name, skipped="no sandbox data")
                continue
            saved = self._saved(category)
            if self._needs_floor(category, saved) and not self._config.sandbox:
                deferred.append((category, saved))
            else:
                jobs.append(self._job(category, saved, first_day))
        if deferred:
            floor = self._history_floor(jobs)
            jobs = [job for job in jobs if not job.done]
            jobs.extend(self._job(category, saved, floor) for category, saved in deferred)
        return jobs

    def _job(self, category: Category, saved: CategoryState, floor: dt.date) -> _Job:
        window = None
        if category.kind in (Kind.DAILY, Kind.SERIES):
            window = plan_window(saved, self._config.options, floor)
        store = CategoryStore(category, self._config.output_dir)
        return _Job(category, window, saved, store, _chunks(category, window))

    def _saved(self, category: Category) -> CategoryState:
        saved = self._state.category(category.name)
        csv_path = self._config.output_dir / f"{category.name}.csv"
        if saved.cursor is not None and not csv_path.exists():
            log.warning(
                "%s: %s is missing; fetching its whole history again", category.name, csv_path
            )
            self._state.forget(category.name)
            return CategoryState()
        return saved

    def _needs_floor(self, category: Category, saved: CategoryState) -> bool:
        """Only a first run of a category split into many requests gains from a later floor."""
        return (
            category.kind in (Kind.DAILY, Kind.SERIES)
            and saved.complete_until is None
            and self._config.options.start is None
            and category.max_days is not None
        )

    def _history_floor(self, jobs: list[_Job]) -> dt.date:
        """The first day worth asking for: from the rings' set-up dates, else a month before
        the first readiness score (scores begin after the ring's calibration)."""
        ring_docs = self._ring_documents()
        for job in jobs:
            if job.category is RING and ring_docs is not None:
                job.prefetched = ring_docs  # collected from this very response
        floor = history_floor([d.get("set_up_at") for d in ring_docs or []])
        if floor != EARLIEST_DAY:
            return floor
        first = self._first_scored_day(jobs)
        return EARLIEST_DAY if first is None else max(EARLIEST_DAY, first - CALIBRATION_MARGIN)

    def _first_scored_day(self, jobs: list[_Job]) -> dt.date | None:
        readiness = next(
            (j for j in jobs if j.category is READINESS and j.saved.complete_until is None), None
        )
        if readiness is not None:  # collect it now, whole, and read its first day
            self._run_now(readiness)
            oldest = readiness.store.oldest_time if readiness.error is None else None
            return day_of(oldest)
        path = READINESS.sandbox_path if self._config.sandbox else READINESS.path
        end = self._config.options.today + dt.timedelta(days=1)
        params = {"start_date": EARLIEST_DAY.isoformat(), "end_date": end.isoformat()}
        pages = self._client.iter_pages(path, params, self._extra_requests)
        try:
            days = [str(doc.get("day")) for doc in next(pages, [])]
        except OuraStatsError as error:
            if isinstance(error, AuthError | StopRequested | UnreachableError):
                raise
            log.info("first readiness day unavailable (%s)", error)
            return None
        finally:
            pages.close()
        return day_of(min((d for d in days if d), default=None))

    def _run_now(self, job: _Job) -> None:
        job.remaining = len(job.chunks)
        for chunk in job.chunks:
            self._run_chunk(job, chunk)
        job.done = True

    def _ring_documents(self) -> list[Document] | None:
        try:
            path = RING.sandbox_path if self._config.sandbox else RING.path
            return [
                d for page in self._client.iter_pages(path, {}, self._extra_requests) for d in page
            ]
        except OuraStatsError as error:
            if isinstance(error, AuthError | StopRequested | UnreachableError):
                raise
            log.info("ring set-up dates unavailable (%s); starting from %s", error, EARLIEST_DAY)
            return None

    # execution --------------------------------------------------------------------------

    def _execute(self, jobs: list[_Job]) -> None:
        tasks = [(job, chunk) for job in jobs for chunk in job.chunks]
        for job in jobs:
            job.remaining = len(job.chunks)
        workers = max(1, min(self._config.concurrency, len(tasks)))
        with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="fetch") as pool:
            futures = [pool.submit(self._run_chunk, job, chunk) for job, chunk in tasks]
            for future in futures:
                future.result()

    def _run_chunk(self, job: _Job, params: dict[str, str]) -> None:
        try:
            if self._run_failure is not None:
                self._fail(job, self._run_failure)  # the run is over for every category
            elif job.error is None:
                self._fetch_into(job, params)
        except StopRequested:
            self._fail(job, STOPPED)
        except (AuthError, UnreachableError) as error:
            if self._run_failure is None:
                self._run_failure = str(error)
            self._fail(job, str(error))
        except OuraStatsError as error:
            self._fail(job, str(error))
        except Exception as error:  # one category's bug must not sink the others
            log.debug("%s: unexpected error", job.category.name, exc_info=True)
            self._fail(job, f"unexpected error: {type(error).__name__}: {error}")
        with job.lock:
            job.remaining -= 1
            last = job.remaining == 0
        if last:
            self._finish(job)

    def _fetch_into(self, job: _Job, params: dict[str, str]) -> None:
        if self._stop.is_set():
            raise StopRequested("stopped")
        category = job.category
        path = category.sandbox_path if self._config.sandbox else category.path
        if category.kind is Kind.SINGLE:
            job.store.add([flatten(self._client.get_object(path, job.stats))])
            return
        if job.prefetched is not None:
            job.store.add(flatten(doc) for doc in job.prefetched)
            return
        for page in self._client.iter_pages(path, params, job.stats):
            documents = self._kept(job, page)
            if not job.store.add_page(documents):
                job.store.add(flatten(doc) for doc in documents)
            if job.error is not None:  # another chunk of this category failed: stop early
                return

    @staticmethod
    def _kept(job: _Job, page: list[Document]) -> list[Document]:
        window, field_name = job.window, job.category.time_field
        if window is None or not window.trim or job.category.kind is not Kind.DAILY:
            return page
        assert field_name is not None
        return [doc for doc in page if in_window(str(doc.get(field_name) or ""), window)]

    def _fail(self, job: _Job, message: str) -> None:
        with job.lock:
            if job.error is None:
                job.error = message

    def _finish(self, job: _Job) -> None:
        name = job.category.name
        outcome = Outcome(name)
        self._outcomes[name] = outcome
        if job.error is None:
            try:
                result = job.store.commit()
                outcome.new, outcome.updated = result.new, result.updated
                self._state.record_success(name, self._advanced(job))
            except Exception as error:  # a broken file fails its category, not the run
                log.debug("%s: commit failed", name, exc_info=True)
                job.error = f"could not merge into {job.store.path}: {error}"
        if job.error is not None:
            job.store.discard()
            outcome.error = job.error
            self._report_failure(name, job.error)
        outcome.requests = job.stats.requests
        outcome.seconds = time.monotonic() - job.started
        with contextlib.suppress(OSError):
            self._state.save()  # the CSV is on disk: now the state may say so
        if job.error is None and self._config.after_commit is not None:
            self._after_commit(job, outcome)

    def _after_commit(self, job: _Job, outcome: Outcome) -> None:
        """Mirror the committed CSV; a failure fails the mirror, never the CSV."""
        assert self._config.after_commit is not None
        try:
            self._config.after_commit(job.category, job.store.oldest_time)
        except Exception as error:  # reported as one line, whatever the database said
            log.debug("%s: mirror failed", job.category.name, exc_info=True)
            outcome.db_error = str(error)
            log.error("%s: %s", job.category.name, error)

    def _report_failure(self, name: str, error: str) -> None:
        """Log a category's failure; one shared by all (401, unreachable) is logged by `run`."""
        if error == STOPPED:
            log.info("%s: %s", name, error)
            return  # a requested stop is not a failure of the category
        self._state.record_failure(name, error, self._clock().isoformat(timespec="seconds"))
        if error == self._run_failure:
            return
        log.error("%s: %s", name, error)

    def _advanced(self, job: _Job) -> CategoryState:
        saved, window, newest = job.saved, job.window, job.store.newest_time
        success = self._clock().isoformat(timespec="seconds")
        if window is None or not window.advances_state:
            return CategoryState(saved.cursor, saved.complete_until, success)
        cursor = max(filter(None, (saved.cursor, newest)), default=None)
        complete = max(filter(None, (saved.complete_until, window.end.isoformat())))
        return CategoryState(cursor, complete, success)


def _chunks(category: Category, window: Window | None) -> list[dict[str, str]]:
    return request_params(category, window) if window is not None else [{}]


def prepare_output_dir(directory: Path) -> None:
    """Create the output directory, or say clearly why it cannot be used."""
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"output directory {directory} is a file; choose another --output-dir")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=directory)
        os.close(fd)
        Path(probe).unlink()
    except OSError as error:
        raise ConfigError(
            f"cannot write to output directory {directory} ({error.strerror}); "
            "choose another --output-dir or fix its permissions"
        ) from error
