"""Portals: a new user's login with the README's commands, and the wrong portal explained.

Everything runs the real CLI against the fake OAuth server (tests/fake_oauth.py), which
serves both portals at their real paths; only the host differs, set through the URL
environment variables the README documents.
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import TODAY, history
from fake_oauth import (
    CLIENT_ID,
    CLIENT_SECRET,
    NEW_PORTAL_TOKEN_PATH,
    TOKEN_PATH,
    FakeOAuth,
    logged_in,
)

from oura_stats.auth.credentials import load_credentials
from oura_stats.auth.portals import NEW
from oura_stats.demo.server import FakeOura

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")

# Stands in for the person's browser: webbrowser waits for the command, so it returns at
# once and a detached child follows the consent URL (the fake approves and redirects to
# the login listener, as a click on "Allow" would).
BROWSER = """#!{python}
import subprocess, sys
if sys.argv[1] != "--child":
    subprocess.Popen([sys.executable, __file__, "--child", sys.argv[1]],
                     start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
else:
    import requests
    requests.get(sys.argv[2], timeout=30)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _env(tmp_path: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OURA_", "XDG_"))}
    env.pop("BROWSER", None)
    env["HOME"] = str(tmp_path / "home")  # never the real ~/.config
    env.update(extra)
    return env


def cli(tmp_path: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oura_stats", *args],
        cwd=REPO,
        env=_env(tmp_path, env),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def browser(tmp_path: Path) -> str:
    path = tmp_path / "browser"
    path.write_text(BROWSER.format(python=sys.executable))
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def api() -> Iterator[FakeOura]:
    with FakeOura(history(), today=TODAY, token="unused") as server:
        yield server


def readme_desktop_login() -> tuple[dict[str, str], list[str]]:
    """The README's first-login block: the variables it exports and the command it runs."""
    block = re.search(r"### 2\. First login on a desktop\n\n```sh\n(.*?)```", README, re.S)
    assert block, "the README lost its first-login block"
    exported: dict[str, str] = {}
    command: list[str] = []
    for line in block.group(1).splitlines():
        words = shlex.split(line)
        if words[:1] == ["export"]:
            name, _, value = words[1].partition("=")
            exported[name] = value
        elif words:
            command = words
    return exported, command


def test_a_new_user_logs_in_with_the_readmes_commands_and_the_new_portal_defaults(
    tmp_path: Path, api: FakeOura
) -> None:
    assert "https://developer.ouraring.com/applications" in README
    assert "http://localhost:8765/callback" in README
    exported, command = readme_desktop_login()
    assert set(exported) == {"OURA_CLIENT_ID", "OURA_CLIENT_SECRET"}
    assert command == ["oura-stats", "auth", "login"]
    with FakeOAuth(portal="new") as oauth:  # an application from developer.ouraring.com
        api.token_check = oauth.is_valid_access_token
        env = {
            "OURA_CLIENT_ID": CLIENT_ID,
            "OURA_CLIENT_SECRET": CLIENT_SECRET,
            "BROWSER": browser(tmp_path),
            **oauth.url_env("new"),  # Oura's paths, on the fake's host
        }
        port = str(free_port())  # 8765 may be busy on a shared test machine
        login = cli(tmp_path, *command[1:], "--port", port, env=env)
        assert login.returncode == 0, login.stderr
        asked = oauth.authorize_requests[0]
        status = cli(tmp_path, "auth", "status", "--base-url", api.url, env=env)
        data = tmp_path / "data"
        fetch = cli(
            tmp_path, "fetch", "--base-url", api.url, "--output-dir", str(data),
            "--state-file", str(tmp_path / "state.json"), "--categories", "daily_sleep,tag",
            env=env,
        )  # fmt: skip
        calls = [call.path for call in oauth.calls]
    assert asked["redirect_uri"] == f"http://localhost:{port}/callback"
    assert asked["scope"].split() == [f"extapi:{name}" for name in NEW.default_scopes]
    assert calls == [NEW_PORTAL_TOKEN_PATH]
    credentials_file = tmp_path / "home" / ".config" / "oura-stats" / "credentials.json"
    saved = load_credentials(credentials_file)
    assert saved.portal_name == "new"
    assert stat.S_IMODE(credentials_file.stat().st_mode) == 0o600
    assert "lacks the scope" not in login.stderr
    assert status.returncode == 0, status.stderr
    assert "portal:           new\n" in status.stdout
    assert "not covered" not in status.stdout
    assert fetch.returncode == 0, fetch.stderr
    assert (data / "daily_sleep.csv").stat().st_size > 0


def _manual_login(
    tmp_path: Path,
    oauth: FakeOAuth,
    portal: str,
    *extra: str,
    variables: dict[str, str] | None = None,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """`auth login --manual` with the redirect the fake answers pasted in."""
    creds = tmp_path / "credentials.json"
    env = _env(
        tmp_path,
        {
            "OURA_CLIENT_ID": CLIENT_ID,
            "OURA_CLIENT_SECRET": CLIENT_SECRET,
            "OURA_CREDENTIALS_FILE": str(creds),
            **oauth.url_env(portal),
            **(variables or {}),
        },
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "oura_stats", "auth", "login", "--manual", *extra],
        cwd=REPO, env=env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if env["OURA_AUTH_URL"] + "?" in line:
            break
    approval = requests.get(seen[-1].strip(), allow_redirects=False, timeout=10)
    stdout, rest = process.communicate(approval.headers["Location"] + "\n", timeout=60)
    result = subprocess.CompletedProcess(
        process.args, process.returncode, stdout, "".join(seen) + rest
    )
    return result, creds


def test_a_legacy_application_at_the_new_portal_is_told_to_try_legacy(tmp_path: Path) -> None:
    with FakeOAuth(portal="legacy") as oauth:
        result, creds = _manual_login(tmp_path, oauth, "new")
    assert result.returncode == 1
    error = result.stderr.strip().splitlines()[-1]
    assert "invalid_client" in error
    assert "--portal legacy" in error
    assert not creds.exists()
    assert oauth.calls == []  # no code was issued, none spent


def test_a_new_application_at_the_legacy_portal_is_told_to_try_new(tmp_path: Path) -> None:
    with FakeOAuth(portal="new") as oauth:
        result, creds = _manual_login(tmp_path, oauth, "legacy", "--portal", "legacy")
        calls = [(call.path, call.error) for call in oauth.calls]
    assert result.returncode == 1
    error = result.stderr.strip().splitlines()[-1]
    assert "invalid_client" in error
    assert "--portal new" in error
    assert calls == [(TOKEN_PATH, "invalid_client")]  # asked once: the code is not resent
    assert not creds.exists()


def test_prefixed_scope_names_at_the_legacy_portal_are_told_to_try_new(tmp_path: Path) -> None:
    with FakeOAuth() as oauth:
        result, _ = _manual_login(
            tmp_path, oauth, "legacy", "--portal", "legacy", "--scope-prefix", "extapi:"
        )
    assert result.returncode == 1
    assert "invalid_scope" in result.stderr
    assert "--portal new" in result.stderr


def test_portal_from_the_environment_switches_endpoints_and_scope_names(tmp_path: Path) -> None:
    with FakeOAuth(portal="legacy") as oauth:
        result, creds = _manual_login(
            tmp_path, oauth, "legacy", variables={"OURA_PORTAL": "legacy"}
        )
        asked = oauth.authorize_requests[0]["scope"].split()
    assert result.returncode == 0, result.stderr
    assert "email" in asked and "extapi:daily" not in asked
    assert load_credentials(creds).portal_name == "legacy"


@pytest.mark.parametrize(
    ("token_path", "shown"), [(NEW_PORTAL_TOKEN_PATH, "new"), (TOKEN_PATH, "legacy")]
)
def test_credentials_saved_without_a_portal_keep_working_and_status_infers_it(
    tmp_path: Path, api: FakeOura, token_path: str, shown: str
) -> None:
    creds = tmp_path / "old.json"
    with FakeOAuth() as oauth:
        api.token_check = oauth.is_valid_access_token
        logged_in(oauth, creds, token_url=oauth.url + token_path, scopes=("daily", "personal"))
        oauth.expire_access_tokens()  # the next request refreshes at the saved endpoint
        env = {"OURA_CREDENTIALS_FILE": str(creds)}
        status = cli(tmp_path, "auth", "status", "--base-url", api.url, env=env)
        refreshed_at = [call.path for call in oauth.calls]
    assert status.returncode == 0, status.stderr
    assert f"portal:           {shown} (inferred from the token endpoint)" in status.stdout
    assert refreshed_at == [token_path]
    assert '"portal"' not in creds.read_text()  # a refresh keeps the file as it was


def test_status_names_the_categories_a_grant_lacks_and_how_to_add_scopes(
    tmp_path: Path, api: FakeOura
) -> None:
    creds = tmp_path / "c.json"
    with FakeOAuth() as oauth:
        api.token_check = oauth.is_valid_access_token
        logged_in(oauth, creds, scopes=("extapi:daily", "extapi:personal"), portal="new")
        status = cli(tmp_path, "auth", "status", "--base-url", api.url,
                     env={"OURA_CREDENTIALS_FILE": str(creds)})  # fmt: skip
    assert status.returncode == 0, status.stderr
    line = next(line for line in status.stdout.splitlines() if line.startswith("not covered"))
    assert "heartrate" in line and "daily_resilience" in line
    assert "daily_sleep" not in line
    assert "only a new consent" in line and "auth login" in line


def test_logout_revokes_a_new_portal_grant_at_its_revoke_endpoint(tmp_path: Path) -> None:
    creds = tmp_path / "c.json"
    with FakeOAuth(portal="new") as oauth:
        written = logged_in(oauth, creds, token_url=oauth.new_portal_token_url, portal="new")
        result = cli(tmp_path, "auth", "logout", env={"OURA_CREDENTIALS_FILE": str(creds)})
        alive = oauth.is_current_refresh_token(written.refresh_token)
        refreshes = oauth.refreshes
    assert result.returncode == 0, result.stderr
    assert oauth.revocations == 1
    assert not alive
    assert refreshes == 0  # the refresh token itself is revoked: no refresh first
    assert not creds.exists()


def test_plain_scope_names_at_the_new_portal_are_not_granted_and_the_loss_is_named(
    tmp_path: Path,
) -> None:
    with FakeOAuth(portal="new") as oauth:
        result, creds = _manual_login(
            tmp_path, oauth, "new", "--scope-prefix", "", variables={"OURA_SCOPE_PREFIX": ""}
        )
        asked = oauth.authorize_requests[0]["scope"].split()
    assert result.returncode == 0, result.stderr
    assert asked == list(NEW.default_scopes)  # the override is honoured …
    warning = next(line for line in result.stderr.splitlines() if "lacks the scope" in line)
    assert "daily_sleep" in warning and "heartrate" in warning  # … and what it cost is said
    assert "only a new consent" in warning
    assert load_credentials(creds).scopes == ()
