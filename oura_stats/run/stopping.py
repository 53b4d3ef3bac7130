"""SIGTERM and Ctrl-C: ask a run to stop cleanly, and the exit code an interrupted command
ends with.

Kept apart from the service loop so that a one-off command can stop cleanly without
importing the loop, its health endpoint and its report.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

from oura_stats.errors import EXIT_INTERRUPTED

log = logging.getLogger(__name__)


def install_stop_handlers(stop: threading.Event) -> Callable[[], int | None]:
    """SIGTERM and SIGINT ask the loop (and any round in flight) to stop cleanly.

    Returns a function that tells which signal arrived first (None: none yet).
    """
    received: list[int] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        if not stop.is_set():
            log.info("received %s; stopping", signal.Signals(signum).name)
        received.append(signum)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return lambda: received[0] if received else None


def interrupted_code(code: int, received: Callable[[], int | None]) -> int:
    """130 after Ctrl-C (SIGINT), as shells expect of an interrupted command; else `code`."""
    if received() == signal.SIGINT:
        log.warning("interrupted; what finished before Ctrl-C is saved")
        return EXIT_INTERRUPTED
    return code
