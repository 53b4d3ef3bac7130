"""Credentials in PostgreSQL: `auth import|status|logout --db`, tokens sealed with
OURA_STATS_SECRET_KEY, and refreshes that never spend a refresh token twice, across
processes racing over short-lived tokens (the fake OAuth server refuses a reused one)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg
from conftest import run_cli
from fake_oauth import FakeOAuth, logged_in

from oura_stats.demo.history import make_history
from oura_stats.demo.server import FakeOura

REPO = Path(__file__).resolve().parent.parent
TODAY = dt.datetime.now(dt.UTC).date()
KEY = {"OURA_STATS_SECRET_KEY": "the study's secret, long and random"}


def imported(
    oauth: FakeOAuth, pg_url: str, tmp_path: Path, *extra: str, env: dict[str, str]
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    creds = tmp_path / "credentials.json"
    logged_in(oauth, creds)
    result = run_cli(
        "auth", "import", "--db", pg_url, "--credentials-file", str(creds), *extra, env=env
    )
    return creds, result


def sealed(pg_url: str) -> str:
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SELECT sealed FROM _credentials").fetchone()
    assert row is not None
    return str(row[0])


def test_import_moves_the_login_into_the_database_encrypted(
    oauth: FakeOAuth, oauth_api: FakeOura, pg_url: str, tmp_path: Path
) -> None:
    creds, result = imported(oauth, pg_url, tmp_path, env=KEY)
    assert result.returncode == 0, result.stderr
    assert not creds.exists()
    stored = sealed(pg_url)
    assert stored.startswith("fernet:")
    assert "rt-" not in stored and "client-secret" not in stored
    status = run_cli("auth", "status", "--db", pg_url, "--base-url", oauth_api.url, env=KEY)
    assert status.returncode == 0, status.stderr
    assert "database" in status.stdout and "rt-" not in status.stdout
    fetch = run_cli(
        "fetch",
        "--db",
        pg_url,
        "--no-csv",
        "--base-url",
        oauth_api.url,
        "--categories",
        "sleep",
        env=KEY,
    )
    assert fetch.returncode == 0, fetch.stderr
    logout = run_cli("auth", "logout", "--db", pg_url, "--no-revoke", env=KEY)
    assert logout.returncode == 0, logout.stderr
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM _credentials").fetchone() == (0,)


def test_without_a_key_tokens_are_refused_unless_plain_is_asked_for(
    oauth: FakeOAuth, pg_url: str, tmp_path: Path
) -> None:
    creds, refused = imported(oauth, pg_url, tmp_path, env={})
    assert refused.returncode == 2
    assert "OURA_STATS_SECRET_KEY" in refused.stderr and "--plain-tokens" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert creds.exists()
    _, plain = imported(oauth, pg_url, tmp_path, "--plain-tokens", env={})
    assert plain.returncode == 0, plain.stderr
    assert sealed(pg_url).startswith("plain:")


def test_a_wrong_or_missing_key_is_exit_2_and_spends_no_token(
    oauth: FakeOAuth, oauth_api: FakeOura, pg_url: str, tmp_path: Path
) -> None:
    assert imported(oauth, pg_url, tmp_path, env=KEY)[1].returncode == 0
    before, refreshes = sealed(pg_url), oauth.refreshes
    for env in ({"OURA_STATS_SECRET_KEY": "not the key"}, {}):
        result = run_cli("fetch", "--db", pg_url, "--no-csv", "--base-url", oauth_api.url, env=env)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1
        assert "OURA_STATS_SECRET_KEY" in result.stderr
    assert oauth.refreshes == refreshes and oauth_api.requests == []
    assert sealed(pg_url) == before


RACER = """
import sys, time, requests
from oura_stats.auth.provider import OAuthTokenProvider
from oura_stats.db.pgcredentials import PgCredentials
from oura_stats.db.sealing import Sealer
url, api, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
store = PgCredentials(url, "db", "default", Sealer.from_environment(plain_allowed=False))
provider = OAuthTokenProvider(store)
end, calls = time.monotonic() + seconds, 0
with requests.Session() as session:
    while time.monotonic() < end:
        token = provider.access_token()
        answer = session.get(api + "/v2/usercollection/personal_info",
                             headers={"Authorization": "Bearer " + token}, timeout=10)
        assert answer.status_code == 200, answer.status_code
        calls += 1
        time.sleep(0.05)
print(calls)
"""


def test_four_processes_racing_over_two_second_tokens_never_spend_one_twice(
    pg_url: str, tmp_path: Path
) -> None:
    with FakeOAuth(expires_in=2.0, refresh_delay=0.05) as oauth:
        data = make_history(1, end=TODAY)
        with FakeOura(data, token_check=oauth.is_valid_access_token, today=TODAY) as api:
            _creds, result = imported(oauth, pg_url, tmp_path, env=KEY)
            assert result.returncode == 0, result.stderr
            env = {**os.environ, "PYTHONPATH": str(REPO), **KEY}
            code = textwrap.dedent(RACER)
            racers = [
                subprocess.Popen(
                    [sys.executable, "-c", code, pg_url, api.url, "30"],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env=env,
                )
                for _ in range(4)
            ]
            outputs = [racer.communicate(timeout=120) for racer in racers]
            for racer, (out, err) in zip(racers, outputs, strict=True):
                assert racer.returncode == 0, err
                assert int(out) > 20
            assert oauth.rejected_refreshes == 0
            assert oauth.refreshes >= 10  # a new pair about every second, shared by all
