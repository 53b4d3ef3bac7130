"""The report served live: `service --health-port` answers `/` and `/report.html` with the
current page (built on start and after each round), `report --serve` for a local look.
Read-only, the page's own Content-Security-Policy, a 304 for an unchanged page, and 404 for
anything else — no directory listing, no file outside the report."""

from __future__ import annotations

import copy
import http.client
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TODAY, TOKEN, Workspace, fetch, run_cli
from test_service import ServiceProcess

from oura_stats.api.categories import select
from oura_stats.api.tokens import StaticToken
from oura_stats.demo.history import make_history
from oura_stats.demo.server import FakeOura
from oura_stats.monitor.freshness import Policy
from oura_stats.monitor.health import Board, HealthServer
from oura_stats.monitor.pages import LivePage
from oura_stats.run.rounds import Settings
from oura_stats.run.service import Rounds, rebuild_page

NOT_FOUND = [
    "/data/sleep.csv",
    "/sleep.csv",
    "/state.json",
    "/../state.json",
    "/%2e%2e/state.json",
    "/report.html/",
    "/index.html",
    "//etc/passwd",
    "/data/",
]


def get(url: str, path: str, method: str = "GET", **headers: str) -> http.client.HTTPResponse:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request(method, path, headers=headers)
    response = connection.getresponse()
    response.read()  # kept on the object as .body below
    connection.close()
    return response


def body(url: str, path: str = "/", **headers: str) -> tuple[int, dict[str, str], str]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text
    finally:
        connection.close()


