"""The built-in scheduler: a round now, then one every interval, until told to stop.

Optionally serves `/health` and `/metrics` (see `health.py`) from a daemon thread, started
before the first round and shut down when the loop ends.
"""

from __future__ import annotations

import argparse
import logging
import random
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

from oura_stats.argtypes import non_negative_float, port, positive_float, positive_int
from oura_stats.errors import EXIT_FAILED, EXIT_OK, ConfigError, OuraStatsError
from oura_stats.health import Board, HealthServer
from oura_stats.run import Settings, run_round, without_reset
from oura_stats.status import add_freshness_options, policy_from_args
from oura_stats.tokens import TokenProvider

log = logging.getLogger(__name__)

DEFAULT_HEALTH_HOST = "127.0.0.1"


def add_service_options(parser: argparse.ArgumentParser) -> None:
    """Options of `oura-stats service` beyond those it shares with `fetch`."""
    parser.add_argument(
        "--interval-hours",
        type=positive_float,
        default=2.0,
        help="hours from the start of one round to the start of the next (2)",
    )
    parser.add_argument(
        "--jitter-minutes",
        type=non_negative_float,
        default=0.0,
        help="add a random 0..N minutes to each wait, shorter than the interval (0)",
    )
    parser.add_argument(
        "--max-runs", type=positive_int, default=None, help="stop after this many rounds"
    )
    parser.add_argument(
        "--health-port",
        type=port,
        default=None,
        metavar="PORT",
        help="serve GET /health and /metrics on this port (off; 0 picks a free port, logged)",
    )
    parser.add_argument(
        "--health-host",
        default=DEFAULT_HEALTH_HOST,
        metavar="ADDRESS",
        help=f"address the health endpoint binds to ({DEFAULT_HEALTH_HOST}; "
        "0.0.0.0 in a container)",
    )
    add_freshness_options(parser)


def serve(args: argparse.Namespace, settings: Settings, tokens: TokenProvider) -> int:
    """`oura-stats service`: rounds until a signal (or --max-runs) ends the loop."""
    interval = args.interval_hours * 3600
    jitter = args.jitter_minutes * 60
    if jitter >= interval:
        raise ConfigError(
            f"--jitter-minutes {args.jitter_minutes:g} must be shorter than the interval "
            f"(--interval-hours {args.interval_hours:g} = {interval / 60:g} minutes)"
        )
    policy = policy_from_args(args)  # checks --stale-categories even without --health-port
    board = None
    server = None
    if args.health_port is not None:
        board = Board(settings.categories, settings.output_dir, settings.state_path, policy)
        board.load()
        server = HealthServer(board, args.health_host, args.health_port).start()
    stop = threading.Event()
    install_stop_handlers(stop)
    log.info(
        "collecting now, then every %g h%s; SIGTERM or Ctrl-C stop",
        args.interval_hours,
        f" plus up to {args.jitter_minutes:g} min" if jitter else "",
    )
    try:
        return run_forever(
            Rounds(settings, tokens, stop, board),
            interval_seconds=interval,
            stop=stop,
            max_runs=args.max_runs,
            jitter_seconds=jitter,
        )
    finally:
        if server is not None:
            server.close()


class Rounds:
    """One collection round per call; tells the health board when a round starts and ends."""

    def __init__(
        self, settings: Settings, tokens: TokenProvider, stop: threading.Event, board: Board | None
    ) -> None:
        self._settings = settings
        self._tokens = tokens
        self._stop = stop
        self._board = board

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
        return code


def install_stop_handlers(stop: threading.Event) -> None:
    """SIGTERM and SIGINT ask the loop (and any round in flight) to stop cleanly."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        if not stop.is_set():
            log.info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


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
    except OuraStatsError as error:
        log.error("round failed: %s", error)
        return EXIT_FAILED
