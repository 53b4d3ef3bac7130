"""The service's health endpoint: `GET /health` (JSON) and `GET /metrics` (Prometheus text).

The collection loop publishes a `Snapshot` after each round (state, CSV facts, counters) on a
`Board`; request handlers only read the latest snapshot, so a scrape never touches the state
file, takes the run lock or waits for a round. The server runs in a daemon thread.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from oura_stats.api.categories import Category
from oura_stats.errors import EXIT_OK, ConfigError, OuraStatsError
from oura_stats.monitor.freshness import OK, Policy, build_view, local_now
from oura_stats.monitor.metrics import render_metrics
from oura_stats.monitor.snapshot import Health, Snapshot
from oura_stats.store.csvfacts import facts_for
from oura_stats.store.state import State

log = logging.getLogger(__name__)
# What a person must see even with -q: the CLI keeps this logger at INFO.
ANNOUNCE = logging.getLogger("oura_stats.announce")

Clock = Callable[[], dt.datetime]


class Board:
    """The snapshot the loop publishes and the endpoint reads (thread-safe)."""

    def __init__(
        self,
        categories: list[Category],
        output_dir: Path,
        state_path: Path,
        policy: Policy,
        *,
        clock: Clock = local_now,
    ) -> None:
        self._categories = categories
        self._output_dir = output_dir
        self._state_path = state_path
        self.policy = policy
        self.clock = clock
        self._lock = threading.Lock()
        self._snapshot = Snapshot()
        self._last_run_seen: Mapping[str, Any] | None = None

    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._snapshot

    def _publish(self, **changes: Any) -> None:
        with self._lock:
            self._snapshot = replace(self._snapshot, **changes)

    def load(self) -> None:
        """Read the state and the CSVs as they are now (before the first round)."""
        self._read(count=False)

    def _read(self, *, count: bool) -> None:
        """Read the state file and the CSVs' facts; count the newest run record once."""
        try:
            state = State.load(self._state_path).snapshot()
            facts = facts_for(self._categories, self._output_dir, state)
        except (OuraStatsError, OSError) as error:
            log.warning("health: could not read the state or the CSVs: %s", error)
            self._publish(problem=str(error))  # /health says so (503) until it is readable
            return
        runs = state.get("runs") or []
        last_run = runs[-1] if runs else None
        counters = self.snapshot().counters
        if count and last_run is not None and last_run != self._last_run_seen:
            counters = counters.plus(last_run)
        self._last_run_seen = last_run
        self._publish(state=state, facts=facts, counters=counters, problem=None)

    def round_started(self) -> None:
        self._publish(running_since=self.clock())

    def round_finished(self, code: int) -> None:
        self._read(count=True)
        snap = self.snapshot()
        ok = code == EXIT_OK
        self._publish(
            last_code=code,
            last_started=snap.running_since,
            last_finished=self.clock(),
            running_since=None,
            rounds_ok=snap.rounds_ok + ok,
            rounds_failed=snap.rounds_failed + (not ok),
        )

    def health(self) -> Health:
        snap = self.snapshot()
        view = build_view(snap.state, snap.facts, self.clock(), self.policy)
        healthy = snap.problem is None and snap.last_round_ok is True and view.verdict == OK
        return Health(healthy, view, snap)


# the HTTP server ----------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    board: Board


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 10  # a client that connects and says nothing cannot hold a thread for long
    server_version = "oura-stats"

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/health":
            health = self.server.board.health()
            body = json.dumps(health.to_json(), indent=2) + "\n"
            self._send(health.status_code, body, "application/json")
        elif path == "/metrics":
            health = self.server.board.health()
            self._send(200, render_metrics(health), "text/plain; version=0.0.4; charset=utf-8")
        else:
            self._send(404, "not found: try /health or /metrics\n", "text/plain; charset=utf-8")

    def _send(self, status: int, body: str, content_type: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("health: %s %s", self.address_string(), format % args)


class HealthServer:
    """`/health` and `/metrics` on host:port, served from a daemon thread."""

    def __init__(
        self, board: Board, host: str = "127.0.0.1", port: int = 0, *, poll_interval: float = 0.5
    ) -> None:
        self._poll_interval = poll_interval  # how long close() may wait for the serving loop
        server_class = _Server6 if ":" in host else _Server
        try:
            self._server = server_class((host, port), _Handler)
        except OSError as error:
            raise ConfigError(
                f"cannot serve the health endpoint on {host}:{port} ({error.strerror or error}); "
                "choose another --health-port or --health-host"
            ) from error
        self._server.board = board
        self._picked = port == 0  # the system chose the port: nobody knows it unless told
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = str(self._server.server_address[0])
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    def start(self) -> HealthServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": self._poll_interval},
            name="health",
            daemon=True,
        )
        self._thread.start()
        (ANNOUNCE if self._picked else log).info(
            "health endpoint at %s/health and %s/metrics", self.url, self.url
        )
        return self

    def close(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> HealthServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")
