"""`oura-stats fetch`/`service` with OAuth2 credentials, end to end over real HTTP.

The API fake accepts exactly the access tokens the OAuth fake has issued and not expired.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
import requests
from fake_oauth import CLIENT_ID, CLIENT_SECRET, FakeOAuth, age_credentials, logged_in

from oura_stats.auth.credentials import load_credentials
from oura_stats.demo.history import make_history
from oura_stats.demo.server import FakeOura

REPO = Path(__file__).resolve().parent.parent
CATEGORIES = "personal_info,daily_sleep,heartrate"
TODAY = dt.datetime.now(dt.UTC).date()


@pytest.fixture
def oauth() -> Iterator[FakeOAuth]:
    with FakeOAuth() as server:
        yield server


@pytest.fixture
def api(oauth: FakeOAuth) -> Iterator[FakeOura]:
    data = make_history(4, end=TODAY)
    with FakeOura(data, token_check=oauth.is_valid_access_token, today=TODAY) as server:
        yield server


@pytest.fixture
def creds(tmp_path: Path) -> Path:
    return tmp_path / "config" / "credentials.json"


def _env(tmp_path: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OURA_", "XDG_"))}
    env["HOME"] = str(tmp_path / "home")
    env.update(extra or {})
    return env


def _command(
    name: str, api: FakeOura, oauth: FakeOAuth, creds: Path, tmp_path: Path, *extra: str
) -> list[str]:
    return [
        sys.executable, "-m", "oura_stats", name,
        "--base-url", api.url,
        "--output-dir", str(tmp_path / "data"),
        "--state-file", str(tmp_path / "state.json"),
        "--categories", CATEGORIES,
        "--credentials-file", str(creds),
        "--token-url", oauth.token_url,
        *extra,
    ]  # fmt: skip


def fetch(
    api: FakeOura, oauth: FakeOAuth, creds: Path, tmp_path: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command("fetch", api, oauth, creds, tmp_path, *extra),
        cwd=REPO,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def rejected_requests(api: FakeOura) -> int:
    return sum(1 for request in api.requests if request.status == 401)


def test_three_unattended_runs_in_a_row_across_expiries(
    oauth: FakeOAuth, api: FakeOura, creds: Path, tmp_path: Path
) -> None:
    logged_in(oauth, creds)

    first = fetch(api, oauth, creds, tmp_path)
    assert first.returncode == 0, first.stderr
    assert oauth.refreshes == 0

    # A day later: the file says the token has expired, so it is refreshed before use.
    age_credentials(creds, 86_400)
    oauth.expire_access_tokens()
    second = fetch(api, oauth, creds, tmp_path)
    assert second.returncode == 0, second.stderr
    assert oauth.refreshes == 1
    assert rejected_requests(api) == 0

    # The server drops the token early: one 401, one refresh, the run carries on.
    oauth.expire_access_tokens()
    third = fetch(api, oauth, creds, tmp_path)
    assert third.returncode == 0, third.stderr
    assert oauth.refreshes == 2
    assert rejected_requests(api) >= 1
    assert oauth.rejected_refreshes == 0

    saved = load_credentials(creds)
    assert oauth.is_valid_access_token(saved.access_token)
    assert oauth.is_current_refresh_token(saved.refresh_token)
    assert (tmp_path / "data" / "daily_sleep.csv").exists()


def test_runs_with_really_short_lived_tokens(api: FakeOura, creds: Path, tmp_path: Path) -> None:
    with FakeOAuth(expires_in=2) as oauth:
        api.token_check = oauth.is_valid_access_token
        logged_in(oauth, creds)
        for _ in range(3):
            age_credentials(creds, 2)  # as if cron woke up after the token's lifetime
            result = fetch(api, oauth, creds, tmp_path)
            assert result.returncode == 0, result.stderr
        assert oauth.refreshes >= 3
        assert oauth.rejected_refreshes == 0


def test_no_token_or_secret_in_verbose_output(
    oauth: FakeOAuth, api: FakeOura, creds: Path, tmp_path: Path
) -> None:
    logged_in(oauth, creds)
    age_credentials(creds, 86_400)  # a proactive refresh …
    first = fetch(api, oauth, creds, tmp_path, "-v")
    oauth.expire_access_tokens()  # … and one after a 401
    second = fetch(api, oauth, creds, tmp_path, "-v")
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert oauth.refreshes == 2
    output = first.stdout + first.stderr + second.stdout + second.stderr
    assert "refreshed the Oura access token" in output
    for secret in oauth.secrets():
        assert secret not in output


def test_revoked_credentials_fail_the_run_with_one_relogin_line(
    oauth: FakeOAuth, api: FakeOura, creds: Path, tmp_path: Path
) -> None:
    logged_in(oauth, creds)
    age_credentials(creds, 86_400)
    oauth.revoke_all()
    result = fetch(api, oauth, creds, tmp_path)
    assert result.returncode == 1
    relogin = [line for line in result.stderr.splitlines() if "no longer valid" in line]
    assert relogin
    assert "run `oura-stats auth login` again" in relogin[-1]
    assert creds.exists()  # never deleted on our own


def test_fetch_without_token_or_credentials_is_a_usage_error(
    oauth: FakeOAuth, api: FakeOura, tmp_path: Path
) -> None:
    command = _command("fetch", api, oauth, tmp_path / "x", tmp_path)
    del command[command.index("--credentials-file") : command.index("--credentials-file") + 2]
    result = subprocess.run(
        command,
        cwd=REPO,
        env=_env(tmp_path, {"XDG_CONFIG_HOME": str(tmp_path / "empty")}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "auth login" in result.stderr


def test_missing_named_credentials_file_is_a_usage_error(
    oauth: FakeOAuth, api: FakeOura, tmp_path: Path
) -> None:
    result = fetch(api, oauth, tmp_path / "missing.json", tmp_path)
    assert result.returncode == 2
    assert "missing.json" in result.stderr


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def test_service_survives_dead_credentials_and_resumes_after_a_new_login(
    oauth: FakeOAuth, api: FakeOura, creds: Path, tmp_path: Path
) -> None:
    logged_in(oauth, creds)
    age_credentials(creds, 86_400)
    oauth.revoke_all()
    interval_hours = str(2.0 / 3600)  # two seconds between rounds
    command = _command("service", api, oauth, creds, tmp_path)
    command += ["--max-runs", "2", "--interval-hours", interval_hours]
    process = subprocess.Popen(
        command, cwd=REPO, env=_env(tmp_path), stderr=subprocess.PIPE, text=True
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stderr is not None
    stderr = process.stderr
    threading.Thread(target=_pump, args=(stderr, lines), daemon=True).start()
    seen: list[str] = []
    while not any("no longer valid" in line for line in seen):
        seen.append(lines.get(timeout=30))
    logged_in(oauth, creds)  # the user logs in again while the service waits
    assert process.wait(timeout=30) == 0, "".join(seen)
    stderr.close()
    assert creds.exists()
    assert (tmp_path / "data" / "daily_sleep.csv").exists()


def _oura_stats(
    tmp_path: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oura_stats", *args],
        cwd=REPO,
        env=_env(tmp_path, env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("portal", ["new", "legacy"])
def test_login_status_logout_through_the_real_cli_show_no_secret_at_verbose(
    oauth: FakeOAuth, api: FakeOura, creds: Path, tmp_path: Path, portal: str
) -> None:
    oauth.client_portals[CLIENT_ID] = portal
    env = {
        "OURA_CLIENT_ID": CLIENT_ID,
        "OURA_CLIENT_SECRET": CLIENT_SECRET,
        "OURA_CREDENTIALS_FILE": str(creds),
        "OURA_PORTAL": portal,
        **oauth.url_env(portal),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "oura_stats", "auth", "login", "--manual", "-v"],
        cwd=REPO,
        env=_env(tmp_path, env),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    url = next(line.strip() for line in process.stderr if env["OURA_AUTH_URL"] + "?" in line)
    with requests.get(url, allow_redirects=False, timeout=10) as approval:
        redirected = approval.headers["Location"]
    stdout, rest = process.communicate(redirected + "\n", timeout=30)
    assert process.returncode == 0, rest
    status = _oura_stats(tmp_path, "auth", "status", "-v", "--base-url", api.url, env=env)
    assert status.returncode == 0, status.stderr
    assert load_credentials(creds).client_id in status.stdout
    assert f"portal:           {portal}\n" in status.stdout
    logout = _oura_stats(tmp_path, "auth", "logout", "-v", env=env)
    assert logout.returncode == 0, logout.stderr
    assert oauth.revocations == 1
    assert not creds.exists()
    output = url + stdout + rest + status.stdout + status.stderr + logout.stdout + logout.stderr
    for secret in oauth.secrets():
        assert secret not in output
