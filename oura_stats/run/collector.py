"""Runs the categories: plans windows, fetches pages concurrently, stores rows, moves
cursors.

The only module that knows the client, the flattener, the store and the state together.
All of a run's requests go through one pool of workers; on a first run its first task is
the history floor step (floor.py), and the categories that wait for the floor are planned
and queued once it is known.
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

from oura_stats.api.categories import Category, Kind
from oura_stats.api.client import Document, OuraClient, RequestStats
from oura_stats.api.windows import Options, default_floor, latest_day
from oura_stats.errors import DatabaseError, OuraStatsError, StopRequested
from oura_stats.monitor.observer import NO_OBSERVER, RunObserver
from oura_stats.outcome import Outcome, run_record, shared_failure
from oura_stats.run.arenas import share_one_arena
from oura_stats.run.defaults import DEFAULT_CONCURRENCY
from oura_stats.run.floor import RUN_WIDE, FloorFinder, held_for_floor, waiting_for_floor
from oura_stats.run.jobs import Job, plan_job
from oura_stats.store.flatten import flatten
from oura_stats.store.rowhome import RowHome
from oura_stats.store.state import CategoryState, State

log = logging.getLogger(__name__)

STOPPED = "stopped before finishing; nothing of it was saved this run"
STOPPED_KEPT = "stopped before finishing"


def failure_text(error: OuraStatsError) -> str:
    """What a run-wide failure tells every category."""
    return STOPPED if isinstance(error, StopRequested) else str(error)


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

    def run(self) -> list[Outcome]:
        started = self._clock()
        saved = self._selected()
        try:
            self._collect(saved)
        except RUN_WIDE as error:  # nothing can be fetched: every category fails alike, said once
            self._run_failure = failure_text(error)
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

    # execution --------------------------------------------------------------------------

    def _collect(self, saved: dict[Category, CategoryState]) -> None:
        """Every selected category in one pool. Those that wait for the history floor are
        planned once the floor step (the pool's first task) has found it; the others run
        meanwhile, from the default floor (one request however far back it starts)."""
        options, sandbox = self._config.options, self._config.sandbox
        waiting = waiting_for_floor(saved, options, sandbox=sandbox)
        default = default_floor(options, sandbox=sandbox)
        jobs = [self._job(c, s, default) for c, s in saved.items() if c not in waiting]
        held = [job for job in jobs if waiting and held_for_floor(job)]
        share_one_arena()  # before the workers start: see arenas.py
        workers = max(1, self._config.concurrency)
        with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="fetch") as pool:
            step = pool.submit(self._history_floor, held) if waiting else None
            futures = self._submit(pool, [job for job in jobs if job not in held])
            if step is not None:
                floor = step.result()
                later = [job for job in held if job.category.name not in self._outcomes]
                later += [self._job(c, saved[c], floor) for c in saved if c in waiting]
                futures += self._submit(pool, later)
            for future in futures:
                future.result()

    def _history_floor(self, held: list[Job]) -> dt.date:
        """The floor step, in a worker; a run-wide failure ends the run for every task."""
        finder = FloorFinder(self._client, self._path, self._config.options, self._floor_stats)
        try:
            return finder.find(held, self._collect_whole)
        except RUN_WIDE as error:  # before any queued task sends a request
            self._run_failure = self._run_failure or failure_text(error)
            raise

    def _collect_whole(self, job: Job) -> None:
        self._start([job])
        for index in range(len(job.chunks)):
            self._run_chunk(job, index)

    def _start(self, jobs: list[Job]) -> None:
        for job in jobs:
            job.remaining = len(job.chunks)
            self._config.observer.planned(job.category.name, job.window, len(job.chunks))

    def _submit(
        self, pool: concurrent.futures.Executor, jobs: list[Job]
    ) -> list[concurrent.futures.Future[None]]:
        """Queue the jobs' requests, the longest first: the short chunks fill in at the end
        instead of one long chain running alone after them. A job's own requests stay in
        order (a stop keeps the leading ones)."""
        self._start(jobs)  # the progress display lists them in the order of the categories
        longest_first = sorted(jobs, key=lambda job: -job.longest_request())
        tasks = [(job, index) for job in longest_first for index in range(len(job.chunks))]
        return [pool.submit(self._run_chunk, job, index) for job, index in tasks]

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
        except RUN_WIDE as error:  # a stop was caught above
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
