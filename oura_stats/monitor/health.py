"""The service's health endpoint: `GET /health` (JSON) and `GET /metrics` (Prometheus text),
and the current report at `/` and `/report.html` (see `pages`); anything else is 404.

The collection loop publishes a `Snapshot` after each round (state, facts of the CSVs or of
a database-only run's tables, counters) on a `Board`; request handlers only read the latest
snapshot, so a scrape never touches the state, takes the run lock or waits for a round. The
server runs in a daemon thread.
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
from oura_stats.monitor.pages import PAGE_PATHS, LivePage, Response
from oura_stats.monitor.snapshot import Health, Snapshot
from oura_stats.store.records import FileRecords, Records
from oura_stats.store.state import VERSION

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
        records: Records | None = None,
    ) -> None:
        """`records`: where the state and the rows are read (default: the state file and
        the CSVs in `output_dir`; a database-only run's database, see `records.py`)."""
        self._categories = categories
        self._records = records or FileRecords(output_dir, state_path)
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

    def close(self) -> None:
        self._records.close()

    def _read(self, *, count: bool) -> None:
        """Read the state and the stored rows' facts; count the newest run record once."""
        try:
            state = self._records.state() or {"version": VERSION, "categories": {}, "runs": []}
            facts = self._records.facts(self._categories, state)
        except (OuraStatsError, OSError) as error:
            log.warning("health: could not read the state or the stored rows: %s", error)
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
    board: Board | None
    page: LivePage | None


class _Server6(_Server):
    address_family = socket.AF_INET6


TEXT = "text/plain; charset=utf-8"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 10  # a client that connects and says nothing cannot hold a thread for long
    server_version = "oura-stats"

    def do_GET(self) -> None:
        self._answer(self._response(urlsplit(self.path).path), body=True)

    def do_HEAD(self) -> None:
        self._answer(self._response(urlsplit(self.path).path), body=False)

    def _refuse(self) -> None:
        """Every other method: the endpoint only reads."""
        self._answer(Response(405, (("Allow", "GET, HEAD"),), b"read-only: GET or HEAD\n"))

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

    def _response(self, path: str) -> Response:
        board, page = self.server.board, self.server.page
        if page is not None and path in PAGE_PATHS:
            headers = {k.lower(): v for k, v in self.headers.items()}
            return page.respond(headers)
        if board is not None and path == "/health":
            health = board.health()
            body = json.dumps(health.to_json(), indent=2) + "\n"
            return _text(health.status_code, body, "application/json")
        if board is not None and path == "/metrics":
            metrics = render_metrics(board.health())
            return _text(200, metrics, "text/plain; version=0.0.4; charset=utf-8")
        return _text(404, f"not found: try {' or '.join(self._paths())}\n", TEXT)

    def _paths(self) -> list[str]:
        paths = ["/"] if self.server.page is not None else []
        return paths + (["/health", "/metrics"] if self.server.board is not None else [])

    def _answer(self, response: Response, *, body: bool = True) -> None:
        self.send_response(response.status)
        names = {name for name, _ in response.headers}
        for name, value in response.headers:
            self.send_header(name, value)
        if "Cache-Control" not in names:
            self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if body and response.status != 304:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("health: %s %s", self.address_string(), format % args)


def _text(status: int, body: str, content_type: str) -> Response:
    return Response(status, (("Content-Type", content_type),), body.encode())


class HealthServer:
    """`/health` and `/metrics` (with a board), the report (with a page) on host:port,
    served from a daemon thread."""

    def __init__(
        self,
        board: Board | None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        page: LivePage | None = None,
        poll_interval: float = 0.5,
        options: str = "--health-port or --health-host",
    ) -> None:
        self._poll_interval = poll_interval  # how long close() may wait for the serving loop
        server_class = _Server6 if ":" in host else _Server
        try:
            self._server = server_class((host, port), _Handler)
        except OSError as error:
            raise ConfigError(
                f"cannot serve on {host}:{port} ({error.strerror or error}); "
                f"choose another {options}"
            ) from error
        self._server.board = board
        self._server.page = page
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
        say = (ANNOUNCE if self._picked else log).info
        if self._server.board is not None:  # one line: under -q it is all there is to see
            page = f"; report at {self.url}/" if self._server.page is not None else ""
            say("health endpoint at %s/health and %s/metrics%s", self.url, self.url, page)
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
