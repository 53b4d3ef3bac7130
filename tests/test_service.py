"""`oura-stats service`: scheduling (with a simulated clock), clean stops, the health endpoint."""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TOKEN, run_cli

from oura_stats.demo.history import make_history
from oura_stats.demo.server import FakeOura
from oura_stats.errors import EXIT_FAILED, EXIT_OK, ApiError
from oura_stats.run.service import run_forever

TODAY = dt.datetime.now(dt.UTC).date()


class Simulation:
    """A clock that only moves when a round works or the loop waits."""

    def __init__(self, durations: list[float], *, rounds: int) -> None:
        self.now = 0.0
        self.durations = durations
        self.rounds = rounds
        self.starts: list[float] = []
        self.waits: list[float] = []
        self.stop = threading.Event()

    def clock(self) -> float:
        return self.now

    def round(self) -> int:
        self.starts.append(self.now)
        self.now += self.durations[(len(self.starts) - 1) % len(self.durations)]
        if len(self.starts) == self.rounds:
            self.stop.set()
        return EXIT_OK

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += seconds
        return self.stop.is_set()

    def run(self, interval: float, jitter: float = 0.0, seed: int = 0) -> int:
        return run_forever(
            self.round,
            interval_seconds=interval,
            stop=self.stop,
            jitter_seconds=jitter,
            clock=self.clock,
            wait=self.wait,
            rng=random.Random(seed),
        )


def test_first_round_at_once_then_every_interval_from_each_start() -> None:
    sim = Simulation([10, 30, 5], rounds=4)
    assert sim.run(interval=100) == EXIT_OK
    assert sim.starts == [0, 100, 200, 300]
    assert sim.waits == [90, 70, 95]


def test_overrun_starts_the_next_round_at_once_without_piling_up() -> None:
    sim = Simulation([250, 10, 10, 10], rounds=4)
    sim.run(interval=100)
    # The first round missed two slots: one round follows at once, then the rhythm resumes.
    assert sim.starts == [0, 250, 350, 450]
    assert sim.waits == [90, 90]


def test_jitter_adds_between_zero_and_the_maximum_to_each_wait() -> None:
    sim = Simulation([10], rounds=30)
    sim.run(interval=100, jitter=20, seed=7)
    extra = [wait - 90 for wait in sim.waits]
    assert all(0 <= e <= 20 for e in extra)
    assert len(set(extra)) == len(extra)  # random, not a constant offset
    gaps = [b - a for a, b in zip(sim.starts, sim.starts[1:], strict=False)]
    assert all(100 <= gap <= 120 for gap in gaps)


def test_stop_during_the_wait_ends_the_loop_with_exit_0(caplog: pytest.LogCaptureFixture) -> None:
    stop = threading.Event()
    rounds: list[int] = []

    def round_() -> int:
        rounds.append(1)
        return EXIT_FAILED

    def wait(_seconds: float) -> bool:
        stop.set()  # SIGTERM arrives while waiting
        return True

    with caplog.at_level(logging.INFO, "oura_stats.run.service"):
        code = run_forever(round_, interval_seconds=3600, stop=stop, wait=wait)
    assert (code, rounds) == (EXIT_OK, [1])
    assert "service stopped" in caplog.text


def test_stop_during_a_round_ends_the_loop_without_waiting() -> None:
    stop = threading.Event()
    waits: list[float] = []

    def round_() -> int:
        stop.set()  # SIGTERM arrives mid-round; the round returns as soon as it can
        return EXIT_FAILED

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        return stop.is_set()

    assert run_forever(round_, interval_seconds=3600, stop=stop, wait=wait) == EXIT_OK
    assert waits == []


def test_a_failing_round_is_logged_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    outcomes: list[int | Exception] = [ApiError("boom"), EXIT_OK]

    def round_() -> int:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    code = run_forever(
        round_, interval_seconds=1e-3, stop=threading.Event(), max_runs=2, wait=lambda _s: False
    )
    assert code == EXIT_OK
    assert "round failed: boom" in caplog.text


def test_max_runs_returns_the_last_rounds_exit_code() -> None:
    codes = iter([EXIT_OK, EXIT_FAILED])
    code = run_forever(
        lambda: next(codes),
        interval_seconds=1e-3,
        stop=threading.Event(),
        max_runs=2,
        wait=lambda _s: False,
    )
    assert code == EXIT_FAILED


# the real service, as a process ----------------------------------------------------------------


