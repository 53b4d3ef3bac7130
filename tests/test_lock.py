"""The run lock covers the output directory whatever the state path, and never follows links."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import TOKEN, Workspace, fetch, history

from oura_stats.demo.server import FakeOura
from oura_stats.errors import ConfigError, LockBusyError
from oura_stats.store.lock import Resource, RunLock


def _cli_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("OURA_", "XDG_CONFIG"))}


def _wait_for_pid(lock_file: Path, pid: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lock_file.exists() and lock_file.read_text().strip() == str(pid):
            return
        time.sleep(0.02)
    raise AssertionError(f"{lock_file} never named pid {pid}")


def test_runs_with_different_state_files_cannot_share_an_output_directory(
    tmp_path: Path,
) -> None:
    """Cron in one directory, a manual run in another: each has its own ./.oura_state.json,
    but both write the same CSVs. The second must wait its turn, naming the first."""
    data = tmp_path / "data"
    cron_dir, manual_dir = tmp_path / "cron", tmp_path / "manual"
    cron_dir.mkdir()
    manual_dir.mkdir()
    with FakeOura(history(), token=TOKEN, latency=3.0) as api:
        command = [sys.executable, "-m", "oura_stats", "fetch", "--base-url", api.url]
        command += ["--token", TOKEN, "--output-dir", str(data), "--categories", "tag"]
        command += ["--state-file", ".oura_state.json"]  # relative: one in each directory
        first = subprocess.Popen(command, cwd=cron_dir, env=_cli_env(), stderr=subprocess.DEVNULL)
        try:
            _wait_for_pid(cron_dir / ".oura_state.json.lock", first.pid)
            second = subprocess.run(
                command, check=False, cwd=manual_dir, env=_cli_env(), capture_output=True, text=True
            )
        finally:
            first.wait(timeout=120)
    assert first.returncode == 0
    assert second.returncode == 1
    assert "Traceback" not in second.stderr
    assert f"another oura-stats run (pid {first.pid})" in second.stderr
    assert f"output directory {data}" in second.stderr
    assert not (manual_dir / ".oura_state.json").exists()  # it did nothing at all


def test_second_run_names_the_pid_holding_the_output_directory(
    api: FakeOura, ws: Workspace
) -> None:
    ws.data.mkdir(parents=True)
    with RunLock.for_run(ws.data, ws.root / "another-state.json"):
        result = fetch(api, ws, "--categories", "tag")
    assert result.returncode == 1
    assert f"(pid {os.getpid()})" in result.stderr
    assert api.requests == []


def test_lock_is_released_for_the_next_run_and_when_one_lock_is_busy(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    (tmp_path / "elsewhere").mkdir()
    with RunLock.for_run(tmp_path, state):
        pass
    with RunLock.for_run(tmp_path, state), pytest.raises(LockBusyError, match="state file"):
        RunLock.for_run(tmp_path / "elsewhere", state).acquire()
    other = RunLock.for_run(tmp_path / "elsewhere", state)
    with RunLock.for_run(tmp_path, tmp_path / "other.json"), pytest.raises(LockBusyError):
        RunLock.for_run(tmp_path, state).acquire()
    with other:  # nothing was left held by the failed attempts
        pass


def test_a_second_resource_can_join_the_lock(tmp_path: Path) -> None:
    extra = [Resource.file(tmp_path / "mirror.sqlite", "database")]
    with RunLock.for_run(tmp_path, tmp_path / "s.json", extra):
        other_dir = tmp_path / "other"
        other_dir.mkdir()
        with pytest.raises(LockBusyError, match="database"):
            RunLock.for_run(other_dir, other_dir / "s.json", extra).acquire()


def test_lock_file_that_is_a_symlink_is_refused_and_its_target_kept(
    api: FakeOura, ws: Workspace
) -> None:
    ws.root.mkdir(exist_ok=True)
    precious = ws.root / "precious.txt"
    precious.write_text("do not truncate me\n")
    (ws.root / "state.json.lock").symlink_to(precious)
    result = fetch(api, ws, "--categories", "tag")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "is a symbolic link" in result.stderr
    assert precious.read_text() == "do not truncate me\n"
    assert api.requests == []


def test_dangling_symlink_is_not_created_through(tmp_path: Path) -> None:
    target = tmp_path / "created-through-link"
    (tmp_path / "s.json.lock").symlink_to(target)
    with pytest.raises(ConfigError, match="symbolic link"):
        RunLock.for_run(tmp_path, tmp_path / "s.json").acquire()
    assert not target.exists()


def test_output_directory_reached_through_a_symlink_shares_the_lock(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    busy = rf"pid {os.getpid()}\).*output directory"
    with (
        RunLock.for_run(tmp_path / "real", tmp_path / "a.json"),
        pytest.raises(LockBusyError, match=busy),
    ):
        RunLock.for_run(tmp_path / "alias", tmp_path / "b.json").acquire()
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == []  # nothing added


def test_lock_descriptor_is_not_inherited_by_children(tmp_path: Path) -> None:
    with RunLock.for_run(tmp_path, tmp_path / "s.json") as lock:
        lock_file = lock.resources[-1].lock_path
        inherited = subprocess.run(
            ["ls", "-l", "/proc/self/fd/"], capture_output=True, text=True, check=True
        ).stdout
    assert str(lock_file) not in inherited


def test_readme_says_the_lock_covers_the_output_directory() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## State file")[1].split("## Exit codes")[0]
    assert "whatever state files they were given" in section
    assert "lock on its output directory" in section
