"""A full disk or a read-only file system while saving: one line, exit 1, nothing lost.

Every CSV stays whole, the state stays valid and claims nothing the CSVs lack, and once
space is back the next run completes the job. The real thing is a tiny tmpfs (mounted when
the tests run as root, as in CI); injected errors cover the rest everywhere.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import json
import logging
import os
import subprocess
import tempfile
import threading
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import TODAY, TOKEN, Workspace, fetch, history
from test_crash import check_consistent

from oura_stats.api.categories import select
from oura_stats.api.tokens import StaticToken
from oura_stats.demo.history import revise
from oura_stats.demo.server import FakeOura
from oura_stats.errors import EXIT_FAILED, EXIT_OK
from oura_stats.run.rounds import Settings, run_round
from oura_stats.run.service import run_forever
from oura_stats.store import atomic

CATEGORIES = "daily_sleep,daily_activity,tag,workout"


def _change_upstream(api: FakeOura) -> None:
    """News in every category, so that every CSV and the state must be rewritten."""
    for name in CATEGORIES.split(","):
        newest = copy.deepcopy(api.data[name][-1])
        api.upsert_document(name, revise(newest) if name != "tag" else {**newest, "text": "x"})
        api.upsert_document(name, {**newest, "id": f"{name}-added-later"})


def _csv_bytes(ws: Workspace) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(ws.data.glob("*.csv"))}


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "error:" in line]


@contextlib.contextmanager
def tiny_filesystem(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def _fill(disk: Path, leave: int) -> Path:
    """Fill the file system up to `leave` bytes of free space."""
    filler = disk / "filler"
    with filler.open("wb") as handle:
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        with contextlib.suppress(OSError):
            handle.write(b"\0" * max(0, free - leave))
            handle.flush()
            os.fsync(handle.fileno())
    return filler


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root (CI runs as root)")
@pytest.mark.parametrize("leave", [0, 6 << 10], ids=["full", "room-for-the-state-only"])
def test_full_disk_fails_the_round_in_one_line_per_file_and_loses_nothing(
    api: FakeOura, tmp_path: Path, leave: int
) -> None:
    reference = Workspace(tmp_path / "reference")
    with tiny_filesystem(tmp_path / "disk", "2m") as disk:
        ws = Workspace(disk)
        assert fetch(api, ws, "--categories", CATEGORIES).returncode == 0
        assert fetch(api, reference, "--categories", CATEGORIES).returncode == 0
        before, state_before = _csv_bytes(ws), ws.state.read_bytes()
        _change_upstream(api)
        filler = _fill(disk, leave)

        result = fetch(api, ws, "--categories", CATEGORIES)
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        lines = _error_lines(result.stderr)
        assert lines, result.stderr
        assert all("No space left on device" in line for line in lines), result.stderr
        assert len(lines) <= len(CATEGORIES.split(",")) + 1  # one per CSV, one for the state
        check_consistent(ws)  # whole CSVs; the state claims nothing they lack
        state = json.loads(ws.state.read_text())
        old = json.loads(state_before)["categories"]
        if leave == 0:  # nothing could be written at all
            assert _csv_bytes(ws) == before
            assert ws.state.read_bytes() == state_before
        else:  # the small files fit, the large ones failed and say so in the state
            failed = [n for n in CATEGORIES.split(",") if "last_error" in state["categories"][n]]
            assert failed
            for name in failed:
                assert state["categories"][name]["cursor"] == old[name]["cursor"]
                assert (ws.data / f"{name}.csv").read_bytes() == before[f"{name}.csv"]
                assert "No space left" in state["categories"][name]["last_error"]["message"]

        filler.unlink()
        result = fetch(api, ws, "--categories", CATEGORIES)
        assert result.returncode == 0, result.stderr
        assert fetch(api, reference, "--categories", CATEGORIES).returncode == 0
        assert _csv_bytes(ws) == _csv_bytes(reference)
        check_consistent(ws)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root (CI runs as root)")
def test_read_only_file_system_mid_service_fails_the_round_and_the_next_one_works(
    api: FakeOura, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with tiny_filesystem(tmp_path / "disk", "4m") as disk:
        settings = _settings(api, disk)
        assert run_round(settings, StaticToken(TOKEN), threading.Event()) == EXIT_OK
        _change_upstream(api)
        rounds = 0

        def round_() -> int:
            nonlocal rounds
            rounds += 1
            if rounds == 1:
                subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
            try:
                return run_round(settings, StaticToken(TOKEN), threading.Event())
            finally:
                if rounds == 1:
                    subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)

        with caplog.at_level(logging.ERROR):
            last = run_forever(round_, interval_seconds=0, stop=threading.Event(), max_runs=2)
        assert rounds == 2
        assert last == EXIT_OK
        failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(failures) == 1
        assert "round failed" in failures[0]
        assert "Read-only file system" in failures[0]
        ws = Workspace(disk)
        assert any(row["id"] == "tag-added-later" for row in ws.csv("tag"))
        check_consistent(ws)


# injected errors ----------------------------------------------------------------------------


def _settings(api: FakeOura, root: Path) -> Settings:
    return Settings(
        base_url=api.url,
        output_dir=root / "data",
        state_path=root / "state.json",
        categories=select([CATEGORIES]),
        start=None,
        end=None,
        lookback_days=3,
        sandbox=False,
        concurrency=2,
    )


class FailingWrites:
    """Makes the atomic writer fail for chosen file names, as a full disk would."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: set[str] = set()
        self.code = errno.ENOSPC
        real = tempfile.mkstemp

        def mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
            prefix = str(kwargs.get("prefix", ""))
            if any(prefix == f".{name}." for name in self.names):
                raise OSError(self.code, os.strerror(self.code))
            return real(*args, **kwargs)

        fake = types.SimpleNamespace(mkstemp=mkstemp)
        monkeypatch.setattr(atomic, "tempfile", fake)


