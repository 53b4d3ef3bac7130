"""The application's request budget, shared by every process of a study through PostgreSQL.

Oura limits an application as a whole (all its users' tokens together), besides each
token. Every process collecting for a study claims requests from one sliding window kept
in `_app_requests`: a claim is a row (when, how many), granted only while the window's sum
stays within the limit, under a transaction-level advisory lock so that two processes
never both take the last requests. Claims are made in small blocks, so the database is
asked once per block, not once per request.
"""

from __future__ import annotations

import threading
from typing import Any

from oura_stats.api.ratelimit import Pacer
from oura_stats.db.pgconn import connect, errors
from oura_stats.db.pgstate import create_tables
from oura_stats.db.studyterms import Budget
from oura_stats.errors import ApiError, StopRequested

TABLE = (
    "CREATE TABLE IF NOT EXISTS _app_requests (\n"
    "  claimed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),\n"
    "  requests INTEGER NOT NULL\n"
    ")",
    "CREATE INDEX IF NOT EXISTS _app_requests_claimed_at ON _app_requests (claimed_at)",
)
_LOCK = 4242_0017
BLOCK = 10
LONGEST_WAIT = 30.0  # seconds of Retry-After one participant may hold the others back


class TokenPacer:
    """One participant's pacing: their token's own limits and 429 pauses (a `Pacer`), and
    the study's shared budget. A 429 for one participant pauses only them: a short
    Retry-After is waited for, a long one ends their round (`paused_for`) so that the
    others go on; they are skipped until it has passed."""

    def __init__(self, shared: SharedBudget) -> None:
        self._shared = shared
        self._own = Pacer()
        self.paused_for = 0.0

    def acquire(self, stop: threading.Event) -> None:
        if self.paused_for:
            raise ApiError(
                f"Oura rate-limited this participant's token for {self.paused_for:.0f} s; "
                "the others go on",
                status=429,
            )
        self._own.acquire(stop)
        self._shared.take(stop)

    def pause(self, seconds: float) -> None:
        if seconds > LONGEST_WAIT:
            self.paused_for = max(self.paused_for, seconds)
        self._own.pause(seconds)


class SharedBudget:
    """The study's request budget, claimed from the database in blocks."""

    def __init__(self, url: str, display: str, budget: Budget) -> None:
        self._url, self._display, self.budget = url, display, budget
        self._block = max(1, min(BLOCK, budget.requests // 20 or 1))
        self._left = 0
        self._lock = threading.Lock()
        self._conn: Any = None
        self.claims = 0  # database round trips, for tests and the benchmark

    def pacer(self) -> TokenPacer:
        return TokenPacer(self)

    def take(self, stop: threading.Event) -> None:
        """One request from the budget, waiting while the window is full."""
        with self._lock:
            while self._left == 0:
                wait = self._claim()
                if wait > 0 and stop.wait(wait):
                    raise StopRequested("stopped while waiting for the application's budget")
            self._left -= 1

    def _claim(self) -> float:
        """Take a block of requests (0.0), or say how long until the window has room."""
        with errors(self._display):
            conn = self._connection()
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
                window = f"{self.budget.seconds} seconds"
                used, oldest = conn.execute(
                    "SELECT coalesce(sum(requests), 0), min(claimed_at) FROM _app_requests "
                    "WHERE claimed_at > clock_timestamp() - %s::interval",
                    (window,),
                ).fetchone()
                room = self.budget.requests - int(used)
                if room <= 0:
                    wait = conn.execute(
                        "SELECT extract(epoch FROM %s::timestamptz + %s::interval "
                        "- clock_timestamp())",
                        (oldest, window),
                    ).fetchone()[0]
                    return max(0.05, float(wait))
                take = min(room, self._block)
                conn.execute("INSERT INTO _app_requests (requests) VALUES (%s)", (take,))
                conn.execute(
                    "DELETE FROM _app_requests WHERE claimed_at < clock_timestamp() - %s::interval",
                    (window,),
                )
        self.claims += 1
        self._left = take
        return 0.0

    def _connection(self) -> Any:
        if self._conn is None or self._conn.closed:
            self._conn = connect(self._url, self._display)
            create_tables(self._conn, TABLE)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
