"""The built-in scheduler: a round now, then one every interval, until told to stop.

Optionally serves `/health`, `/metrics` and the report (see `monitor/health.py`) from a
daemon thread, started before the first round and shut down when the loop ends; the report
is built on start and again after each round.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from oura_stats.api.tokens import TokenProvider
from oura_stats.errors import (
    EXIT_FAILED,
    EXIT_OK,
    ConfigError,
    OuraStatsError,
    WrongSourceError,
)
from oura_stats.monitor.freshness import Policy
from oura_stats.monitor.health import Board, HealthServer
from oura_stats.monitor.pages import LivePage
from oura_stats.monitor.records import open_records
from oura_stats.report.assets import CONTENT_SECURITY_POLICY
from oura_stats.report.build import make_page
from oura_stats.run.defaults import DEFAULT_HEALTH_HOST
from oura_stats.run.rounds import Settings, run_round, without_reset
from oura_stats.run.stopping import install_stop_handlers, interrupted_code
from oura_stats.store.state import State

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schedule:
    """How the service runs: its interval, jitter, round limit and health endpoint."""

    interval_hours: float = 2.0
    jitter_minutes: float = 0.0
    max_runs: int | None = None
    health_port: int | None = None
    health_host: str = DEFAULT_HEALTH_HOST
    policy: Policy = field(default_factory=Policy)


def serve(schedule: Schedule, settings: Settings, tokens: TokenProvider) -> int:
    """`oura-stats service`: rounds until a signal (or `max_runs`) ends the loop."""
    interval = schedule.interval_hours * 3600
    jitter = schedule.jitter_minutes * 60
    if jitter >= interval:
        raise ConfigError(
            f"--jitter-minutes {schedule.jitter_minutes:g} must be shorter than the interval "
            f"(--interval-hours {schedule.interval_hours:g} = {interval / 60:g} minutes)"
        )
    if not settings.reset_state and not settings.no_csv:
        State.load(settings.state_path)  # a damaged state stops the service before it starts
    board = None
    server = None
    page = None
    if schedule.health_port is not None:
        records = open_records(
            settings.output_dir, settings.state_path, settings.db, no_csv=settings.no_csv
        )
        board = Board(
            settings.categories,
            settings.output_dir,
            settings.state_path,
            schedule.policy,
            records=records,
        )
        board.load()
        page = None if settings.no_csv else LivePage()  # the page is drawn from the CSVs
        server = HealthServer(board, schedule.health_host, schedule.health_port, page=page)
        server.start()
        if page is not None:
            rebuild_page(page, settings)
    stop = threading.Event()
    received = install_stop_handlers(stop)
    log.info(
        "collecting now, then every %g h%s; SIGTERM or Ctrl-C stop",
        schedule.interval_hours,
        f" plus up to {schedule.jitter_minutes:g} min" if jitter else "",
    )
    try:
        code = run_forever(
            Rounds(settings, tokens, stop, board, page),
            interval_seconds=interval,
            stop=stop,
            max_runs=schedule.max_runs,
            jitter_seconds=jitter,
        )
        return interrupted_code(code, received)
    finally:
        if server is not None:
            server.close()
        if board is not None:
            board.close()


class Rounds:
    """One collection round per call; tells the health board when a round starts and ends,
    and rebuilds the served page after it."""

    def __init__(
        self,
        settings: Settings,
        tokens: TokenProvider,
        stop: threading.Event,
        board: Board | None,
        page: LivePage | None = None,
    ) -> None:
        self._settings = settings
        self._tokens = tokens
        self._stop = stop
        self._board = board
        self._page = page

    def __call__(self) -> int:
        settings = self._settings
        self._settings = without_reset(settings)  # --reset-state applies to the first round
        if self._board is None:
            return run_round(settings, self._tokens, self._stop)
        self._board.round_started()
        code = EXIT_FAILED
        try:
            code = run_round(settings, self._tokens, self._stop)
        finally:
            self._board.round_finished(code)
            if self._page is not None and not self._stop.is_set():
                rebuild_page(self._page, settings)
        return code


def rebuild_page(page: LivePage, settings: Settings) -> None:
    """Build the report from the CSVs as they are now and serve it; on failure the last
    good page stays served (before the first one, `/` says why there is none)."""
    try:
        html, _ = make_page(settings.output_dir, settings.state_path)
    except (OuraStatsError, OSError) as error:
        page.fail(str(error))
        if page.current() is None:
            log.info("report: nothing to serve yet: %s", error)
        else:
            log.warning("report: could not rebuild it, serving the last one: %s", error)
        return
    page.publish(html, CONTENT_SECURITY_POLICY)


def run_forever(
    round_: Callable[[], int],
    *,
    interval_seconds: float,
    stop: threading.Event,
    max_runs: int | None = None,
    jitter_seconds: float = 0.0,
    clock: Callable[[], float] = time.monotonic,
    wait: Callable[[float], bool] | None = None,
    rng: random.Random | None = None,
) -> int:
    """Run `round_` now and then every `interval_seconds` from the start of the previous one,
    plus a random 0..`jitter_seconds`.

    A failed round is logged and the loop goes on. A round that overruns the interval is
    followed at once by the next, never by a pile-up of missed ones. `wait(seconds)` returns
    True when the loop should stop (default: `stop.wait`). Returns 0 when stopped by a signal,
    else (after `max_runs`) the last round's exit code.
    """
    wait = wait or stop.wait
    rng = rng or random.Random()  # noqa: S311 - scheduling jitter, not cryptography
    runs = 0
    while not stop.is_set():
        started = clock()
        last = _guarded(round_)
        runs += 1
        if stop.is_set():
            break  # a signal ends the service cleanly, even during its last round
        if max_runs is not None and runs >= max_runs:
            return last
        delay = interval_seconds + rng.uniform(0, jitter_seconds) - (clock() - started)
        if delay <= 0:
            log.info("the round overran the interval; starting the next one now")
            continue
        log.debug("next round in %.0f s", delay)
        if wait(delay):
            break
    log.info("service stopped")
    return EXIT_OK


def _guarded(round_: Callable[[], int]) -> int:
    try:
        return round_()
    except WrongSourceError:
        raise  # the service stops: no later round can write another source's folder
    except OuraStatsError as error:
        log.error("round failed: %s", error)
        return EXIT_FAILED
    except OSError as error:  # a file the round needed: the next round may find it fixed
        log.error("round failed: %s", error)
        return EXIT_FAILED
