"""One collection round: take the lock, load the state, collect, report. Shared by
`fetch` (once) and `service` (every interval)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from oura_stats.api.categories import BY_NAME, CATEGORIES, Category
from oura_stats.api.client import Document, OuraClient, RequestStats, RetryPolicy
from oura_stats.api.defaults import READ_TIMEOUT
from oura_stats.api.ratelimit import Pacing
from oura_stats.api.tokens import TokenProvider
from oura_stats.api.windows import Options
from oura_stats.db.commits import CommitLog
from oura_stats.db.studyterms import SOLE_ACCOUNT
from oura_stats.db.target import Target
from oura_stats.errors import (
    EXIT_FAILED,
    EXIT_OK,
    ConfigError,
    DatabaseError,
    OuraStatsError,
    StorageError,
    WrongSourceError,
)
from oura_stats.monitor.observer import NO_OBSERVER, RunObserver
from oura_stats.outcome import Outcome, summary_lines
from oura_stats.run.collector import Collector, RunConfig
from oura_stats.run.homes import Homes, open_homes
from oura_stats.run.identity import (
    SourceClaim,
    check_directory,
    check_state_folder,
    check_target,
    claim_database,
    directory_source,
)
from oura_stats.store.atomic import remove_stale_temp_files
from oura_stats.store.csvfile import CsvFormatError
from oura_stats.store.seam import RUN
from oura_stats.store.source import MARKER, Source, mismatch_message, same_source
from oura_stats.store.state import State

log = logging.getLogger(__name__)

# Identifying the account is worth one quick request, not a round of backoff: on failure
# the collection itself retries and reports.
PERSONAL_INFO = BY_NAME["personal_info"]
IDENTIFY_RETRY = RetryPolicy(attempts=2, backoff_base=0.2, rate_limit_retries=1, longest_wait=5.0)


@dataclass(frozen=True)
class Settings:
    """Everything a round needs, validated by the CLI."""

    base_url: str
    output_dir: Path
    state_path: Path
    categories: list[Category]
    start: dt.date | None
    end: dt.date | None
    lookback_days: int
    sandbox: bool
    concurrency: int
    reset_state: bool = False
    db: Target | None = None
    no_csv: bool = False  # the database holds rows, cursors and the lock (--no-csv)
    account: str = SOLE_ACCOUNT  # whose rows, cursors and locks in a shared database
    report_path: Path | None = None  # rewrite this HTML report after each round
    backfill_days: int | None = None  # a first run goes back this far, not the whole history
    timeout: float = READ_TIMEOUT  # seconds to wait for an answer to one request
    retries: int = RetryPolicy.attempts - 1  # of a request that failed for a passing reason
    observer: RunObserver = NO_OBSERVER  # progress on a terminal
    demo: bool = False  # the demo's synthetic account (it has no real account's id)
    pacer: Pacing | None = None  # a study's participant: their token's and the app's budget
    schema_settled: bool = False  # a study's round made the database's tables ready once


def run_round(
    settings: Settings,
    tokens: TokenProvider,
    stop: threading.Event,
    *,
    today: Callable[[], dt.date] = lambda: dt.datetime.now(dt.UTC).date(),
) -> int:
    """Collect once; return 0 when every category succeeded, else 1 (errors are logged)."""
    homes = open_homes(settings)
    try:
        with homes.locks.hold(RUN):
            ok = _locked_round(settings, homes, tokens, stop, today())
    finally:
        homes.close()
    report_ok = True
    if settings.report_path is not None and not settings.no_csv:  # after the CSVs, unlocked
        from oura_stats.report.build import refresh_report  # noqa: PLC0415 - --report only

        report_ok = refresh_report(settings.output_dir, settings.report_path, settings.state_path)
    return EXIT_OK if ok and report_ok else EXIT_FAILED


def _locked_round(
    settings: Settings,
    homes: Homes,
    tokens: TokenProvider,
    stop: threading.Event,
    today: dt.date,
) -> bool:
    """The round inside the run lock: whether every category (and the mirror) succeeded."""
    began = time.monotonic()
    if not settings.no_csv:  # what a killed run left half-written (the lock is ours now)
        remove_stale_temp_files(settings.output_dir, MARKER)
        remove_stale_temp_files(settings.state_path.parent, settings.state_path.name)
    loaded = None if settings.reset_state else State.open(homes.cursors)
    state, account, claim = settle_source(settings, homes, loaded, tokens, stop)
    commits = CommitLog(settings.output_dir) if settings.db and not settings.no_csv else None
    options = Options(
        today=today,
        lookback_days=settings.lookback_days,
        start=settings.start,
        end=settings.end,
        backfill_days=settings.backfill_days,
    )
    config = RunConfig(
        rows=homes.rows,
        categories=settings.categories,
        options=options,
        sandbox=settings.sandbox,
        concurrency=settings.concurrency,
        after_commit=commits.add if commits is not None else None,
        before_commit=claim.bind,
        observer=settings.observer,
        personal_info=account.personal_info,
    )
    client = OuraClient(
        settings.base_url,
        tokens,
        stop=stop,
        pool_size=settings.concurrency + 2,
        retry=RetryPolicy(attempts=settings.retries + 1),
        timeout=settings.timeout,
        pacer=settings.pacer,
    )
    try:
        collector = Collector(client, state, config, stop=stop)
        settings.observer.run_started()
        try:
            outcomes = collector.run()
        finally:
            settings.observer.run_finished()
        state_saved = save_state(state)
    finally:
        client.close()
    db_ok = True
    if commits is not None:
        db_ok = mirror_round(settings, state, outcomes, commits, claim.database_source())
    report(outcomes, time.monotonic() - began, collector.extra_requests, account.unclaimed)
    return db_ok and state_saved and all(o.ok for o in outcomes)


@dataclass
class Account:
    """personal_info as fetched to name the account (None: not fetched; the collector
    reuses it), and the requests that took (an `account` line in the summary)."""

    personal_info: Document | None
    requests: RequestStats

    @property
    def unclaimed(self) -> int:
        return self.requests.requests


def settle_source(
    settings: Settings,
    homes: Homes,
    state: State | None,
    tokens: TokenProvider,
    stop: threading.Event,
) -> tuple[State, Account, SourceClaim]:
    """Refuse a directory, state or database holding another source's data; the claim
    records this run's source with its first commit (`run/identity.py`).

    `state` is None for --reset-state: the old file is removed here, once it is clear that
    the CSVs it leaves behind come from this run's source too (or there are none).
    """
    account = Account(None, RequestStats())
    if not settings.sandbox and not settings.demo:
        account.personal_info = identify(settings, tokens, stop, account.requests)
    name = str(account.personal_info.get("id") or "") if account.personal_info else None
    current = Source.of(settings.base_url, settings.sandbox, name, demo=settings.demo)
    recorded = state.source() if state is not None else _previous_source(homes)
    if recorded is not None and not same_source(recorded, current):
        if state is not None or homes.rows.has_rows():
            raise WrongSourceError(_mismatch(settings, recorded, current))
        recorded = None  # --reset-state into an empty output directory: a fresh start
    directory = None if settings.no_csv else settings.output_dir
    held = None if directory is None else directory_source(directory, state)
    if directory is not None:
        if state is not None:
            check_state_folder(state, directory, settings.state_path)
        check_directory(directory, current, held)
    sole = settings.account == SOLE_ACCOUNT  # a cohort's database holds many by design
    if directory is not None or sole:
        check_target(settings.db, current)
    if state is None:
        homes.cursors.clear()
        state = State.open(homes.cursors)
    database = settings.db if settings.no_csv and sole else None
    return state, account, SourceClaim(directory, state, current, held or recorded, database)


def identify(
    settings: Settings, tokens: TokenProvider, stop: threading.Event, stats: RequestStats
) -> Document | None:
    """personal_info, whose id names the account; None when it cannot be had (a token
    without the personal scope, or any failure, which the collection then reports)."""
    retry = replace(IDENTIFY_RETRY, attempts=min(IDENTIFY_RETRY.attempts, settings.retries + 1))
    client = OuraClient(
        settings.base_url,
        tokens,
        stop=stop,
        retry=retry,
        pool_size=1,
        timeout=settings.timeout,
        pacer=settings.pacer,
    )
    try:
        return client.get_object(PERSONAL_INFO.path, stats)
    except OuraStatsError as error:
        log.debug("personal_info unavailable to identify the account: %s", error)
        return None
    finally:
        client.close()


def _previous_source(homes: Homes) -> Source | None:
    """The source a state about to be reset recorded (None if unreadable)."""
    try:
        return State.open(homes.cursors).source()
    except OuraStatsError:
        return None


def _mismatch(settings: Settings, recorded: Source, current: Source) -> str:
    if not settings.no_csv:
        return mismatch_message(recorded, current, settings.output_dir, settings.state_path)
    assert settings.db is not None
    return (
        f"the database {settings.db.display} holds data from {recorded.describe()}, but this "
        f"run reads {current.describe()}; mixing them would pass one's rows for the other's. "
        "Use another database"
    )


def save_state(state: State) -> bool:
    """Save the state at the end of the round; False (said once) on a full disk and such."""
    try:
        state.save()
    except StorageError as error:
        log.error("%s", error)
        return False
    return True


def mirror_round(
    settings: Settings,
    state: State,
    outcomes: list[Outcome],
    commits: CommitLog,
    source: Source | None,
) -> bool:
    """Write the round's committed CSVs into the database, bring every other table level
    with its CSV (after a crash, say) and record the run. False when the database could
    not be opened or written, or holds another `source`'s data: each failure is one line,
    the CSVs are untouched."""
    assert settings.db is not None
    from oura_stats.db.mirror import Mirror  # noqa: PLC0415 - a --db run only

    try:
        mirror = Mirror.open(settings.db, settings.output_dir, commits.before)
    except DatabaseError as error:
        log.error("%s; the CSVs are still written", error)
        return False
    try:
        if source is not None:
            claim_database(mirror.db, source)
    except (DatabaseError, ConfigError) as error:
        mirror.close()
        log.error("%s; the CSVs are still written", error)
        return False
    by_name = {o.category: o for o in outcomes}
    try:
        for category, since in commits.committed():
            try:
                mirror.committed(category, since)
            except (DatabaseError, CsvFormatError) as error:
                log.error("%s: %s", category.name, error)
                by_name[category.name].db_error = str(error)
        failed = {o.category for o in outcomes if o.db_error}
        mirror.level([c for c in CATEGORIES if c.name not in failed])
        runs = state.snapshot()["runs"]
        if runs:
            mirror.record_runs(runs)
    except DatabaseError as error:
        log.error("%s", error)
        return False
    finally:
        mirror.close()
    return not any(o.db_error for o in outcomes)


def report(outcomes: list[Outcome], seconds: float, extra_requests: int, account: int) -> None:
    for line in summary_lines(outcomes, seconds, extra_requests, account_requests=account):
        log.info("%s", line)


def without_reset(settings: Settings) -> Settings:
    """A reset applies to the first round only."""
    return replace(settings, reset_state=False)
