"""What the service writes to stderr: ISO timestamps (none under journald), the health address."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

from conftest import TOKEN, Workspace, fetch

from oura_stats.demo.server import FakeOura

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d ")


def run_service(
    api: FakeOura, ws: Workspace, *extra: str, env: dict[str, str] | None = None
) -> tuple[int, str]:
    """One round of `oura-stats service`; its stderr goes to a file (as journald's would)."""
    command = [
        sys.executable, "-m", "oura_stats", "service", "--base-url", api.url, "--token", TOKEN,
        "--categories", "daily_sleep", "--max-runs", "1",
        "--output-dir", str(ws.data), "--state-file", str(ws.state), *extra,
    ]  # fmt: skip
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OURA_")}
    environment.pop("JOURNAL_STREAM", None)
    log = ws.root / "stderr.log"
    with log.open("w") as stderr:
        if env and env.get("JOURNAL_STREAM") == "this file":
            status = os.fstat(stderr.fileno())
            env = {**env, "JOURNAL_STREAM": f"{status.st_dev}:{status.st_ino}"}
        environment.update(env or {})
        code = subprocess.run(
            command, stderr=stderr, env=environment, timeout=60, check=False
        ).returncode
    return code, log.read_text()


def test_service_lines_carry_an_iso_timestamp(api: FakeOura, ws: Workspace) -> None:
    code, stderr = run_service(api, ws)
    assert code == 0, stderr
    lines = stderr.splitlines()
    assert any("total:" in line for line in lines)
    assert all(STAMP.match(line) for line in lines), stderr


def test_no_timestamps_when_stderr_is_the_journal(api: FakeOura, ws: Workspace) -> None:
    code, stderr = run_service(api, ws, env={"JOURNAL_STREAM": "this file"})
    assert code == 0, stderr
    assert any(line.startswith("total:") for line in stderr.splitlines())
    assert not any(STAMP.match(line) for line in stderr.splitlines())


def test_a_journal_stream_that_is_not_stderr_keeps_the_timestamps(
    api: FakeOura, ws: Workspace
) -> None:
    code, stderr = run_service(api, ws, env={"JOURNAL_STREAM": "1:1"})
    assert code == 0, stderr
    assert all(STAMP.match(line) for line in stderr.splitlines())


def test_fetch_lines_have_no_timestamps(api: FakeOura, ws: Workspace) -> None:
    result = fetch(api, ws, "--categories", "daily_sleep")
    assert result.returncode == 0
    assert result.stderr.startswith("daily_sleep ")


def test_picked_health_port_is_logged_even_with_quiet(api: FakeOura, ws: Workspace) -> None:
    code, stderr = run_service(api, ws, "-q", "--health-port", "0")
    assert code == 0, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr  # quiet: nothing but the address
    assert re.search(r"health endpoint at http://127\.0\.0\.1:[1-9]\d*/health", lines[0])


def test_a_chosen_health_port_is_not_announced_with_quiet(api: FakeOura, ws: Workspace) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, stderr = run_service(api, ws, "-q", "--health-port", str(port))
    assert code == 0, stderr
    assert stderr == ""
