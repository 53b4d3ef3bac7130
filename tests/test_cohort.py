"""A study: `fetch --all-accounts` collects every participant with their own token into one
PostgreSQL database, sharded across processes; one participant's trouble stops nobody."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from conftest import run_cli

from oura_stats.db.participants import Registry
from oura_stats.db.target import parse_target
from oura_stats.demo.cohort import CohortOura, Member, make_cohort
from oura_stats.demo.study import enrol_member

TODAY = dt.datetime.now(dt.UTC).date()


@dataclass
class Study:
    db: str
    api: CohortOura

    @property
    def members(self) -> list[Member]:
        return self.api.members

    def args(self, *extra: str) -> list[str]:
        """fetch for everyone, unless `extra` names participants."""
        everyone = [] if "--account" in extra else ["--all-accounts"]
        return ["fetch", *everyone, "--db", self.db, "--plain-tokens",
                "--base-url", self.api.url, *extra]  # fmt: skip

    def fetch(
        self, *extra: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return run_cli(*self.args(*extra), env=env)

    def rows(self, table: str) -> dict[str, int]:
        with psycopg.connect(self.db) as conn:
            found = conn.execute(
                f"SELECT account, count(*) FROM {table} GROUP BY account"  # type: ignore[arg-type]
            ).fetchall()
        return {str(name): int(count) for name, count in found}

    def series_rows(self, table: str) -> dict[str, int]:
        """A series table's rows per participant (through their parent rows)."""
        with psycopg.connect(self.db) as conn:
            found = conn.execute(
                f"SELECT p.account, count(*) FROM {table} s JOIN sleep p "  # type: ignore[arg-type]
                "ON p.id = s.parent_id GROUP BY p.account"
            ).fetchall()
        return {str(name): int(count) for name, count in found}

    def expected(self, table: str) -> dict[str, int]:
        return {m.name: len(m.api.data[table]) for m in self.members if m.api.data[table]}

    def identified(self, member: Member) -> int:
        """How often the member's account was asked who it is: once per round."""
        return sum(1 for r in member.api.requests if r.category == "personal_info")


def make_study(pg_url: str, count: int, days: int = 12, **api: float) -> Iterator[Study]:
    members = make_cohort(count, days, TODAY, **api)
    with CohortOura(members) as cohort:
        target = parse_target(pg_url)
        with Registry(target) as registry:
            registry.create_tables()
            for member in members:
                enrol_member(registry, target, member, cohort.url + "/oauth/token")
        yield Study(pg_url, cohort)


@pytest.fixture
def study(pg_url: str) -> Iterator[Study]:
    yield from make_study(pg_url, 6)


