"""The built-in scheduler: a round now, then one every interval, until told to stop."""

from __future__ import annotations

import argparse
import logging
import random
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

from oura_stats.errors import EXIT_FAILED, EXIT_OK, OuraStatsError
from oura_stats.run import Settings, run_round, without_reset
from oura_stats.tokens import TokenProvider

log = logging.getLogger(__name__)


def add_service_options(parser: argparse.ArgumentParser) -> None:
    """Options of `oura-stats service` beyond those it shares with `fetch`."""
    parser.add_argument(
        "--interval-hours", type=_positive_float, default=2.0, help="hours between rounds (2)"
    )
    parser.add_argument(
        "--max-runs", type=_positive_int, default=None, help="stop after this many rounds"
    )


def serve(args: argparse.Namespace, settings: Settings, tokens: TokenProvider) -> int:
    """`oura-stats service`: rounds until a signal (or --max-runs) ends the loop."""
    stop = threading.Event()
    install_stop_handlers(stop)
    first = [True]

    def round_() -> int:
        current = settings if first[0] else without_reset(settings)
        first[0] = False
        return run_round(current, tokens, stop)

    return run_forever(
        round_, interval_seconds=args.interval_hours * 3600, stop=stop, max_runs=args.max_runs
    )


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


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
) -> int:
    """Run `round_` now and then every `interval_seconds` from the start of the previous one.

    A failed round is logged and the loop goes on. A round that overruns the interval is
    followed at once by the next, never by a pile-up. Returns 0 when stopped by a signal,
    else (after `max_runs`) the last round's exit code.
    """
    runs = 0
    last = EXIT_OK
    while not stop.is_set():
        started = clock()
        last = _guarded(round_)
        runs += 1
        if max_runs is not None and runs >= max_runs:
            return last
        jitter = random.uniform(0, jitter_seconds) if jitter_seconds > 0 else 0.0  # noqa: S311
        delay = interval_seconds + jitter - (clock() - started)
        if delay > 0:
            log.debug("next round in %.0f s", delay)
            if stop.wait(delay):
                break
    log.info("service stopped")
    return EXIT_OK


def _guarded(round_: Callable[[], int]) -> int:
    try:
        return round_()
    except OuraStatsError as error:
        log.error("round failed: %s", error)
        return EXIT_FAILED