@pytest.fixture
def failing(monkeypatch: pytest.MonkeyPatch) -> FailingWrites:
    return FailingWrites(monkeypatch)


def test_state_that_cannot_be_saved_is_one_line_and_exit_1(
    api: FakeOura, tmp_path: Path, failing: FailingWrites, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(api, tmp_path)
    assert run_round(settings, StaticToken(TOKEN), threading.Event()) == EXIT_OK
    state_before = settings.state_path.read_bytes()
    _change_upstream(api)
    failing.names = {"state.json"}
    with caplog.at_level(logging.ERROR):
        assert run_round(settings, StaticToken(TOKEN), threading.Event()) == EXIT_FAILED
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert f"cannot save the state file {settings.state_path}: No space left" in errors[0]
    assert settings.state_path.read_bytes() == state_before  # the CSVs moved on, it did not
    check_consistent(Workspace(tmp_path))
    failing.names = set()
    assert run_round(settings, StaticToken(TOKEN), threading.Event()) == EXIT_OK
    state = json.loads(settings.state_path.read_text())
    assert all("last_error" not in entry for entry in state["categories"].values())


def test_csv_on_a_read_only_file_system_fails_only_its_category(
    api: FakeOura, tmp_path: Path, failing: FailingWrites, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(api, tmp_path)
    assert run_round(settings, StaticToken(TOKEN), threading.Event()) == EXIT_OK
    tag_before = (tmp_path / "data" / "tag.csv").read_bytes()
    _change_upstream(api)
    failing.names, failing.code = {"tag.csv"}, errno.EROFS
    with caplog.at_level(logging.ERROR):
        assert run_round(settings, StaticToken(TOKEN), threading.Event()) == EXIT_FAILED
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [
        f"tag: could not merge into {tmp_path / 'data' / 'tag.csv'}: Read-only file system"
    ]
    assert (tmp_path / "data" / "tag.csv").read_bytes() == tag_before
    rows = Workspace(tmp_path).csv("workout")
    assert any(row["id"] == "workout-added-later" for row in rows)  # the others were saved
    check_consistent(Workspace(tmp_path))


def test_service_logs_a_round_that_could_not_save_and_carries_on(
    api: FakeOura, tmp_path: Path, failing: FailingWrites, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(api, tmp_path)
    failing.names = {"state.json", *(f"{name}.csv" for name in CATEGORIES.split(","))}
    codes: list[int] = []

    def round_() -> int:
        codes.append(run_round(settings, StaticToken(TOKEN), threading.Event()))
        failing.names = set()  # space is back for the next round
        return codes[-1]

    with caplog.at_level(logging.ERROR):
        last = run_forever(round_, interval_seconds=0, stop=threading.Event(), max_runs=2)
    assert codes == [EXIT_FAILED, EXIT_OK]
    assert last == EXIT_OK
    assert len(Workspace(tmp_path).csv("daily_sleep")) == len(history()["daily_sleep"])
    assert (
        TODAY.isoformat()
        >= json.loads(settings.state_path.read_text())["categories"]["daily_sleep"]["cursor"]
    )
