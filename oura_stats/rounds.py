"""One collection round: take the lock, load the state, collect, report. Shared by
`fetch` (once) and `service` (every interval)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from oura_stats.api.categories import CATEGORIES, Category
from oura_stats.api.client import OuraClient
from oura_stats.api.tokens import TokenProvider
from oura_stats.api.windows import Options
from oura_stats.collector import Collector, RunConfig, prepare_output_dir
from oura_stats.db.mirror import Mirror, db_resources
from oura_stats.db.target import Target
from oura_stats.errors import EXIT_FAILED, EXIT_OK, ConfigError, DatabaseError
from oura_stats.outcome import Outcome, summary_lines
from oura_stats.report.build import refresh_report
from oura_stats.store.lock import RunLock
from oura_stats.store.state import State

log = logging.getLogger(__name__)


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
    report_path: Path | None = None  # rewrite this HTML report after each round


def run_round(
    settings: Settings,
    tokens: TokenProvider,
    stop: threading.Event,
    *,
    today: Callable[[], dt.date] = lambda: dt.datetime.now(dt.UTC).date(),
) -> int:
    """Collect once; return 0 when every category succeeded, else 1 (errors are logged)."""
    began = time.monotonic()
    try:
        settings.state_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            f"cannot create the directory of --state-file {settings.state_path}: {error.strerror}"
        ) from error
    prepare_output_dir(settings.output_dir)  # the lock file of the output directory lives there
    with RunLock.for_run(settings.output_dir, settings.state_path, db_resources(settings.db)):
        if settings.reset_state:
            with contextlib.suppress(FileNotFoundError):
                settings.state_path.unlink()
        state = State.load(settings.state_path)
        mirror, db_ok = open_mirror(settings)
        options = Options(
            today=today(),
            lookback_days=settings.lookback_days,
            start=settings.start,
            end=settings.end,
        )
        config = RunConfig(
            output_dir=settings.output_dir,
            categories=settings.categories,
            options=options,
            sandbox=settings.sandbox,
            concurrency=settings.concurrency,
            after_commit=mirror.committed if mirror is not None else None,
        )
        client = OuraClient(
            settings.base_url, tokens, stop=stop, pool_size=settings.concurrency + 2
        )
        try:
            collector = Collector(client, state, config, stop=stop)
            outcomes = collector.run()
            if mirror is not None:
                db_ok = finish_mirror(mirror, state, outcomes)
        finally:
            client.close()
            if mirror is not None:
                mirror.close()
    report(outcomes, time.monotonic() - began, collector.extra_requests)
    ok = db_ok and all(o.ok for o in outcomes)
    if settings.report_path is not None:  # after the CSVs, outside the lock
        ok = refresh_report(settings.output_dir, settings.report_path, settings.state_path) and ok
    return EXIT_OK if ok else EXIT_FAILED


def open_mirror(settings: Settings) -> tuple[Mirror | None, bool]:
    """The database mirror (with --db), and False when it cannot be opened (said once)."""
    if settings.db is None:
        return None, True
    try:
        return Mirror.open(settings.db, settings.output_dir), True
    except DatabaseError as error:
        log.error("%s; the CSVs are still written", error)
        return None, False


def finish_mirror(mirror: Mirror, state: State, outcomes: list[Outcome]) -> bool:
    """Bring every table level with its CSV (after a crash, say) and record the run."""
    failed = {o.category for o in outcomes if o.db_error}
    try:
        mirror.level([c for c in CATEGORIES if c.name not in failed])
        runs = state.snapshot()["runs"]
        if runs:
            mirror.record_run(runs[-1])
    except DatabaseError as error:
        log.error("%s", error)
        return False
    return True


def report(outcomes: list[Outcome], seconds: float, extra_requests: int) -> None:
    for line in summary_lines(outcomes, seconds, extra_requests):
        log.info("%s", line)


def without_reset(settings: Settings) -> Settings:
    """A reset applies to the first round only."""
    return replace(settings, reset_state=False)
