"""OAuthTokenProvider against the fake OAuth server: expiry, 401, rotation, processes, crashes."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from fake_oauth import (
    NEW_PORTAL_TOKEN_PATH,
    TOKEN_PATH,
    FakeOAuth,
    age_credentials,
    logged_in,
)

from oura_stats.auth import oauth
from oura_stats.auth.credentials import (
    default_path,
    load_credentials,
    parse_credentials,
    resolve_path,
)
from oura_stats.auth.provider import OAuthTokenProvider
from oura_stats.errors import AuthError, ConfigError

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def fake() -> Iterator[FakeOAuth]:
    with FakeOAuth() as server:
        yield server


@pytest.fixture
def creds_path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "oura-stats" / "credentials.json"


@pytest.fixture(autouse=True)
def _no_retry_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oauth, "RETRY_DELAYS", (0.0, 0.0))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- the file -----------------------------------------------------------------------------


def test_credentials_file_is_0600_in_a_0700_directory_even_with_umask_0(
    fake: FakeOAuth, creds_path: Path
) -> None:
    old = os.umask(0)
    try:
        logged_in(fake, creds_path)
        age_credentials(creds_path, 10_000)
        OAuthTokenProvider(creds_path).access_token()  # one refresh rewrites the file
    finally:
        os.umask(old)
    assert mode(creds_path) == 0o600
    assert mode(creds_path.parent) == 0o700
    assert mode(creds_path.with_name("credentials.json.lock")) == 0o600
    assert sorted(p.name for p in creds_path.parent.iterdir()) == [
        "credentials.json",
        "credentials.json.lock",
    ]


def test_credentials_round_trip_through_json(fake: FakeOAuth, creds_path: Path) -> None:
    written = logged_in(fake, creds_path, scopes=("daily", "extapi:heartrate"))
    read = parse_credentials(creds_path.read_text())
    assert read.access_token == written.access_token
    assert read.refresh_token == written.refresh_token
    assert read.scopes == ("daily", "extapi:heartrate")
    assert abs(read.expires_at - written.expires_at) < 1


def test_corrupt_credentials_file_is_a_config_error_naming_no_secret(creds_path: Path) -> None:
    creds_path.parent.mkdir(parents=True)
    creds_path.write_text('{"version": 1, "client_id": "x", "access_token": "at-secret"}')
    with pytest.raises(ConfigError, match="client_secret is missing") as caught:
        load_credentials(creds_path)
    assert "at-secret" not in str(caught.value)


def test_default_path_follows_xdg_config_home_then_home(tmp_path: Path) -> None:
    assert default_path({"XDG_CONFIG_HOME": str(tmp_path)}) == (
        tmp_path / "oura-stats" / "credentials.json"
    )
    assert default_path({}) == Path.home() / ".config" / "oura-stats" / "credentials.json"
    assert default_path({"XDG_CONFIG_HOME": "relative"}).is_relative_to(Path.home())


def test_flag_beats_environment_for_the_credentials_path(tmp_path: Path) -> None:
    env = {"OURA_CREDENTIALS_FILE": str(tmp_path / "env.json")}
    assert resolve_path(str(tmp_path / "flag.json"), env) == (tmp_path / "flag.json", True)
    assert resolve_path(None, env) == (tmp_path / "env.json", True)
    assert resolve_path(None, {"XDG_CONFIG_HOME": str(tmp_path)})[1] is False


# --- refreshing ---------------------------------------------------------------------------


def test_fresh_token_is_used_without_refreshing(fake: FakeOAuth, creds_path: Path) -> None:
    written = logged_in(fake, creds_path)
    provider = OAuthTokenProvider(creds_path)
    assert provider.access_token() == written.access_token
    assert fake.refreshes == 0


def test_token_is_refreshed_five_minutes_before_expiry(fake: FakeOAuth, creds_path: Path) -> None:
    written = logged_in(fake, creds_path)  # a one-hour token
    provider = OAuthTokenProvider(creds_path, clock=lambda: written.expires_at - 301)
    assert provider.access_token() == written.access_token
    provider = OAuthTokenProvider(creds_path, clock=lambda: written.expires_at - 299)
    token = provider.access_token()
    assert token != written.access_token
    assert fake.is_valid_access_token(token)
    assert fake.refreshes == 1
    saved = load_credentials(creds_path)
    assert saved.access_token == token
    assert fake.is_current_refresh_token(saved.refresh_token)


def test_short_lived_token_is_refreshed_when_it_really_expires(creds_path: Path) -> None:
    with FakeOAuth(expires_in=2) as fake:
        logged_in(fake, creds_path)
        provider = OAuthTokenProvider(creds_path)
        first = provider.access_token()
        before = fake.refreshes  # 0, unless this machine took over a second to get here
        time.sleep(2.05)
        assert not fake.is_valid_access_token(first)
        second = provider.access_token()
        assert fake.is_valid_access_token(second)
        assert fake.refreshes == before + 1
        assert provider.access_token() == second


def test_rejected_token_is_refreshed_exactly_once(fake: FakeOAuth, creds_path: Path) -> None:
    written = logged_in(fake, creds_path)
    provider = OAuthTokenProvider(creds_path)
    fake.expire_access_tokens()  # the file still says "valid for an hour"
    assert provider.renew_after_rejection(written.access_token) is True
    renewed = provider.access_token()
    assert renewed != written.access_token
    assert fake.is_valid_access_token(renewed)
    # Another thread that got a 401 for the same old token: no second refresh.
    assert provider.renew_after_rejection(written.access_token) is True
    assert fake.refreshes == 1


def test_provider_adopts_a_pair_rotated_by_another_provider(
    fake: FakeOAuth, creds_path: Path
) -> None:
    written = logged_in(fake, creds_path)
    first, second = OAuthTokenProvider(creds_path), OAuthTokenProvider(creds_path)
    assert second.access_token() == written.access_token
    fake.expire_access_tokens()
    assert first.renew_after_rejection(written.access_token)
    assert second.access_token() == first.access_token()  # re-read, not refreshed
    assert second.renew_after_rejection(written.access_token)
    assert fake.refreshes == 1
    assert fake.rejected_refreshes == 0


def test_revoked_grant_fails_with_a_relogin_hint_and_keeps_the_file(
    fake: FakeOAuth, creds_path: Path
) -> None:
    logged_in(fake, creds_path)
    age_credentials(creds_path, 10_000)
    before = creds_path.read_bytes()
    fake.revoke_all()
    provider = OAuthTokenProvider(creds_path)
    with pytest.raises(AuthError, match=r"no longer valid \(invalid_grant\).*auth login") as e:
        provider.access_token()
    assert "\n" not in str(e.value)
    assert creds_path.read_bytes() == before
    calls = len(fake.calls)
    with pytest.raises(AuthError, match="auth login"):
        provider.access_token()  # a service's next round: no second try with a dead token
    assert len(fake.calls) == calls


def test_new_login_after_a_dead_grant_is_picked_up(fake: FakeOAuth, creds_path: Path) -> None:
    logged_in(fake, creds_path)
    age_credentials(creds_path, 10_000)
    fake.revoke_all()
    provider = OAuthTokenProvider(creds_path)
    with pytest.raises(AuthError):
        provider.access_token()
    relogged = logged_in(fake, creds_path)  # the user ran `auth login` again
    assert provider.access_token() == relogged.access_token


def test_unreachable_token_endpoint_keeps_the_current_token_until_it_expires(
    fake: FakeOAuth, creds_path: Path
) -> None:
    written = logged_in(fake, creds_path)
    fake.failures_left = 100
    almost = OAuthTokenProvider(creds_path, clock=lambda: written.expires_at - 60)
    assert almost.access_token() == written.access_token
    expired = OAuthTokenProvider(creds_path, clock=lambda: written.expires_at + 60)
    with pytest.raises(oauth.TokenEndpointUnreachable, match="503"):
        expired.access_token()
    assert load_credentials(creds_path).refresh_token == written.refresh_token
    fake.failures_left = 2  # transient: the retries get through
    assert expired.access_token() != written.access_token


def test_refresh_uses_only_the_remembered_endpoint(fake: FakeOAuth, creds_path: Path) -> None:
    logged_in(fake, creds_path, token_url=fake.new_portal_token_url)
    fake.refusing[TOKEN_PATH] = (400, "invalid_request")
    age_credentials(creds_path, 10_000)
    OAuthTokenProvider(creds_path).access_token()
    assert fake.refreshes_at(NEW_PORTAL_TOKEN_PATH) == 1
    assert fake.refreshes_at(TOKEN_PATH) == 0


def test_token_url_override_is_used_and_remembered(fake: FakeOAuth, creds_path: Path) -> None:
    logged_in(fake, creds_path, token_url="http://127.0.0.1:9/unreachable")
    age_credentials(creds_path, 10_000)
    OAuthTokenProvider(creds_path, token_url=fake.new_portal_token_url).access_token()
    assert load_credentials(creds_path).token_url == fake.new_portal_token_url


def test_wrong_endpoint_error_suggests_token_url(fake: FakeOAuth, creds_path: Path) -> None:
    logged_in(fake, creds_path)
    fake.refusing[TOKEN_PATH] = (400, "invalid_request")
    age_credentials(creds_path, 10_000)
    with pytest.raises(AuthError, match=r"400 invalid_request.*--token-url"):
        OAuthTokenProvider(creds_path).access_token()


def test_secrets_never_reach_repr_or_logs(
    fake: FakeOAuth, creds_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    written = logged_in(fake, creds_path)
    provider = OAuthTokenProvider(creds_path)
    age_credentials(creds_path, 10_000)
    provider.access_token()
    fake.expire_access_tokens()
    provider.renew_after_rejection(provider.access_token())
    fake.revoke_all()
    fake.expire_access_tokens()
    age_credentials(creds_path, 10_000)
    with pytest.raises(AuthError) as failure:
        provider.access_token()
    shown = " ".join(
        [repr(provider), repr(written), repr(load_credentials(creds_path)), str(failure.value)]
        + [record.getMessage() for record in caplog.records]
    )
    assert "refreshed the Oura access token" in shown
    for secret in fake.secrets():
        assert secret not in shown


# --- several processes --------------------------------------------------------------------

REFRESH_IN_CHILD = textwrap.dedent(
    """
    import hashlib, os, sys, time
    from pathlib import Path
    from oura_stats.auth.provider import OAuthTokenProvider

    path, go = Path(sys.argv[1]), Path(sys.argv[2])
    provider = OAuthTokenProvider(path)
    while not go.exists():
        time.sleep(0.001)
    token = provider.access_token()
    print(hashlib.sha256(token.encode()).hexdigest())
    """
)


def _child(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_refreshing_at_once_spend_the_refresh_token_once(
    creds_path: Path, tmp_path: Path
) -> None:
    import hashlib

    # The delay holds the first refresh open long enough for the second process to try.
    with FakeOAuth(refresh_delay=0.3) as fake:
        logged_in(fake, creds_path)
        age_credentials(creds_path, 10_000)
        go = tmp_path / "go"
        children = [_child(REFRESH_IN_CHILD, str(creds_path), str(go)) for _ in range(2)]
        time.sleep(0.8)  # both have imported and are waiting
        go.touch()
        outputs = [child.communicate(timeout=30) for child in children]
        assert [child.returncode for child in children] == [0, 0], outputs
        saved = load_credentials(creds_path)
        digest = hashlib.sha256(saved.access_token.encode()).hexdigest()
        assert [out.strip() for out, _ in outputs] == [digest, digest]
        assert fake.refreshes == 1
        assert fake.rejected_refreshes == 0
        assert fake.is_valid_access_token(saved.access_token)
        assert fake.is_current_refresh_token(saved.refresh_token)


CRASH_AFTER_SAVE = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import oura_stats.auth.provider as auth
    from oura_stats.auth.reserve import Reservation

    real_commit = Reservation.commit

    def save_then_die(reservation, credentials):
        real_commit(reservation, credentials)
        os.kill(os.getpid(), signal.SIGKILL)  # before anyone used the new access token

    Reservation.commit = save_then_die
    auth.OAuthTokenProvider(Path(sys.argv[1])).access_token()
    """
)


