"""Runs the categories: finds where the history starts, plans windows, fetches pages
concurrently, stores rows, moves cursors.

The only module that knows the client, the flattener, the store and the state together.
A run has two steps: the history floor (only when a category runs for the first time:
ring set-up dates, else the first readiness score), then every remaining category at once.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from oura_stats.api.categories import BY_NAME, Category, Kind
from oura_stats.api.client import Document, OuraClient, RequestStats
from oura_stats.api.windows import (
    EARLIEST_DAY,
    Options,
    day_of,
    default_floor,
    floor_before_first_score,
    history_floor,
    latest_day,
    needs_floor,
)
from oura_stats.errors import (
    AuthError,
    DatabaseError,
    OuraStatsError,
    StopRequested,
    UnreachableError,
)
from oura_stats.monitor.observer import NO_OBSERVER, RunObserver
from oura_stats.outcome import Outcome, run_record, shared_failure
from oura_stats.run.arenas import share_one_arena
from oura_stats.run.jobs import Job, plan_job
from oura_stats.store.flatten import flatten
from oura_stats.store.rowhome import RowHome
from oura_stats.store.state import CategoryState, State

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 4
RING = BY_NAME["ring_configuration"]
READINESS = BY_NAME["daily_readiness"]
STOPPED = "stopped before finishing; nothing of it was saved this run"
STOPPED_KEPT = "stopped before finishing"
_FATAL = (AuthError, StopRequested, UnreachableError, DatabaseError)  # fails every category

# Called after a category's CSV is committed, with the time key of the run's oldest row.
AfterCommit = Callable[[Category, str | None], None]


@dataclass
class RunConfig:
    rows: RowHome  # CSV files, or database tables
    categories: list[Category]
    options: Options
    sandbox: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    after_commit: AfterCommit | None = None  # the database mirror, with --db
    before_commit: Callable[[], None] = lambda: None  # records the source: run/identity.py
    observer: RunObserver = NO_OBSERVER  # the terminal progress display, on a TTY
    personal_info: Document | None = None  # already fetched (to identify the account)


class Collector:
    """Collects the selected categories once into the output directory."""

    def __init__(
        self,
        client: OuraClient,
        state: State,
        config: RunConfig,
        *,
        stop: threading.Event | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._client = client
        self._state = state
        self._config = config
        self._stop = stop or threading.Event()
        self._clock = clock
        self._run_failure: str | None = None
        self._outcomes: dict[str, Outcome] = {}
        self._floor_stats = RequestStats()  # the floor step's requests for no selected category
        self._early: dict[str, Job] = {}  # jobs begun by the floor step

    def run(self) -> list[Outcome]:
        started = self._clock()
        saved = self._selected()
        try:
            floor = self._history_floor(saved)
            jobs = [self._early.get(c.name) or self._job(c, s, floor) for c, s in saved.items()]
            self._execute([job for job in jobs if job.category.name not in self._outcomes])
        except _FATAL as error:  # nothing can be fetched: every category fails alike, said once
            self._run_failure = STOPPED if isinstance(error, StopRequested) else str(error)
            for category in self._config.categories:
                if category.name not in self._outcomes:
                    self._outcomes[category.name] = Outcome(
                        category.name,
                        error=self._run_failure,
                        stopped=self._run_failure == STOPPED,
                    )
                    self._report_failure(category.name, self._run_failure)
        outcomes = [self._outcomes[c.name] for c in self._config.categories]
        if self._run_failure not in (None, STOPPED):  # said once, with how many it failed
            log.error("%s", shared_failure(outcomes, str(self._run_failure)))
        self._state.record_run(run_record(started, self._clock(), outcomes))
        return outcomes  # the caller saves the state

    @property
    def extra_requests(self) -> int:
        """Requests the history floor step made for no selected category."""
        return self._floor_stats.requests

    def _selected(self) -> dict[Category, CategoryState]:
        """The categories this run collects, with their saved state."""
        selected: dict[Category, CategoryState] = {}
        for category in self._config.categories:
            if self._config.sandbox and not category.has_sandbox:
                self._outcomes[category.name] = Outcome(category.name, skipped="no sandbox data")
            else:
                selected[category] = self._saved(category)
        return selected

    def _saved(self, category: Category) -> CategoryState:
        saved = self._state.category(category.name)
        lost = self._config.rows.lost(category) if saved.cursor is not None else None
        if lost is not None:
            log.warning("%s: %s; fetching its whole history again", category.name, lost)
            self._state.forget(category.name)
            return CategoryState()
        return saved

    def _job(self, category: Category, saved: CategoryState, floor: dt.date) -> Job:
        return plan_job(category, saved, self._config.options, floor, self._config.rows)

    def _path(self, category: Category) -> str:
        return category.sandbox_path if self._config.sandbox else category.path

    # step one: the history floor ---------------------------------------------------------
    def _history_floor(self, saved: dict[Category, CategoryState]) -> dt.date:
        """The first day worth asking for on a first run: from the rings' set-up dates, else
        a month before the first readiness score (scores begin after calibration)."""
        options, sandbox = self._config.options, self._config.sandbox
        default = default_floor(options, sandbox=sandbox)
        if sandbox or not any(needs_floor(c, s, options) for c, s in saved.items()):
            return default
        rings = self._ring_documents(saved)
        floor = history_floor([d.get("set_up_at") for d in rings or []])
        if floor != EARLIEST_DAY:
            log.info("history floor %s: the rings' set-up dates", floor)
            return floor
        first = self._first_scored_day(saved)
        floor = floor_before_first_score(first)
        log.info("history floor %s: %s", floor, f"first readiness score {first}" if first else "")
        return floor

    def _ring_documents(self, saved: dict[Category, CategoryState]) -> list[Document] | None:
        """Every ring; when ring_configuration is selected, they are its collection."""
        job = None
        if RING in saved:
            job = self._early[RING.name] = self._job(RING, saved[RING], EARLIEST_DAY)
        stats = job.stats if job is not None else self._floor_stats
        try:
            rings = [
                d for page in self._client.iter_pages(self._path(RING), {}, stats) for d in page
            ]
        except OuraStatsError as error:
            if isinstance(error, _FATAL):
                raise
            log.info("ring set-up dates unavailable (%s)", error)
            return None  # a selected ring_configuration then fails in its own right
        if job is not None:
            job.prefetched = rings
        return rings

    def _first_scored_day(self, saved: dict[Category, CategoryState]) -> dt.date | None:
        readiness = saved.get(READINESS)
        if readiness is not None and readiness.complete_until is None:
            log.info("history floor: daily_readiness first, its first score bounds the rest")
            job = self._job(READINESS, readiness, EARLIEST_DAY)
            self._execute([job])  # collected whole (one request and its pages), then read
            return day_of(job.store.oldest_time) if job.error is None else None
        end = self._config.options.today + dt.timedelta(days=1)
        params = {"start_date": EARLIEST_DAY.isoformat(), "end_date": end.isoformat()}
        pages = self._client.iter_pages(self._path(READINESS), params, self._floor_stats)
        try:
            days = [str(doc.get("day")) for doc in next(pages, [])]
        except OuraStatsError as error:
            if isinstance(error, _FATAL):
                raise
            log.info("first readiness day unavailable (%s)", error)
            return None
        finally:
            pages.close()
        return day_of(min((d for d in days if d), default=None))

    # execution --------------------------------------------------------------------------

    def _execute(self, jobs: list[Job]) -> None:
        tasks = [(job, index) for job in jobs for index in range(len(job.chunks))]
        for job in jobs:
            job.remaining = len(job.chunks)
            self._config.observer.planned(job.category.name, job.window, len(job.chunks))
        workers = max(1, min(self._config.concurrency, len(tasks)))
        share_one_arena()  # before the workers start: see arenas.py
        with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="fetch") as pool:
            futures = [pool.submit(self._run_chunk, job, index) for job, index in tasks]
            for future in futures:
                future.result()

    def _run_chunk(self, job: Job, index: int) -> None:
        with job.lock:
            job.started = job.started or time.monotonic()
        try:
            if self._run_failure is not None:
                self._fail(job, self._run_failure)  # the run is over for every category
            elif job.error is None and self._fetch_into(job, job.chunks[index]):
                with job.lock:
                    job.completed.add(index)
        except StopRequested:
            self._fail(job, STOPPED)
        except (AuthError, UnreachableError, DatabaseError) as error:
            if self._run_failure is None:
                self._run_failure = str(error)
            self._fail(job, str(error))
        except OuraStatsError as error:
            self._fail(job, str(error))
        except Exception as error:  # one category's bug must not sink the others
            log.debug("%s: unexpected error", job.category.name, exc_info=True)
            self._fail(job, f"unexpected error: {type(error).__name__}: {error}")
        self._config.observer.chunk_done(job.category.name, job.chunks[index])
        with job.lock:
            job.remaining -= 1
            last = job.remaining == 0
        if last:
            self._finish(job)

    def _fetch_into(self, job: Job, params: dict[str, str]) -> bool:
        """Fetch one chunk into the job's store; False when it stopped early."""
        if self._stop.is_set():
            raise StopRequested("stopped")
        category = job.category
        path = self._path(category)
        if category.kind is Kind.SINGLE:  # personal_info, perhaps fetched to name the account
            document = self._config.personal_info or self._client.get_object(path, job.stats)
            job.store.add([flatten(document)])
            return True
        if job.prefetched is not None:
            job.store.add(flatten(doc) for doc in job.prefetched)
            return True
        for page in self._client.iter_pages(path, params, job.stats):
            documents = job.kept(page)
            if not job.store.add_page(documents):
                job.store.add(flatten(doc) for doc in documents)
            self._config.observer.page(job.category.name, params, documents, job.stats.requests)
            del page, documents  # let go before the next page is fetched and decoded
            if job.error is not None:  # another chunk of this category failed: stop early
                return False
        return True

    def _fail(self, job: Job, message: str) -> None:
        with job.lock:
            if job.error is None:
                job.error = message

    def _finish(self, job: Job) -> None:
        name = job.category.name
        outcome = Outcome(name)
        self._outcomes[name] = outcome
        latest = latest_day(self._config.options)
        partly = None
        if job.error is None or job.keeps_part():
            try:
                self._config.before_commit()
                result = job.store.commit()
                outcome.new, outcome.updated = result.new, result.updated
                success = self._clock().isoformat(timespec="seconds")
                partly = job.partly_advanced(latest) if job.error is not None else None
                self._state.record_success(name, partly or job.advanced(success, latest))
                job.store.seal(self._state.entry(name))
            except Exception as error:  # a broken file fails its category, not the run
                log.debug("%s: commit failed", name, exc_info=True)
                if isinstance(error, DatabaseError):  # the database is gone for all
                    self._run_failure = job.error = self._run_failure or str(error)
                self._state.record_success(name, job.saved)  # it claims only what is stored
                job.error = job.error or f"could not merge into {job.store.where}: {error}"
                partly = None
        if job.store.keyless:
            outcome.keyless = job.store.keyless
            log.warning(
                "%s: skipped %d document(s) without their key (%s); e.g. %s",
                *(name, job.store.keyless, ", ".join(job.category.key), job.store.keyless_example),
            )
        if job.error is not None:
            job.store.discard()
            if partly is not None and job.error == STOPPED:
                job.error = STOPPED_KEPT
            outcome.error = job.error
            outcome.stopped = job.error in (STOPPED, STOPPED_KEPT)
            self._report_failure(name, job.error)
        if partly is not None:
            outcome.kept_until = partly.complete_until
            log.warning(
                "%s: kept up to %s; the next run goes on from there", name, outcome.kept_until
            )
        outcome.requests = job.stats.requests
        outcome.seconds = time.monotonic() - (job.started or time.monotonic())
        with contextlib.suppress(OuraStatsError):  # a full disk: the run's end says so
            self._state.save()  # the CSV is on disk: now the state may say so
        if job.error is None and self._config.after_commit is not None:
            self._after_commit(job, outcome)

    def _after_commit(self, job: Job, outcome: Outcome) -> None:
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
        if error in (STOPPED, STOPPED_KEPT):
            log.info("%s: %s", name, error)
            return  # a requested stop is not a failure of the category
        self._state.record_failure(name, error, self._clock().isoformat(timespec="seconds"))
        if error != self._run_failure:
            log.error("%s: %s", name, error)
