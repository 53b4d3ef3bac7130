"""A network failure names its cause in one line; a cause every category shares is told once."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import TOKEN, Workspace, fetch, run_cli

from oura_stats.api.categories import CATEGORIES, select
from oura_stats.api.client import OuraClient, RequestStats, RetryPolicy
from oura_stats.api.neterrors import describe
from oura_stats.api.tokens import StaticToken
from oura_stats.errors import ApiError
from oura_stats.monitor.freshness import Policy
from oura_stats.monitor.health import Board, HealthServer

ONCE = RetryPolicy(attempts=1)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield int(server.getsockname()[1])


class _Plain(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def plain_http_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Plain)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def failure_of(base_url: str) -> str:
    """The one-line error the client raises for one request that cannot be made."""
    client = OuraClient(base_url, StaticToken(TOKEN), retry=ONCE, pool_size=1)
    try:
        with pytest.raises(ApiError) as raised:
            client.get_object("/v2/usercollection/personal_info", RequestStats())
    finally:
        client.close()
    message = str(raised.value)
    assert "Caused by" not in message and "\n" not in message
    return message


def test_refused_connection_is_named() -> None:
    port = closed_port()
    message = failure_of(f"http://127.0.0.1:{port}")
    assert message == (
        f"cannot connect to the Oura API at http://127.0.0.1:{port}: connection refused; "
        "gave up after 1 attempts"
    )


def test_name_resolution_failure_is_named_and_fast() -> None:
    began = time.monotonic()
    message = failure_of("http://oura-stats-test.invalid")
    assert time.monotonic() - began < 10
    assert "name resolution failed for oura-stats-test.invalid" in message


def test_tls_to_a_plain_http_server_is_named() -> None:
    with plain_http_server() as port:
        message = failure_of(f"https://127.0.0.1:{port}")
    assert "TLS failed: wrong version number" in message
    assert "http://" in message  # the likely fix


def test_unreachable_proxy_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    port = closed_port()
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    message = failure_of("https://api.oura-stats-test.invalid")
    assert f"cannot connect to the proxy 127.0.0.1:{port}: connection refused" in message


def test_read_timeout_is_named() -> None:
    import requests

    with silent_server() as port, pytest.raises(requests.Timeout) as raised:
        requests.get(f"http://127.0.0.1:{port}/", timeout=(2, 0.3))
    assert describe(raised.value, 0.3) == "no answer within 0.3 s (read timeout)"


def test_connect_timeout_is_named() -> None:
    import requests

    error = requests.exceptions.ConnectTimeout("HTTPConnectionPool(...): timed out")
    assert describe(error) == "connection timed out"


# one cause, told once, with its count: run summary, status, /health --------------------------


@pytest.fixture(scope="module")
def unreachable_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, str, str]:
    ws = Workspace(tmp_path_factory.mktemp("unreachable"))

    class Gone:
        url = f"http://127.0.0.1:{closed_port()}"

    result = fetch(Gone(), ws)  # type: ignore[arg-type]
    assert result.returncode == 1
    return ws, result.stderr, Gone.url


def test_shared_failure_is_one_line_with_its_count(
    unreachable_run: tuple[Workspace, str, str],
) -> None:
    _, stderr, url = unreachable_run
    count = len(CATEGORIES)
    lines = [line for line in stderr.splitlines() if "cannot connect" in line]
    assert lines == [
        f"oura-stats: error: {count} categories: cannot connect to the Oura API at {url}: "
        "connection refused; gave up after 5 attempts"
    ]
    assert "Caused by" not in stderr and "Traceback" not in stderr


def test_status_tells_a_shared_failure_once(unreachable_run: tuple[Workspace, str, str]) -> None:
    ws, _, _ = unreachable_run
    paths = ["--output-dir", str(ws.data), "--state-file", str(ws.state)]
    table = run_cli("status", *paths)
    assert table.returncode == 1
    failing = [line for line in table.stdout.splitlines() if "failing since" in line]
    assert len(failing) == 1
    assert re.match(
        rf"{len(CATEGORIES)} categories: failing since .*connection refused", failing[0]
    )
    document = json.loads(run_cli("status", "--json", *paths).stdout)
    (error,) = document["errors"]
    assert error["count"] == len(CATEGORIES) == len(error["categories"])
    assert "connection refused" in error["message"]


def test_health_tells_a_shared_failure_once(unreachable_run: tuple[Workspace, str, str]) -> None:
    ws, _, _ = unreachable_run
    board = Board(select(None), ws.data, ws.state, Policy())
    board.load()
    with HealthServer(board, "127.0.0.1", 0, poll_interval=0.02) as server:
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(server.url + "/health", timeout=5)
        with answer.value as response:
            body = json.loads(response.read())
    assert answer.value.code == 503
    (error,) = body["errors"]
    assert error["count"] == len(CATEGORIES)
    assert "connection refused" in error["message"]