def test_crash_right_after_a_refresh_leaves_a_working_pair(
    fake: FakeOAuth, creds_path: Path
) -> None:
    written = logged_in(fake, creds_path)
    age_credentials(creds_path, 10_000)
    child = _child(CRASH_AFTER_SAVE, str(creds_path))
    child.communicate(timeout=30)
    assert child.returncode == -9
    assert fake.refreshes == 1
    saved = load_credentials(creds_path)
    assert saved.refresh_token != written.refresh_token
    assert fake.is_valid_access_token(saved.access_token)
    age_credentials(creds_path, 10_000)
    assert fake.is_valid_access_token(OAuthTokenProvider(creds_path).access_token())
    assert fake.refreshes == 2
    assert fake.rejected_refreshes == 0
    assert not list(creds_path.parent.glob("*.tmp"))


def test_session_bearer_header_is_not_sent_to_the_token_endpoint(
    fake: FakeOAuth, creds_path: Path, request: pytest.FixtureRequest
) -> None:
    session = requests.Session()
    request.addfinalizer(session.close)
    session.headers["Authorization"] = "Bearer api-token"
    sent: list[str | None] = []
    session.hooks["response"].append(
        lambda response, **_: sent.append(response.request.headers.get("Authorization"))
    )
    logged_in(fake, creds_path)
    age_credentials(creds_path, 10_000)
    OAuthTokenProvider(creds_path, session=session).access_token()
    assert sent == [None]