def meta_policy(page: str) -> str:
    found = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def check_served_page(url: str) -> str:
    """The page at / and /report.html: its policy, caching headers and a 304 on reload."""
    status, headers, page = body(url, "/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert page.startswith("<!doctype html>") and '<figure class="chart"' in page
    assert headers["content-security-policy"] == meta_policy(page)
    assert headers["etag"].startswith('"') and headers["last-modified"].endswith(" GMT")
    assert body(url, "/report.html")[2] == page
    again = get(url, "/", **{"If-None-Match": headers["etag"]})
    assert again.status == 304 and again.getheader("ETag") == headers["etag"]
    assert get(url, "/", **{"If-None-Match": '"another"'}).status == 200
    assert get(url, "/", **{"If-Modified-Since": headers["last-modified"]}).status == 304
    assert get(url, "/", method="HEAD").status == 200
    for path in NOT_FOUND:
        assert get(url, path).status == 404, path
    for method in ("POST", "PUT", "DELETE"):
        assert get(url, "/", method=method).status == 405, method
    return page


@pytest.fixture
def api() -> Iterator[FakeOura]:
    with FakeOura(make_history(20, end=TODAY), token=TOKEN, today=TODAY) as fake:
        yield fake


def test_a_running_service_serves_the_report_at_its_root(api: FakeOura, tmp_path: Path) -> None:
    service = ServiceProcess(api, tmp_path, "--interval-hours", "1")
    try:
        url = service.wait_for(r"report at (http://\S+)/$").group(1)
        assert url.startswith("http://127.0.0.1:")  # local unless --health-host says otherwise
        service.wait_for(r"(^|\s)total: .* all categories ok")
        deadline = time.monotonic() + 20
        while body(url)[0] != 200:  # built after the round
            assert time.monotonic() < deadline, "no page after the first round"
            time.sleep(0.1)
        page = check_served_page(url)
        assert "Heart rate" in page
        assert body(url, "/health")[0] == 200  # the health endpoint is still there
        assert service.stop(signal.SIGTERM) == 0
    finally:
        service.kill()


def test_the_service_serves_the_data_already_there_before_its_first_round(
    api: FakeOura, tmp_path: Path
) -> None:
    assert fetch(api, Workspace(tmp_path)).returncode == 0
    slow = FakeOura(copy.deepcopy(api.data), token=TOKEN, today=TODAY, latency=2.0)
    with slow:
        service = ServiceProcess(slow, tmp_path)
        try:
            url = service.wait_for(r"report at (http://\S+)/$").group(1)
            deadline = time.monotonic() + 20
            while body(url)[0] != 200:
                assert time.monotonic() < deadline, "no page from the data already there"
                time.sleep(0.05)
            assert not any("total:" in line for line in service.lines)  # still in its round
        finally:
            service.kill()


def one_category(url: str, root: Path, name: str) -> Settings:
    return Settings(
        base_url=url,
        output_dir=root / "data",
        state_path=root / "state.json",
        categories=select([name]),
        start=None,
        end=None,
        lookback_days=3,
        sandbox=False,
        concurrency=1,
    )


def test_before_any_data_the_root_says_why_there_is_no_page(tmp_path: Path) -> None:
    live = LivePage()
    settings = one_category("http://127.0.0.1:9", tmp_path, "daily_sleep")
    settings.output_dir.mkdir()
    rebuild_page(live, settings)
    with HealthServer(None, "127.0.0.1", 0, page=live, poll_interval=0.02) as server:
        status, headers, text = body(server.url)
        assert status == 503 and "retry-after" in headers
        assert text.startswith("no report yet: no data in")
        assert get(server.url, "/health").status == 404  # no board: no health endpoint


def test_each_round_rebuilds_the_served_page(api: FakeOura, tmp_path: Path) -> None:
    settings = one_category(api.url, tmp_path, "daily_activity")
    board = Board(settings.categories, settings.output_dir, settings.state_path, Policy())
    live = LivePage()
    rounds = Rounds(settings, StaticToken(TOKEN), threading.Event(), board, live)
    with HealthServer(board, "127.0.0.1", 0, page=live, poll_interval=0.02) as server:
        assert rounds() == 0
        first = body(server.url)
        assert first[0] == 200
        newest = copy.deepcopy(api.data["daily_activity"][-1])
        api.upsert_document("daily_activity", {**newest, "steps": 123457})
        assert rounds() == 0
        second = body(server.url)
        assert second[1]["etag"] != first[1]["etag"]
        steps = re.compile(r"<td>123,?457\b")
        assert steps.search(second[2]) and not steps.search(first[2])
        assert get(server.url, "/", **{"If-None-Match": first[1]["etag"]}).status == 200


class ReportServer:
    """`oura-stats report --serve` as a process."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "oura_stats", "report", "--serve", *args],
            stderr=subprocess.PIPE,
            text=True,
        )

    def url(self) -> str:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            found = re.search(r"at (http://\S+)/ ;", line)
            if found:
                return found.group(1)
        raise AssertionError("report --serve said no address")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        assert self.process.stderr is not None
        self.process.stderr.close()


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 0)])
def test_report_serve_serves_the_page_until_stopped(tmp_path: Path, signum: int, code: int) -> None:
    (tmp_path / "daily_sleep.csv").write_text("id,day,score\n1,2024-01-01,80\n2,2024-01-02,82\n")
    server = ReportServer("--output-dir", str(tmp_path), "--port", "0", "-q")
    try:
        url = server.url()
        assert url.startswith("http://127.0.0.1:")
        check_served_page(url)
        assert get(url, "/health").status == 404
        server.process.send_signal(signum)
        assert server.process.wait(10) == code
    finally:
        server.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["daily_sleep.csv"]  # wrote nothing


def test_report_serve_on_a_busy_port_and_port_without_serve_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "daily_sleep.csv").write_text("id,day,score\n1,2024-01-01,80\n")
    with HealthServer(None, "127.0.0.1", 0, page=LivePage()) as busy:
        done = run_cli("report", "--output-dir", str(tmp_path), "--serve", "--port", str(busy.port))
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "--port" in line and "Traceback" not in done.stderr
    done = run_cli("report", "--output-dir", str(tmp_path), "--port", "8000")
    assert done.returncode == 2 and "--serve" in done.stderr
