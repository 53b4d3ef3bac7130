"""One pacing shared by every worker: Oura's request budget and 429 pauses apply to all."""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from typing import Protocol

from oura_stats.errors import StopRequested

# Oura's published budget (spec FAQ): 5,000 requests per 5 minutes.
DEFAULT_LIMIT = 5000
DEFAULT_WINDOW_SECONDS = 300.0


class Pacing(Protocol):
    """What the client asks before each request, and tells after a 429."""

    def acquire(self, stop: threading.Event) -> None: ...

    def pause(self, seconds: float) -> None: ...


class Pacer:
    """A sliding-window limit plus a shared pause that a 429 imposes on every worker."""

    def __init__(
        self,
        limit: int = DEFAULT_LIMIT,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._window = window_seconds
        self._clock = clock
        self._sent: collections.deque[float] = collections.deque()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def acquire(self, stop: threading.Event) -> None:
        """Block until one more request may be sent; raise StopRequested if asked to stop."""
        while True:
            wait = self._try_acquire()
            if wait <= 0:
                return
            if stop.wait(wait):
                raise StopRequested("stopped while waiting for the rate limit")

    def _try_acquire(self) -> float:
        with self._lock:
            now = self._clock()
            if now < self._paused_until:
                return self._paused_until - now
            while self._sent and self._sent[0] <= now - self._window:
                self._sent.popleft()
            if len(self._sent) < self._limit:
                self._sent.append(now)
                return 0.0
            return self._sent[0] + self._window - now

    def pause(self, seconds: float) -> None:
        """Hold every worker back for `seconds` (the API said 429)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
