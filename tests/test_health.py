"""The service's health endpoint over real HTTP: /health verdicts and /metrics text."""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import TOKEN

from oura_stats.api.categories import select
from oura_stats.api.tokens import StaticToken
from oura_stats.demo.history import make_history
from oura_stats.demo.server import FakeOura
from oura_stats.errors import ConfigError, LockBusyError
from oura_stats.monitor.freshness import Policy
from oura_stats.monitor.health import Board, HealthServer
from oura_stats.run.rounds import Settings
from oura_stats.run.service import Rounds
from oura_stats.store.lock import RunLock

TODAY = dt.datetime.now(dt.UTC).date()
NOON = dt.datetime.combine(TODAY, dt.time(12), dt.UTC)
CATEGORIES = "daily_sleep,heartrate,tag"


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Service:
    """A board fed by real rounds against the fake API, and its endpoint."""

    api: FakeOura
    board: Board
    server: HealthServer
    rounds: Rounds
    clock: Clock
    state: Path

    def get(self, path: str) -> tuple[int, str, str]:
        try:
            with urllib.request.urlopen(self.server.url + path, timeout=5) as response:
                return response.status, response.headers["Content-Type"], response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers["Content-Type"], error.read().decode()

    def health(self) -> tuple[int, dict[str, Any]]:
        status, content_type, body = self.get("/health")
        assert content_type == "application/json"
        return status, json.loads(body)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with FakeOura(make_history(6, end=TODAY), token=TOKEN, today=TODAY) as api:
        settings = Settings(
            base_url=api.url,
            output_dir=tmp_path / "data",
            state_path=tmp_path / "state.json",
            categories=select([CATEGORIES]),
            start=None,
            end=None,
            lookback_days=3,
            sandbox=False,
            concurrency=2,
        )
        clock = Clock(NOON)
        board = Board(
            settings.categories, settings.output_dir, settings.state_path, Policy(), clock=clock
        )
        board.load()
        rounds = Rounds(settings, StaticToken(TOKEN), threading.Event(), board)
        with HealthServer(board, "127.0.0.1", 0, poll_interval=0.02) as server:
            yield Service(api, board, server, rounds, clock, settings.state_path)


def test_health_is_503_before_the_first_round_then_200(service: Service) -> None:
    status, body = service.health()
    assert status == 503
    assert body["healthy"] is False
    assert body["service"]["last_round"]["ok"] is None
    assert service.rounds() == 0
    status, body = service.health()
    assert status == 200
    assert body["healthy"] is True
    assert body["verdict"] == "ok"
    assert body["service"]["rounds_ok"] == 1
    assert set(body["categories"]) == {"daily_sleep", "heartrate", "tag"}
    assert body["categories"]["heartrate"]["rows"] > 0


def test_health_turns_503_after_an_injected_failure(service: Service) -> None:
    service.rounds()
    assert service.health()[0] == 200
    service.api.forbid("daily_sleep")
    assert service.rounds() == 1
    status, body = service.health()
    assert status == 503
    assert body["verdict"] == "failing"
    assert body["categories"]["daily_sleep"]["verdict"] == "failing"
    assert body["categories"]["daily_sleep"]["failing_since"] is not None
    assert body["service"]["last_round"]["ok"] is False
    service.api.clear_faults()
    service.rounds()
    assert service.health()[0] == 200


def test_health_turns_503_when_data_goes_stale_without_any_round(service: Service) -> None:
    service.rounds()
    service.clock.now = NOON + dt.timedelta(days=3)
    status, body = service.health()
    assert status == 503
    assert body["verdict"] == "stale"
    assert body["categories"]["heartrate"]["verdict"] == "stale"
    assert body["categories"]["tag"]["verdict"] == "ok"  # sparse: never stale


def test_a_round_that_raises_is_a_failed_round(service: Service) -> None:
    service.rounds()
    lock = RunLock.for_run(service.state.parent / "data", service.state)
    with lock, pytest.raises(LockBusyError):
        service.rounds()
    status, body = service.health()
    assert status == 503
    assert body["verdict"] == "ok"  # the data is fine, but the service could not collect
    assert body["service"]["rounds_failed"] == 1


def test_health_answers_while_a_round_holds_the_lock(service: Service) -> None:
    service.rounds()
    service.board.round_started()
    with RunLock.for_run(service.state.parent / "data", service.state):
        began = time.monotonic()
        status, body = service.health()
        assert time.monotonic() - began < 1
    assert status == 200
    assert body["service"]["round_in_progress"] is True


def test_restarted_service_reports_the_last_recorded_run(service: Service) -> None:
    service.api.forbid("tag")
    service.rounds()
    restarted = Board(
        select([CATEGORIES]),
        service.state.parent / "data",
        service.state,
        Policy(),
        clock=Clock(NOON),
    )
    restarted.load()
    health = restarted.health()
    assert health.snapshot.last_round_ok is False
    assert health.status_code == 503
    assert health.to_json()["last_run"]["failed"] == ["tag"]


def test_unknown_path_is_404(service: Service) -> None:
    status, _, body = service.get("/")
    assert status == 404
    assert "/health" in body


