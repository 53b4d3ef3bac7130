"""`auth login` (listener and manual), `auth status`, `auth logout`, run as real processes.

The commands are driven through `cli.auth_args.add_auth_command` in a minimal argparse harness,
with every logger (urllib3 included) at DEBUG under -v, so any leaked secret would show.
"""

from __future__ import annotations

import json
import os
import queue
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from fake_oauth import (
    CLIENT_ID,
    CLIENT_SECRET,
    NEW_PORTAL_TOKEN_PATH,
    TOKEN_PATH,
    FakeOAuth,
    age_credentials,
    logged_in,
)

from oura_stats.auth import login as oauth_login
from oura_stats.auth import oauth
from oura_stats.auth.credentials import load_credentials
from oura_stats.auth.oauth import request_tokens, requested_scopes
from oura_stats.auth.portals import CLASSIC_SCOPES, NEW
from oura_stats.demo.server import FakeOura

REPO = Path(__file__).resolve().parent.parent

HARNESS = textwrap.dedent(
    """
    import argparse, logging, sys
    from oura_stats.cli.auth_args import add_auth_command
    from oura_stats.cli.common import log_level
    from oura_stats.errors import OuraStatsError

    parser = argparse.ArgumentParser(prog="oura-stats", allow_abbrev=False)
    add_auth_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(sys.argv[1:])
    level = log_level(args)
    logging.basicConfig(stream=sys.stderr, level=level, format="%(levelname)s %(name)s %(message)s")
    try:
        code = args.handler(args)
    except OuraStatsError as error:
        logging.debug("details", exc_info=True)
        print(f"oura-stats: error: {error}", file=sys.stderr)
        code = error.exit_code
    sys.exit(code)
    """
)