class ServiceProcess:
    """`oura-stats service` in a subprocess, its stderr read line by line as it comes."""

    def __init__(self, api: FakeOura, root: Path, *extra: str) -> None:
        self.root = root
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "oura_stats", "service",
                "--base-url", api.url, "--token", TOKEN,
                "--output-dir", str(root / "data"), "--state-file", str(root / "state.json"),
                "--categories", "daily_sleep,heartrate,sleep,workout",
                "--concurrency", "1", "--health-port", "0",
                *extra,
            ],
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, pattern: str, timeout: float = 15) -> re.Match[str]:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if match := regex.search(line):
                        return match
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"no {pattern!r} in:\n" + "\n".join(self.lines)
                self._changed.wait(remaining)

    @property
    def health_url(self) -> str:
        return self.wait_for(r"health endpoint at (http://\S+)/health").group(1) + "/health"

    def stop(self, signum: int, timeout: float = 10) -> int:
        self.process.send_signal(signum)
        return self.process.wait(timeout)

    def kill(self) -> None:
        """Make sure the process is gone and its pipe closed (call in `finally`)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(5)
        assert self.process.stderr is not None
        self.process.stderr.close()


@pytest.fixture
def slow_api() -> Iterator[FakeOura]:
    with FakeOura(make_history(40, end=TODAY), token=TOKEN, today=TODAY, latency=0.15) as api:
        yield api


def assert_files_whole(root: Path) -> None:
    """Every CSV parses with one field count; the state is valid JSON; no leftovers."""
    for path in (root / "data").glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert all(len(row) == len(rows[0]) for row in rows), path
    json.loads((root / "state.json").read_text())
    kept = {".oura-source.json"}  # whose data this is
    assert not [p for p in (root / "data").iterdir() if p.suffix != ".csv" and p.name not in kept]


def test_sigterm_mid_round_exits_0_and_leaves_whole_files(
    slow_api: FakeOura, tmp_path: Path
) -> None:
    service = ServiceProcess(slow_api, tmp_path)
    try:
        url = service.health_url
        deadline = time.monotonic() + 10
        while len(slow_api.requests) < 2:  # the round is under way
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert service.stop(signal.SIGTERM) == 0
    finally:
        service.kill()
    service.wait_for("received SIGTERM; stopping")
    service.wait_for("service stopped")
    assert_files_whole(tmp_path)
    (run,) = json.loads((tmp_path / "state.json").read_text())["runs"]
    errors = [r["error"] for r in run["categories"].values() if r["error"]]
    assert errors  # it was stopped mid-round: the unfinished categories were abandoned
    assert all(e.startswith("stopped before finishing") for e in errors)
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass  # the health endpoint went away with the service


def wait_until_healthy(url: str, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return bool(response.status == 200)
        except urllib.error.HTTPError as error:
            error.close()  # 503 until the loop has published the finished round
        time.sleep(0.05)
    return False


def test_sigint_mid_wait_exits_130_promptly(tmp_path: Path) -> None:
    with FakeOura(make_history(5, end=TODAY), token=TOKEN, today=TODAY) as api:
        service = ServiceProcess(api, tmp_path, "--interval-hours", "1")
        try:
            service.wait_for(r"(^|\s)total: .* all categories ok")
            assert wait_until_healthy(service.health_url)  # the round is over: now it waits
            began = time.monotonic()
            assert service.stop(signal.SIGINT) == 130  # Ctrl-C, as shells report it
            assert time.monotonic() - began < 3
        finally:
            service.kill()
    service.wait_for("received SIGINT; stopping")
    assert_files_whole(tmp_path)


def test_jitter_not_shorter_than_the_interval_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(
        "service", "--token", TOKEN, "--interval-hours", "1", "--jitter-minutes", "60",
        "--output-dir", str(tmp_path), "--state-file", str(tmp_path / "s.json"),
    )  # fmt: skip
    assert result.returncode == 2
    assert "--jitter-minutes 60 must be shorter than the interval" in result.stderr


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--health-port", "70000", "out of range"),
        ("--jitter-minutes", "-1", "must not be negative"),
        ("--stale-hours", "0", "must be a positive number"),
    ],
)
def test_bad_service_options_exit_2(tmp_path: Path, option: str, value: str, message: str) -> None:
    result = run_cli("service", "--token", TOKEN, option, value)
    assert result.returncode == 2
    assert message in result.stderr