# metrics ---------------------------------------------------------------------------------------

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = rf'{_NAME}="(?:[^"\\\n]|\\.)*"'
_SAMPLE = re.compile(rf"^({_NAME})(\{{{_LABEL}(?:,{_LABEL})*\}})? (\S+)$")
_META = re.compile(rf"^# (HELP|TYPE) ({_NAME}) (.+)$")


def parse_metrics(text: str) -> dict[tuple[str, str], float]:
    """Samples by (name, labels), checking the exposition format line by line."""
    assert text.endswith("\n")
    types: dict[str, str] = {}
    samples: dict[tuple[str, str], float] = {}
    for line in text.splitlines():
        meta = _META.match(line)
        if meta:
            if meta.group(1) == "TYPE":
                assert meta.group(3) in ("gauge", "counter"), line
                assert meta.group(2) not in types, f"second TYPE for {meta.group(2)}"
                types[meta.group(2)] = meta.group(3)
            continue
        sample = _SAMPLE.match(line)
        assert sample, f"not a valid sample line: {line!r}"
        name, labels, value = sample.groups()
        assert name in types, f"{name} has no TYPE line before it"
        assert types[name] != "counter" or name.endswith("_total"), name
        assert (name, labels or "") not in samples, f"duplicate sample {line!r}"
        samples[(name, labels or "")] = float(value)
    return samples


def test_metrics_parse_and_count_requests_rows_and_errors(service: Service) -> None:
    service.rounds()
    service.api.forbid("tag")
    service.rounds()
    status, content_type, text = service.get("/metrics")
    assert status == 200
    assert content_type.startswith("text/plain; version=0.0.4")
    samples = parse_metrics(text)
    assert samples[("oura_stats_healthy", "")] == 0
    assert samples[("oura_stats_rounds_total", '{result="ok"}')] == 1
    assert samples[("oura_stats_rounds_total", '{result="failed"}')] == 1
    heartrate = '{category="heartrate"}'
    assert samples[("oura_stats_category_rows", heartrate)] > 0
    assert samples[("oura_stats_category_requests_total", heartrate)] >= 2
    assert samples[("oura_stats_category_errors_total", heartrate)] == 0
    assert samples[("oura_stats_category_errors_total", '{category="tag"}')] == 1
    assert samples[("oura_stats_category_failing", '{category="tag"}')] == 1
    assert samples[("oura_stats_category_stale", heartrate)] == 0
    new = samples[("oura_stats_category_rows_written_total", '{category="heartrate",change="new"}')]
    assert new == samples[("oura_stats_category_rows", heartrate)]
    success = samples[("oura_stats_category_last_success_timestamp_seconds", heartrate)]
    assert abs(success - time.time()) < 60
    newest = samples[("oura_stats_category_newest_data_timestamp_seconds", heartrate)]
    assert newest <= dt.datetime.combine(TODAY, dt.time(23, 59), dt.UTC).timestamp()


def test_metrics_before_any_round_parse(service: Service) -> None:
    samples = parse_metrics(service.get("/metrics")[2])
    assert samples[("oura_stats_rounds_total", '{result="ok"}')] == 0
    assert ("oura_stats_last_round_start_timestamp_seconds", "") not in samples


# the server's life ------------------------------------------------------------------------------


def test_server_stops_listening_when_closed(tmp_path: Path) -> None:
    board = Board(select(["sleep"]), tmp_path, tmp_path / "state.json", Policy())
    server = HealthServer(board, "127.0.0.1", 0, poll_interval=0.02).start()
    port = server.port
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    server.close()
    assert not any(t.name == "health" for t in threading.enumerate())
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_port_in_use_is_a_configuration_error(tmp_path: Path) -> None:
    board = Board(select(["sleep"]), tmp_path, tmp_path / "state.json", Policy())
    with (
        HealthServer(board, "127.0.0.1", 0, poll_interval=0.02) as first,
        pytest.raises(ConfigError, match="--health-port"),
    ):
        HealthServer(board, "127.0.0.1", first.port)


def test_silent_client_does_not_block_other_requests(service: Service) -> None:
    with socket.create_connection(("127.0.0.1", service.server.port), timeout=5):
        status, _ = service.health()  # while the first connection says nothing
    assert status == 503


def test_state_damaged_while_the_service_runs_makes_health_503_with_its_message(
    service: Service,
) -> None:
    service.rounds()
    assert service.health()[0] == 200
    service.state.write_text('{"version": 1, "categories": {"tag": {"last_error": "boom"}}}')
    with pytest.raises(ConfigError, match="--reset-state"):
        service.rounds()  # the loop logs this and carries on
    status, body = service.health()
    assert status == 503
    assert body["healthy"] is False
    assert str(service.state) in body["problem"]
    assert "--reset-state" in body["problem"]
    status, _, metrics = service.get("/metrics")
    assert status == 200
    assert "oura_stats_healthy 0" in metrics
    service.state.unlink()  # a reset: the next round starts afresh and health recovers
    service.rounds()
    status, body = service.health()
    assert body["problem"] is None
