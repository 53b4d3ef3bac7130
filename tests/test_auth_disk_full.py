"""A full disk never costs the login: the room for rotated tokens is taken before a refresh.

Oura's refresh tokens are single-use. If the new pair could not be saved after a refresh,
the old token would be spent and the person would have to log in again. These tests fill
the disk (a tiny tmpfs when running as root, an injected OSError everywhere) and check
that nothing is refreshed, the run stops with one line, and the next run after space is
back works with the same credentials.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_oauth import FakeOAuth, age_credentials, logged_in

from oura_stats.auth.credentials import load_credentials
from oura_stats.auth.provider import OAuthTokenProvider
from oura_stats.auth.reserve import CredentialsNotSaved
from oura_stats.demo.history import make_history
from oura_stats.demo.server import FakeOura

REPO = Path(__file__).resolve().parent.parent
TODAY = dt.datetime.now(dt.UTC).date()


@pytest.fixture
def oauth() -> Iterator[FakeOAuth]:
    with FakeOAuth() as server:
        yield server


@pytest.fixture
def api(oauth: FakeOAuth) -> Iterator[FakeOura]:
    data = make_history(3, end=TODAY)
    with FakeOura(data, token_check=oauth.is_valid_access_token, today=TODAY) as server:
        yield server


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs, unmounted afterwards (mounting needs root, as in CI)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "tiny"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(directory: Path) -> Path:
    """Write a file until the filesystem is full; it is the space to give back later."""
    filler = directory / "filler"
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"x" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def fetch(api: FakeOura, creds: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OURA_", "XDG_"))}
    env["HOME"] = str(tmp_path / "home")
    command = [
        sys.executable, "-m", "oura_stats", "fetch", "--base-url", api.url,
        "--credentials-file", str(creds), "--categories", "daily_sleep,tag",
        "--output-dir", str(tmp_path / "data"), "--state-file", str(tmp_path / "state.json"),
    ]  # fmt: skip
    return subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=90, check=False
    )


def test_full_disk_stops_before_the_refresh_and_the_next_run_needs_no_login(
    oauth: FakeOAuth, api: FakeOura, tiny_fs: Path, tmp_path: Path
) -> None:
    creds = tiny_fs / "oura-stats" / "credentials.json"
    written = logged_in(oauth, creds)
    age_credentials(creds, 10_000)  # expired: the run must refresh first
    before = creds.read_bytes()
    filler = fill(tiny_fs)

    full = fetch(api, creds, tmp_path)

    assert full.returncode == 1, full.stderr
    assert "Traceback" not in full.stderr
    errors = [line for line in full.stderr.splitlines() if line.startswith("oura-stats: error")]
    assert len(errors) == 1, full.stderr
    assert "not refreshed" in errors[0] and "stays valid" in errors[0]
    assert str(creds) in errors[0]
    assert oauth.calls == []  # the single-use refresh token was never sent
    assert oauth.is_current_refresh_token(written.refresh_token)
    assert creds.read_bytes() == before
    assert sorted(p.name for p in creds.parent.iterdir()) == [
        "credentials.json",
        "credentials.json.lock",
    ]

    filler.unlink()  # space is back: the next unattended run just works
    again = fetch(api, creds, tmp_path)

    assert again.returncode == 0, again.stderr
    assert oauth.refreshes == 1
    saved = load_credentials(creds)
    assert saved.refresh_token != written.refresh_token
    assert oauth.is_current_refresh_token(saved.refresh_token)
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    assert (tmp_path / "data" / "daily_sleep.csv").exists()


def test_injected_write_failure_refreshes_nothing_then_recovers(
    oauth: FakeOAuth, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = tmp_path / "config" / "credentials.json"
    written = logged_in(oauth, creds)
    age_credentials(creds, 10_000)
    before = creds.read_bytes()
    provider = OAuthTokenProvider(creds)
    real_fsync = os.fsync

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(CredentialsNotSaved, match="No space left on device") as failure:
        provider.access_token()
    monkeypatch.setattr(os, "fsync", real_fsync)

    assert "\n" not in str(failure.value)
    assert oauth.calls == []
    assert oauth.is_current_refresh_token(written.refresh_token)
    assert creds.read_bytes() == before
    assert [p.name for p in creds.parent.iterdir() if p.name.endswith(".tmp")] == []

    token = provider.access_token()
    assert oauth.is_valid_access_token(token)
    assert oauth.refreshes == 1
    assert load_credentials(creds).access_token == token


def test_a_reservation_left_by_a_killed_refresh_is_cleared_at_the_next(
    oauth: FakeOAuth, tmp_path: Path
) -> None:
    creds = tmp_path / "config" / "credentials.json"
    logged_in(oauth, creds)
    age_credentials(creds, 10_000)
    leftover = creds.parent / ".credentials.json.abc123.tmp"
    leftover.write_bytes(b" " * 8192)
    OAuthTokenProvider(creds).access_token()
    assert not leftover.exists()
    assert oauth.refreshes == 1