@pytest.mark.slow
def test_three_indexed_job_pods_collect_thirty_participants_exactly_once_each(
    pg_url: str,
) -> None:
    for study in make_study(pg_url, 30):
        env = {k: v for k, v in os.environ.items() if not k.startswith("OURA_")}
        pods = [
            subprocess.Popen(
                [sys.executable, "-m", "oura_stats", *study.args("--shard", "/3")],
                env={**env, "JOB_COMPLETION_INDEX": str(index)},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for index in range(3)
        ]
        outputs = [pod.communicate(timeout=300) for pod in pods]
        for index, (pod, (_, err)) in enumerate(zip(pods, outputs, strict=True)):
            assert pod.returncode == 0, err
            assert f"shard {index}/3" in err
        assert [study.identified(m) for m in study.members] == [1] * 30
        for table in ("daily_sleep", "sleep", "heartrate", "workout"):
            assert study.rows(table) == study.expected(table), table


def test_a_revoked_participant_is_marked_and_skipped_while_the_others_complete(
    study: Study,
) -> None:
    revoked = study.members[1]
    study.api.revoke(revoked)
    first = study.fetch()
    assert first.returncode == 1
    assert f"{revoked.name}: Oura refused their token" in first.stderr
    others = {k: v for k, v in study.expected("daily_sleep").items() if k != revoked.name}
    assert study.rows("daily_sleep") == others
    listed = run_cli("accounts", "list", "--db", study.db)
    assert f"{revoked.name}" in listed.stdout and "needs consent" in listed.stdout
    asked = len(revoked.api.requests)
    second = study.fetch()
    assert second.returncode == 0, second.stderr
    assert f"{revoked.name}: needs consent, skipped" in second.stderr
    assert len(revoked.api.requests) == asked  # not retried every round


def test_a_long_rate_limit_pauses_only_that_participant(study: Study) -> None:
    limited = study.members[3]
    limited.api.rate_limit(3, 600.0, retry_after=900)
    first = study.fetch()
    assert first.returncode == 0, first.stderr  # a pause is not a failure of the round
    assert f"{limited.name}: Oura asked to wait 900 s" in first.stderr
    others = {k: v for k, v in study.expected("daily_sleep").items() if k != limited.name}
    assert {k: v for k, v in study.rows("daily_sleep").items() if k != limited.name} == others
    asked = len(limited.api.requests)
    second = study.fetch()
    assert second.returncode == 0, second.stderr
    assert f"{limited.name}: paused by Oura's rate limit until" in second.stderr
    assert len(limited.api.requests) == asked


def test_a_second_round_is_incremental_for_everyone(study: Study) -> None:
    assert study.fetch().returncode == 0
    before = [len(m.api.requests) for m in study.members]
    again = study.fetch()
    assert again.returncode == 0, again.stderr
    after = [len(m.api.requests) for m in study.members]
    assert all(0 < a - b < b for a, b in zip(after, before, strict=True))
    assert study.rows("daily_sleep") == study.expected("daily_sleep")


def test_one_named_participant_only(study: Study) -> None:
    done = study.fetch("--account", "p003")
    assert done.returncode == 0, done.stderr
    assert set(study.rows("daily_sleep")) == {"p003"}


def test_withdrawal_deletes_exactly_one_participants_rows(study: Study) -> None:
    assert study.fetch().returncode == 0
    before = {t: study.rows(t) for t in ("daily_sleep", "heartrate", "sleep")}
    series_before = study.series_rows("sleep__hrv")
    assert series_before.get("p002")
    done = run_cli("accounts", "remove", "p002", "--db", study.db, "--delete-data",
                   "--no-revoke", "--plain-tokens")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "heartrate: removed" in done.stderr
    # the nested series (views over their parent rows) went with the participant's nights
    assert study.series_rows("sleep__hrv") == {
        k: v for k, v in series_before.items() if k != "p002"
    }
    for table, counts in before.items():
        assert study.rows(table) == {k: v for k, v in counts.items() if k != "p002"}
    with psycopg.connect(study.db) as conn:
        assert conn.execute(
            "SELECT state, oura_user_id FROM _participants WHERE name = 'p002'"
        ).fetchall() == [("withdrawn", None)]
        for table in ("_credentials", "_cursors"):
            found = conn.execute(
                f"SELECT count(*) FROM {table} WHERE account = 'p002'"  # type: ignore[arg-type]
            ).fetchone()
            assert found == (0,)
    assert "p002" not in study.rows("daily_sleep")
    assert study.fetch().returncode == 0  # withdrawn: skipped, nothing comes back
    assert "p002" not in study.rows("daily_sleep")


def test_a_pod_killed_mid_round_loses_and_duplicates_nothing(pg_url: str) -> None:
    for study in make_study(pg_url, 4, days=40, latency=0.01):
        pod = subprocess.Popen(
            [sys.executable, "-m", "oura_stats", *study.args()],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while sum(len(m.api.requests) for m in study.members) < 40:
            assert time.monotonic() < deadline and pod.poll() is None
            time.sleep(0.05)
        pod.send_signal(signal.SIGKILL)
        pod.wait()
        done = study.fetch()
        assert done.returncode == 0, done.stderr
        for table in ("daily_sleep", "heartrate", "sleep", "daily_activity"):
            assert study.rows(table) == study.expected(table), table


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--account", "p999"], "no participant 'p999'"),
        (["--shard", "4/3"], "INDEX must be from 0 to 2"),
        (["--account", "p001", "--all-accounts"], "exclude each other"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(study: Study, extra: list[str], says: str) -> None:
    done = run_cli(*study.args(*extra))
    assert done.returncode == 2
    assert says in done.stderr
    assert "Traceback" not in done.stderr


def test_a_database_without_a_study_is_a_usage_error(pg_url: str) -> None:
    done = run_cli("fetch", "--all-accounts", "--db", pg_url, "--base-url", "http://127.0.0.1:9")
    assert done.returncode == 2
    assert "holds no study" in done.stderr
    listed = run_cli("accounts", "list", "--db", pg_url)
    assert listed.returncode == 2 and "holds no study" in listed.stderr


def test_the_database_dropping_mid_round_is_one_line_and_the_next_round_resumes(
    pg_url: str,
) -> None:
    for study in make_study(pg_url, 4, days=40, latency=0.01):
        pod = subprocess.Popen(
            [sys.executable, "-m", "oura_stats", *study.args()],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while sum(len(m.api.requests) for m in study.members) < 30:
            assert time.monotonic() < deadline and pod.poll() is None
            time.sleep(0.05)
        with psycopg.connect(study.db, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        _, err = pod.communicate(timeout=120)
        assert pod.returncode == 1, err
        assert "Traceback" not in err
        done = study.fetch()
        assert done.returncode == 0, done.stderr
        for table in ("daily_sleep", "heartrate", "sleep"):
            assert study.rows(table) == study.expected(table), table
