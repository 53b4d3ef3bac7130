"""Enrolment by link: `accounts invite` prints a single-use link, `enroll` serves the pages,
the participant consents at (fake) Oura, and their tokens are stored under their name."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
import requests
from conftest import run_cli
from fake_oauth import CLIENT_ID, CLIENT_SECRET, FakeOAuth

from oura_stats.demo.cohort import CohortOura, make_cohort

KEY = {"OURA_STATS_SECRET_KEY": "study-key-for-tests"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Study:
    db: str
    oauth: FakeOAuth
    api: CohortOura
    public: str

    def env(self) -> dict[str, str]:
        return {
            **KEY,
            **self.oauth.url_env("new"),
            "OURA_CLIENT_ID": CLIENT_ID,
            "OURA_CLIENT_SECRET": CLIENT_SECRET,
            "OURA_API_BASE_URL": self.api.url,
        }

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, "--db", self.db, env=self.env())

    def invite(self, name: str, *extra: str) -> str:
        done = self.cli("accounts", "invite", name, "--public-url", self.public, *extra)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def credentials(self) -> list[str]:
        """Whose tokens the database holds."""
        if self.table("SELECT to_regclass('_credentials') IS NULL") == [(True,)]:
            return []
        return [str(row[0]) for row in self.table("SELECT account FROM _credentials")]

    def table(self, sql: str) -> list[tuple[object, ...]]:
        with psycopg.connect(self.db) as conn:
            return list(conn.execute(sql).fetchall())  # type: ignore[arg-type]


@pytest.fixture
def study(pg_url: str) -> Iterator[Study]:
    port = free_port()
    with FakeOAuth(portal="new") as oauth:
        members = make_cohort(3, 20, dt.datetime.now(dt.UTC).date())
        with CohortOura(members, owner=oauth.user_of) as api:
            s = Study(pg_url, oauth, api, f"http://localhost:{port}")
            server = subprocess.Popen(
                [sys.executable, "-m", "oura_stats", "enroll", "--db", pg_url,
                 "--public-url", s.public, "--port", str(port)],
                env={**{k: v for k, v in os.environ.items() if not k.startswith("OURA_")},
                     **s.env()},
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            try:
                wait_for(port, server)
                yield s
            finally:
                server.terminate()
                _, err = server.communicate(timeout=20)
                assert server.returncode == 0, err
                for secret in oauth.secrets():
                    assert secret not in err


def wait_for(port: int, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(server.communicate()[1])
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("enroll did not start listening")


def follow(study: Study, link: str, browser: requests.Session) -> requests.Response:
    """Open the link, press Continue, approve at Oura, come back to the callback."""
    landing = browser.get(link, timeout=10)
    assert landing.status_code == 200, landing.text
    start = browser.get(link + "/start", allow_redirects=False, timeout=10)
    assert start.status_code == 302
    consent = browser.get(start.headers["Location"], allow_redirects=False, timeout=10)
    assert consent.status_code == 302
    callback = consent.headers["Location"]
    assert callback.startswith(study.public + "/callback?")
    return browser.get(callback, timeout=30)


def test_a_participant_enrols_through_their_link_and_is_collected_under_their_name(
    study: Study,
) -> None:
    member = study.api.members[0]
    link = study.invite("p001")
    assert link.startswith(study.public + "/enroll/")
    study.oauth.signed_in_user = member.user_id
    done = follow(study, link, requests.Session())
    assert done.status_code == 200 and "enrolled" in done.text
    assert "p001" in done.text
    rows = study.table("SELECT name, oura_user_id, state FROM _participants")
    assert rows == [("p001", member.user_id, "ok")]
    assert study.credentials() == ["p001"]
    for secret in study.oauth.secrets():  # tokens are sealed, never stored in the clear
        assert not study.table(f"SELECT 1 FROM _credentials WHERE sealed LIKE '%{secret}%'")
    listed = study.cli("accounts", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [entry] = json.loads(listed.stdout)
    assert (entry["name"], entry["oura_user_id"], entry["state"]) == ("p001", member.user_id, "ok")


def test_a_used_link_does_not_work_again(study: Study) -> None:
    link = study.invite("p001")
    study.oauth.signed_in_user = study.api.members[0].user_id
    assert follow(study, link, requests.Session()).status_code == 200
    again = requests.get(link, timeout=10)
    assert again.status_code == 404 and "does not work" in again.text
    assert requests.get(link + "/start", allow_redirects=False, timeout=10).status_code == 404


def test_an_expired_link_stores_nothing(study: Study) -> None:
    link = study.invite("p002", "--days", "0.00001")
    time.sleep(1.2)
    assert requests.get(link, timeout=10).status_code == 404
    assert study.table("SELECT * FROM _participants") == []


def test_a_made_up_link_is_not_found(study: Study) -> None:
    study.invite("p001")
    answer = requests.get(study.public + "/enroll/not-a-real-secret", timeout=10)
    assert answer.status_code == 404
    assert requests.get(study.public + "/", timeout=10).status_code == 404
    assert requests.get(study.public + "/enroll", timeout=10).status_code == 404


def test_a_denied_consent_stores_nothing_and_the_link_still_works(study: Study) -> None:
    link = study.invite("p001")
    study.oauth.deny = True
    done = follow(study, link, requests.Session())
    assert done.status_code == 200 and "nothing was stored" in done.text
    assert study.table("SELECT * FROM _participants") == []
    assert study.credentials() == []
    study.oauth.deny = False
    study.oauth.signed_in_user = study.api.members[1].user_id
    assert follow(study, link, requests.Session()).status_code == 200
    assert study.table("SELECT name FROM _participants") == [("p001",)]


def test_a_callback_this_browser_did_not_start_is_refused(study: Study) -> None:
    link = study.invite("p001")
    victim = requests.Session()
    victim.get(link, timeout=10)
    start = victim.get(link + "/start", allow_redirects=False, timeout=10)
    consent = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    forged = requests.get(consent.headers["Location"], timeout=10)  # another browser
    assert forged.status_code == 400
    assert study.table("SELECT * FROM _participants") == []
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    made_up = requests.get(f"{study.public}/callback?code=x&state={state}x", timeout=10)
    assert made_up.status_code == 400


def test_one_oura_user_cannot_be_enrolled_under_two_names(study: Study) -> None:
    study.oauth.signed_in_user = study.api.members[0].user_id
    assert follow(study, study.invite("p001"), requests.Session()).status_code == 200
    second = follow(study, study.invite("p009"), requests.Session())
    assert second.status_code == 409 and "already enrolled" in second.text
    assert study.table("SELECT name FROM _participants") == [("p001",)]


def test_accounts_add_enrols_at_the_terminal_and_the_participant_is_collected(
    study: Study,
) -> None:
    member = study.api.members[2]
    study.oauth.signed_in_user = member.user_id
    add = subprocess.Popen(
        [sys.executable, "-m", "oura_stats", "accounts", "add", "p005", "--db", study.db,
         "--manual"],
        env={**{k: v for k, v in os.environ.items() if not k.startswith("OURA_")},
             **study.env()},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert add.stderr is not None
    seen = []
    while not any("oauth-authorize?" in line for line in seen[-1:]):
        seen.append(add.stderr.readline())
        assert seen[-1], "".join(seen)
    url = seen[-1].strip()
    redirected = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
    _, err = add.communicate(redirected + "\n", timeout=60)
    assert add.returncode == 0, err
    assert f"enrolled p005 (Oura user {member.user_id})" in err
    assert study.table("SELECT name, oura_user_id FROM _participants") == [("p005", member.user_id)]
    assert study.credentials() == ["p005"]
    for secret in study.oauth.secrets():
        assert secret not in err
    fetched = study.cli("fetch", "--account", "p005", "--base-url", study.api.url)
    assert fetched.returncode == 0, fetched.stderr
    days = study.table("SELECT count(*) FROM daily_sleep WHERE account = 'p005'")
    assert days == [(len(member.api.data["daily_sleep"]),)]