def _env(tmp_path: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OURA_", "XDG_"))}
    env["HOME"] = str(tmp_path / "home")  # never the real ~/.config
    env["OURA_CLIENT_SECRET"] = CLIENT_SECRET
    env.update(extra or {})
    return env


def run_auth(
    tmp_path: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", HARNESS, "auth", *args],
        cwd=REPO,
        env=_env(tmp_path, env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class LiveLogin:
    """`auth login` running in the background; its stderr is read line by line."""

    def __init__(self, tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HARNESS, "auth", "login", *args],
            cwd=REPO,
            env=_env(tmp_path, env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.pump = threading.Thread(target=self._pump, daemon=True)
        self.pump.start()

    def _pump(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)

    def wait_for_line(self, needle: str) -> str:
        while True:
            line = self.lines.get(timeout=20)
            self.seen.append(line)
            if needle in line:
                return line.strip()

    def finish(self, stdin: str = "") -> tuple[int, str, str]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(stdin)
        self.process.stdin.close()  # communicate() would race the pump for stderr
        with self.process.stdout:
            stdout = self.process.stdout.read()
        self.process.wait(timeout=30)
        self.pump.join(timeout=10)
        assert self.process.stderr is not None
        self.process.stderr.close()
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return self.process.returncode, stdout, "".join(self.seen)


@pytest.fixture
def fake() -> Iterator[FakeOAuth]:
    with FakeOAuth() as server:
        yield server


@pytest.fixture
def creds(tmp_path: Path) -> Path:
    return tmp_path / "creds" / "credentials.json"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def login_args(fake: FakeOAuth, creds: Path, port: int, *extra: str) -> list[str]:
    return [
        "--client-id", CLIENT_ID,
        "--auth-url", fake.new_authorize_url,
        "--token-url", fake.new_portal_token_url,
        "--credentials-file", str(creds),
        "--port", str(port),
        *extra,
    ]  # fmt: skip


def assert_no_secret(fake: FakeOAuth, *texts: str) -> None:
    for secret in fake.secrets():
        for text in texts:
            assert secret not in text


# --- login through the local listener -----------------------------------------------------


def test_login_through_the_local_listener_over_real_http(
    fake: FakeOAuth, creds: Path, tmp_path: Path
) -> None:
    port = free_port()
    login = LiveLogin(tmp_path, *login_args(fake, creds, port, "--no-browser", "-v"))
    redirect_line = login.wait_for_line("Redirect URI")
    assert redirect_line.endswith(f"http://localhost:{port}/callback")
    url = login.wait_for_line("oauth-authorize?")
    page = requests.get(url, timeout=10)  # the fake approves and redirects to the listener
    assert page.status_code == 200
    assert "authorised" in page.text
    code, stdout, stderr = login.finish()
    assert code == 0, stderr
    assert stdout == ""
    saved = load_credentials(creds)
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    assert saved.token_url == fake.new_portal_token_url
    assert saved.portal_name == "new"
    assert saved.client_id == CLIENT_ID
    assert saved.scopes == requested_scopes(None, NEW)
    assert fake.is_valid_access_token(saved.access_token)
    sent = fake.authorize_requests[0]
    assert sent["redirect_uri"] == f"http://localhost:{port}/callback"
    assert sent["scope"] == " ".join(requested_scopes(None, NEW))
    assert_no_secret(fake, stdout, stderr)


@pytest.mark.parametrize(
    "forged",
    [
        "code=stolen&state=wrong",
        "error=access_denied",  # no state at all: anyone could send it
        "error=access_denied&state=wrong",
    ],
)
def test_listener_ignores_a_callback_without_this_logins_state(
    fake: FakeOAuth, creds: Path, tmp_path: Path, forged: str
) -> None:
    port = free_port()
    login = LiveLogin(tmp_path, *login_args(fake, creds, port, "--no-browser"))
    url = login.wait_for_line("oauth-authorize?")
    refused = requests.get(f"http://127.0.0.1:{port}/callback?{forged}", timeout=10)
    assert refused.status_code == 400
    assert "ignored" in refused.text
    page = requests.get(url, timeout=10)  # the real approval still completes the login
    assert page.status_code == 200
    code, _, stderr = login.finish()
    assert code == 0, stderr
    assert "ignored a redirect" in stderr
    assert fake.is_valid_access_token(load_credentials(creds).access_token)


def _connect_when_listening(port: int) -> socket.socket:
    for _ in range(200):
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except ConnectionRefusedError:
            time.sleep(0.01)
    raise AssertionError(f"nothing listens on {port}")


def test_listener_is_not_stalled_by_an_idle_browser_connection(
    fake: FakeOAuth, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(oauth_login._CallbackHandler, "timeout", 0.3)
    port = free_port()
    request = oauth_login.LoginRequest(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scopes=("daily",),
        port=port,
        authorize_url=fake.authorize_url,
        token_urls=(fake.token_url,),
    )
    codes: list[str] = []
    listener = threading.Thread(
        target=lambda: codes.append(
            oauth_login.code_via_listener(request, open_browser=False, timeout=10)
        )
    )
    listener.start()
    with _connect_when_listening(port):  # a silent preconnect, like a browser's
        assert requests.get(request.authorization_url(), timeout=10).status_code == 200
    listener.join(timeout=10)
    assert codes and codes[0].startswith("code-")


def test_busy_port_is_a_usage_error(fake: FakeOAuth, creds: Path, tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_auth(tmp_path, "login", *login_args(fake, creds, port), "--no-browser")
    assert result.returncode == 2
    assert "--port" in result.stderr


# --- manual (headless) login --------------------------------------------------------------


def _approve(stderr_url: str) -> str:
    """What the user's browser ends up at: the redirect the fake answers with."""
    response = requests.get(stderr_url, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    return response.headers["Location"]


def test_manual_login_reads_the_redirected_url_from_stdin(
    fake: FakeOAuth, creds: Path, tmp_path: Path
) -> None:
    login = LiveLogin(tmp_path, *login_args(fake, creds, 8765, "--manual"))
    redirected = _approve(login.wait_for_line("oauth-authorize?"))
    assert redirected.startswith("http://localhost:8765/callback?")
    code, stdout, stderr = login.finish(redirected + "\n")
    assert code == 0, stderr
    assert stdout == ""
    assert "paste" in stderr
    assert fake.is_valid_access_token(load_credentials(creds).access_token)
    assert_no_secret(fake, stdout, stderr)


def test_manual_login_accepts_the_bare_code(fake: FakeOAuth, creds: Path, tmp_path: Path) -> None:
    login = LiveLogin(tmp_path, *login_args(fake, creds, 8765, "--manual"))
    redirected = _approve(login.wait_for_line("oauth-authorize?"))
    bare_code = parse_qs(urlsplit(redirected).query)["code"][0]
    code, _, stderr = login.finish(f"  {bare_code}  \n")
    assert code == 0, stderr
    assert creds.exists()


def test_manual_login_refuses_a_url_with_another_state(
    fake: FakeOAuth, creds: Path, tmp_path: Path
) -> None:
    login = LiveLogin(tmp_path, *login_args(fake, creds, 8765, "--manual"))
    redirected = _approve(login.wait_for_line("oauth-authorize?"))
    tampered = redirected.replace("state=", "state=x")
    code, _, stderr = login.finish(tampered + "\n")
    assert code == 1
    assert "state" in stderr
    assert not creds.exists()
    assert fake.code_exchanges == 0


def test_login_names_the_categories_lost_to_unticked_scopes(creds: Path, tmp_path: Path) -> None:
    with FakeOAuth(user_grants=set(NEW.default_scopes) - {"heartrate", "spo2"}) as fake:
        login = LiveLogin(tmp_path, *login_args(fake, creds, 8765, "--manual"))
        code, _, stderr = login.finish(_approve(login.wait_for_line("oauth-authorize?")) + "\n")
    assert code == 0, stderr
    warning = next(line for line in stderr.splitlines() if "lacks the scope" in line)
    assert "heartrate, spo2" in warning
    assert "daily_spo2" in warning
    assert "daily_sleep" not in warning
    assert "only a new consent" in warning
    assert "auth login" in warning
    assert "extapi:heartrate" not in load_credentials(creds).scopes


def test_login_with_the_legacy_portal_asks_for_plain_scope_names(
    creds: Path, tmp_path: Path
) -> None:
    with FakeOAuth(portal="legacy") as fake:
        args = login_args(fake, creds, 8765, "--manual", "--portal", "legacy")
        args[args.index("--auth-url") + 1] = fake.authorize_url
        args[args.index("--token-url") + 1] = fake.token_url
        login = LiveLogin(tmp_path, *args)
        code, _, stderr = login.finish(_approve(login.wait_for_line("/oauth/authorize?")) + "\n")
        asked = fake.authorize_requests[0]["scope"].split()
    assert code == 0, stderr
    assert asked == list(CLASSIC_SCOPES)
    assert load_credentials(creds).portal_name == "legacy"
    assert "lacks the scope" not in stderr


def test_scopes_all_asks_the_new_portal_for_everything_it_offers(
    creds: Path, tmp_path: Path
) -> None:
    with FakeOAuth() as fake:
        login = LiveLogin(tmp_path, *login_args(fake, creds, 8765, "--manual", "--scopes", "all"))
        code, _, stderr = login.finish(_approve(login.wait_for_line("oauth-authorize?")) + "\n")
        asked = fake.authorize_requests[0]["scope"].split()
    assert code == 0, stderr
    assert asked == [f"extapi:{name}" for name in NEW.all_scopes]
    assert "lacks the scope" not in stderr
    assert "probably unavailable" not in stderr


def test_refused_authorisation_fails_with_oauths_error(creds: Path, tmp_path: Path) -> None:
    with FakeOAuth(deny=True) as fake:
        login = LiveLogin(tmp_path, *login_args(fake, creds, 8765, "--manual"))
        code, _, stderr = login.finish(_approve(login.wait_for_line("oauth-authorize?")) + "\n")
    assert code == 1
    assert "access_denied" in stderr
    assert not creds.exists()


def test_wrong_client_secret_fails_the_login_and_saves_nothing(
    fake: FakeOAuth, creds: Path, tmp_path: Path
) -> None:
    wrong = {"OURA_CLIENT_SECRET": "not-the-secret"}
    login = LiveLogin(tmp_path, *login_args(fake, creds, 8765, "--manual"), env=wrong)
    code, _, stderr = login.finish(_approve(login.wait_for_line("oauth-authorize?")) + "\n")
    assert code == 1
    assert "401 invalid_client" in stderr
    assert "not-the-secret" not in stderr
    assert not creds.exists()


def test_unknown_client_id_is_reported_from_the_redirect(
    fake: FakeOAuth, creds: Path, tmp_path: Path
) -> None:
    args = login_args(fake, creds, 8765, "--manual")
    args[args.index(CLIENT_ID)] = "nobody"
    login = LiveLogin(tmp_path, *args)
    code, _, stderr = login.finish(_approve(login.wait_for_line("oauth-authorize?")) + "\n")
    assert code == 1
    assert "unauthorized_client" in stderr


def test_login_without_a_secret_off_a_terminal_is_a_usage_error(
    fake: FakeOAuth, creds: Path, tmp_path: Path
) -> None:
    result = run_auth(
        tmp_path, "login", *login_args(fake, creds, 8765, "--manual"),
        env={"OURA_CLIENT_SECRET": ""},
    )  # fmt: skip
    assert result.returncode == 2
    assert "OURA_CLIENT_SECRET" in result.stderr


def test_login_without_client_id_is_a_usage_error(tmp_path: Path) -> None:
    result = run_auth(tmp_path, "login", "--manual", "--credentials-file", str(tmp_path / "c"))
    assert result.returncode == 2
    assert "OURA_CLIENT_ID" in result.stderr


def test_login_saves_under_xdg_config_home_by_default(fake: FakeOAuth, tmp_path: Path) -> None:
    args = login_args(fake, tmp_path / "unused", 8765, "--manual")
    del args[args.index("--credentials-file") : args.index("--port")]
    xdg = tmp_path / "xdg"
    login = LiveLogin(tmp_path, *args, env={"XDG_CONFIG_HOME": str(xdg)})
    code, _, stderr = login.finish(_approve(login.wait_for_line("oauth-authorize?")) + "\n")
    assert code == 0, stderr
    path = xdg / "oura-stats" / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(path) in stderr


# --- token endpoint order -----------------------------------------------------------------


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as client:
        yield client


def _code(fake: FakeOAuth, redirect_uri: str = "http://localhost:8765/callback") -> str:
    location = fake.authorize(
        {"client_id": CLIENT_ID, "redirect_uri": redirect_uri, "state": "s", "scope": "daily"}
    )[1]["Location"]
    return parse_qs(urlsplit(location).query)["code"][0]


def _exchange_form(code: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://localhost:8765/callback",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }


def test_code_exchange_moves_on_when_the_first_endpoint_does_not_exist(
    session: requests.Session, fake: FakeOAuth
) -> None:
    fake.refusing[NEW_PORTAL_TOKEN_PATH] = (404, "not_found")  # never took the code
    urls = (fake.new_portal_token_url, fake.token_url)
    tokens, used = request_tokens(session, urls, _exchange_form(_code(fake)))
    assert used == fake.token_url
    assert [call.path for call in fake.calls] == [NEW_PORTAL_TOKEN_PATH, TOKEN_PATH]
    assert fake.is_valid_access_token(tokens.access_token)


def test_code_exchange_moves_on_when_the_first_endpoint_cannot_be_connected_to(
    session: requests.Session, fake: FakeOAuth, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(oauth, "RETRY_DELAYS", (0.0,))
    closed = f"http://127.0.0.1:{free_port()}{NEW_PORTAL_TOKEN_PATH}"
    tokens, used = request_tokens(session, (closed, fake.token_url), _exchange_form(_code(fake)))
    assert used == fake.token_url
    assert fake.is_valid_access_token(tokens.access_token)


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, "invalid_client"), (400, "invalid_request"), (403, "forbidden"), (503, "busy")],
)
def test_code_exchange_never_resends_a_code_the_first_endpoint_may_have_spent(
    session: requests.Session,
    fake: FakeOAuth,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    error: str,
) -> None:
    monkeypatch.setattr(oauth, "RETRY_DELAYS", (0.0,))
    fake.refusing[NEW_PORTAL_TOKEN_PATH] = (status, error)
    urls = (fake.new_portal_token_url, fake.token_url)
    with pytest.raises((oauth.TokenEndpointError, oauth.TokenEndpointUnreachable)):
        request_tokens(session, urls, _exchange_form(_code(fake)))
    assert {call.path for call in fake.calls} == {NEW_PORTAL_TOKEN_PATH}


def test_code_exchange_stays_with_the_new_portal_when_it_works(
    session: requests.Session, fake: FakeOAuth
) -> None:
    fake.refusing[TOKEN_PATH] = (400, "invalid_request")  # legacy refuses new-portal apps
    urls = (fake.new_portal_token_url, fake.token_url)
    _, used = request_tokens(session, urls, _exchange_form(_code(fake)))
    assert used == fake.new_portal_token_url
    assert [call.path for call in fake.calls] == [NEW_PORTAL_TOKEN_PATH]


def test_dead_refresh_token_is_not_retried_at_the_other_endpoint(
    session: requests.Session, fake: FakeOAuth
) -> None:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": "rt-never-issued",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    with pytest.raises(oauth.TokenEndpointError) as failure:
        request_tokens(session, (fake.new_portal_token_url, fake.token_url), form)
    assert failure.value.error == "invalid_grant"
    assert len(fake.calls) == 1


def test_authorization_codes_are_single_use(session: requests.Session, fake: FakeOAuth) -> None:
    form = _exchange_form(_code(fake))
    request_tokens(session, (fake.token_url,), form)
    with pytest.raises(oauth.TokenEndpointError, match="invalid_grant"):
        request_tokens(session, (fake.token_url,), form)


# --- status and logout --------------------------------------------------------------------


@pytest.fixture
def api(fake: FakeOAuth) -> Iterator[FakeOura]:
    info = {"id": "user-1", "email": "ring@example.org", "age": 40}
    with FakeOura({"personal_info": info}, token_check=fake.is_valid_access_token) as server:
        yield server


def test_status_shows_user_scopes_expiry_and_endpoint_but_no_secret(
    fake: FakeOAuth, api: FakeOura, creds: Path, tmp_path: Path
) -> None:
    logged_in(fake, creds)
    fake.expire_access_tokens()  # status refreshes after the 401 and still answers
    result = run_auth(
        tmp_path, "status", "-v", "--credentials-file", str(creds), "--base-url", api.url
    )
    assert result.returncode == 0, result.stderr
    assert "ring@example.org (id user-1)" in result.stdout
    assert "daily personal" in result.stdout
    assert fake.token_url in result.stdout
    assert "expires" in result.stdout
    assert fake.refreshes == 1
    assert_no_secret(fake, result.stdout, result.stderr)


def test_status_with_dead_credentials_exits_1_asking_for_login(
    fake: FakeOAuth, api: FakeOura, creds: Path, tmp_path: Path
) -> None:
    logged_in(fake, creds)
    fake.revoke_all()
    age_credentials(creds, 10_000)
    result = run_auth(tmp_path, "status", "--credentials-file", str(creds), "--base-url", api.url)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "auth login" in result.stderr
    assert creds.exists()


def test_status_when_not_logged_in_is_a_usage_error(tmp_path: Path) -> None:
    result = run_auth(tmp_path, "status", env={"XDG_CONFIG_HOME": str(tmp_path / "none")})
    assert result.returncode == 2
    assert "auth login" in result.stderr


def test_logout_revokes_at_oura_then_deletes_the_file(
    fake: FakeOAuth, creds: Path, tmp_path: Path
) -> None:
    written = logged_in(fake, creds)
    result = run_auth(tmp_path, "logout", "-v", "--credentials-file", str(creds),
                      "--revoke-url", fake.revoke_url)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert fake.revocations == 1
    assert not fake.is_valid_access_token(written.access_token)
    assert not creds.exists()
    assert_no_secret(fake, result.stdout, result.stderr)


def test_logout_derives_the_revoke_url_from_a_custom_token_url(
    fake: FakeOAuth, creds: Path, tmp_path: Path
) -> None:
    logged_in(fake, creds)
    age_credentials(creds, 10_000)  # expired: refreshed first, then revoked
    result = run_auth(tmp_path, "logout", "--credentials-file", str(creds))
    assert result.returncode == 0, result.stderr
    assert (fake.refreshes, fake.revocations) == (1, 1)
    assert not creds.exists()


def test_logout_keeps_the_file_when_oura_cannot_be_reached(
    fake: FakeOAuth, creds: Path, tmp_path: Path
) -> None:
    logged_in(fake, creds)
    closed = f"http://127.0.0.1:{free_port()}/oauth/revoke"
    result = run_auth(tmp_path, "logout", "--credentials-file", str(creds), "--revoke-url", closed)
    assert result.returncode == 1
    assert "kept" in result.stderr
    assert creds.exists()
    assert_no_secret(fake, result.stderr)


def test_logout_no_revoke_only_deletes(fake: FakeOAuth, creds: Path, tmp_path: Path) -> None:
    logged_in(fake, creds)
    result = run_auth(tmp_path, "logout", "--no-revoke", "--credentials-file", str(creds))
    assert result.returncode == 0
    assert fake.revocations == 0
    assert not creds.exists()


def test_credentials_file_holds_no_more_than_it_should(fake: FakeOAuth, creds: Path) -> None:
    logged_in(fake, creds)
    assert set(json.loads(creds.read_text())) == {
        "version", "client_id", "client_secret", "token_url", "access_token",
        "refresh_token", "obtained_at", "expires_at", "scopes",
    }  # fmt: skip


def test_status_asks_the_api_the_login_was_for(
    fake: FakeOAuth, api: FakeOura, creds: Path, tmp_path: Path
) -> None:
    login = LiveLogin(
        tmp_path, *login_args(fake, creds, 8765, "--manual"), env={"OURA_API_BASE_URL": api.url}
    )
    code, _, stderr = login.finish(_approve(login.wait_for_line("oauth-authorize?")) + "\n")
    assert code == 0, stderr
    result = run_auth(tmp_path, "status", "--credentials-file", str(creds))  # no base URL
    assert result.returncode == 0, result.stderr
    assert "ring@example.org (id user-1)" in result.stdout
    assert [r.category for r in api.requests] == ["personal_info"]
