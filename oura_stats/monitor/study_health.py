"""A study service's endpoint: `GET /health` (the last round, as JSON) and `GET /metrics`
(rounds, and per participant: days since data, nights missing, needs consent, failing)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from oura_stats.db.target import Target
from oura_stats.errors import ConfigError, OuraStatsError
from oura_stats.monitor.adherence import describe, metric_lines, study_adherence

log = logging.getLogger(__name__)
TEXT = "text/plain; version=0.0.4; charset=utf-8"


class StudyBoard:
    """What the loop tells the endpoint: rounds finished and how the last one went."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._lock = threading.Lock()
        self.rounds = {"ok": 0, "failed": 0}
        self.last_code: int | None = None
        self.last_finished: dt.datetime | None = None
        self.running = False

    def round_started(self) -> None:
        with self._lock:
            self.running = True

    def round_finished(self, code: int) -> None:
        with self._lock:
            self.running = False
            self.last_code = code
            self.last_finished = dt.datetime.now(dt.UTC)
            self.rounds["ok" if code == 0 else "failed"] += 1

    def health(self) -> tuple[int, dict[str, Any]]:
        today = dt.datetime.now(dt.UTC).date()
        with self._lock:
            body: dict[str, Any] = {
                "round_in_progress": self.running,
                "rounds": dict(self.rounds),
                "last_round_ok": None if self.last_code is None else self.last_code == 0,
                "last_round_finished": self.last_finished.isoformat(timespec="seconds")
                if self.last_finished
                else None,
            }
        try:
            body.update(describe(study_adherence(self.target, today), today))
        except OuraStatsError as error:
            body["error"] = str(error)
            return 503, body
        # One participant's trouble is the study's to handle, not a dead service: 200.
        return 200, body

    def metrics(self) -> str:
        today = dt.datetime.now(dt.UTC).date()
        with self._lock:
            lines = [
                "# HELP oura_stats_rounds_total Study rounds finished by this process.",
                "# TYPE oura_stats_rounds_total counter",
                *(f'oura_stats_rounds_total{{result="{k}"}} {v}' for k, v in self.rounds.items()),
            ]
        return "\n".join([*lines, *metric_lines(study_adherence(self.target, today), today), ""])


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 10
    server_version = "oura-stats"

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        board = self.server.board
        try:
            if path == "/health":
                status, body = board.health()
                self._send(status, json.dumps(body, indent=2) + "\n", "application/json")
            elif path == "/metrics":
                self._send(200, board.metrics(), TEXT)
            else:
                self._send(404, "not found: try /health or /metrics\n", TEXT)
        except OuraStatsError as error:
            self._send(503, f"{error}\n", TEXT)

    def _send(self, status: int, text: str, content_type: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("health: %s", format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    board: StudyBoard


def serve_board(board: StudyBoard, host: str, port: int) -> ThreadingHTTPServer:
    try:
        server = _Server((host, port), _Handler)
    except OSError as error:
        raise ConfigError(
            f"cannot serve on {host}:{port} ({error.strerror or error}); choose another "
            "--health-port or --health-host"
        ) from error
    server.board = board
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    host_, port_ = server.server_address[:2]
    log.warning("study health at http://%s:%s/health and /metrics", host_, port_)
    return server
