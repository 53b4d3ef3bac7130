"""The HTTP layer of the synthetic API: a threading server on 127.0.0.1 whose handler hands
every request to an `Answerer` (the server object) and writes its `Response` back."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, Self, cast

from oura_stats.demo.api_rules import Response


class Answerer(Protocol):
    """What the HTTP layer needs from the API object behind it."""

    def respond(self, method: str, target: str, authorization: str | None) -> Response: ...

    def track(self, conn: socket.socket, *, add: bool) -> None: ...


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    answerer: Answerer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client killed mid-response (the crash tests do this on purpose) is not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 60

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and
        # delayed ACKs add ~40 ms to every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.answerer.track(self.connection, add=True)

    def finish(self) -> None:
        self.server.answerer.track(self.connection, add=False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        response = self.server.answerer.respond(
            self.command, self.path, self.headers.get("Authorization")
        )
        if response.drop:
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)


class Listener:
    """A running server on 127.0.0.1 (a free port) in a daemon thread."""

    def __init__(self, answerer: Answerer) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.answerer = answerer
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()


class Served:
    """An answerer served on 127.0.0.1: start()/stop() (cutting open connections), and use
    as a context manager. Subclasses answer requests (`Answerer.respond`)."""

    lock: threading.Lock
    url: str
    _connections: set[socket.socket]
    _listener: Listener | None

    def _init_served(self) -> None:
        self.lock = threading.Lock()
        self.url = ""
        self._connections = set()
        self._listener = None

    def start(self) -> Self:
        self._listener = Listener(cast(Answerer, self))
        self.url = self._listener.url
        return self

    def stop(self) -> None:
        if self._listener is None:
            return
        self._listener.close()
        with self.lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._listener = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def track(self, conn: socket.socket, *, add: bool) -> None:
        """Remember open connections, so that stop() can cut them."""
        with self.lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)
