"""The live progress display: on a terminal only, never under -q, never in a pipe or a log."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import TODAY, TOKEN, Workspace, fetch_args

from oura_stats.api.windows import Window
from oura_stats.cli.progress import ProgressDisplay
from oura_stats.demo.history import make_history
from oura_stats.demo.server import FakeOura

ESCAPE = "\x1b["


@pytest.fixture(scope="module")
def long_api() -> Iterator[FakeOura]:
    """200 days of history, slow enough that a first run lasts a few seconds."""
    with FakeOura(make_history(200, end=TODAY), token=TOKEN, today=TODAY, latency=0.04) as api:
        yield api


def run_on_terminal(args: list[str]) -> tuple[int, str, str]:
    """Run the CLI with stderr on a real pseudo-terminal; (exit code, terminal text, stdout)."""
    master, slave = os.openpty()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OURA_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "oura_stats", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=environment,
    )
    os.close(slave)
    received = bytearray()
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        received += chunk
    os.close(master)
    assert process.stdout is not None
    stdout = process.stdout.read().decode()
    process.stdout.close()
    return process.wait(timeout=60), received.decode(), stdout


def first_run(api: FakeOura, root: Path, *extra: str) -> list[str]:
    ws = Workspace(root)
    return fetch_args(
        api, ws, "--categories", "heartrate", "daily_sleep", "--concurrency", "1", *extra
    )


def test_progress_is_drawn_on_a_terminal(long_api: FakeOura, tmp_path: Path) -> None:
    code, screen, stdout = run_on_terminal(first_run(long_api, tmp_path))
    assert code == 0, screen
    assert stdout == ""  # progress is human output: stderr only
    assert "\x1b[J" in screen  # the display rewrites its own lines
    frames = [f for f in screen.split("\r") if f.lstrip("\n").startswith(("\x1b[", "heartrate"))]
    live = [f for f in frames if "heartrate " in f and " requests " in f and " rows" in f]
    assert live, screen
    covered = [int(line.split(" of ")[0].split()[-1].replace(",", "")) for line in live]
    assert covered == sorted(covered)  # days covered only grow
    assert any(" of 2" in f and "days" in f for f in live)  # "<n> of <window> days"
    assert "categories done" in screen and "elapsed" in screen
    assert "left" in screen  # a first backfill gets an estimate of the time left
    # the per-category summary follows, once the display is gone
    summary = screen.rsplit("\x1b[J", 1)[1]
    assert "total:" in summary and "all categories ok" in summary
    assert "elapsed" not in summary


def test_no_progress_with_quiet_on_a_terminal(long_api: FakeOura, tmp_path: Path) -> None:
    code, screen, _ = run_on_terminal(first_run(long_api, tmp_path, "-q"))
    assert code == 0
    assert screen == ""


def test_no_progress_without_a_terminal(long_api: FakeOura, tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OURA_")}
    result = subprocess.run(
        [sys.executable, "-m", "oura_stats", *first_run(long_api, tmp_path)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0
    assert ESCAPE not in result.stderr
    assert "elapsed" not in result.stderr
    firsts = [line.split()[0] for line in result.stderr.splitlines()]
    assert {"daily_sleep", "heartrate", "total:"} <= set(firsts)  # the per-category summary


def samples(count: int, last: str) -> list[dict[str, Any]]:
    """`count` heart-rate samples, the newest at `last`."""
    return [{"timestamp": "2025-01-01T00:00:00+00:00", "bpm": 60}] * (count - 1) + [
        {"timestamp": last, "bpm": 61}
    ]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_display_counts_days_rows_requests_and_estimates_time_left() -> None:
    clock = Clock()
    display = ProgressDisplay(io.StringIO(), clock=clock, size=lambda: (100, 30))
    display._began = 0.0
    first = dt.date(2025, 1, 1)
    window = Window(first, dt.date(2025, 4, 30), trim=False, advances_state=True)  # 120 days
    display.planned("heartrate", window, 4)
    display.planned("sleep", window, 1)
    ranges = [
        {"start_datetime": f"{(first + dt.timedelta(days=30 * i)).isoformat()}T00:00:00+00:00",
         "end_datetime": f"{(first + dt.timedelta(days=30 * i + 30)).isoformat()}T00:00:00+00:00"}
        for i in range(4)
    ]  # fmt: skip
    display.page("heartrate", ranges[0], samples(1000, "2025-01-15T10:00:00+00:00"), 1)
    clock.now = 10.0
    display.chunk_done("heartrate", ranges[0])
    display.page("heartrate", ranges[1], samples(500, "2025-02-10T00:00:00+00:00"), 2)
    lines = display.lines(10)
    assert lines[0].split() == [
        "heartrate",
        "2",
        "requests",
        "1,500",
        "rows",
        "41",
        "of",
        "120",
        "days",
    ]
    assert lines[-1] == "0 of 2 categories done, 10 s elapsed, about 19 s left"
    for done in ranges[1:]:
        display.chunk_done("heartrate", done)
    assert display.lines(10) == ["1 of 2 categories done, 10 s elapsed"]
