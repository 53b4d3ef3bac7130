"""Shared fixtures: a fake Oura API over real HTTP and a way to run the real CLI."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dbcheck import Db

from oura_stats.api.categories import Category
from oura_stats.db.target import parse_target
from oura_stats.demo.history import make_history
from oura_stats.demo.server import FakeOura
from oura_stats.run.rounds import Settings

TOKEN = "test-token"
# The CLI plans with the real UTC date: the fake history ends today.
TODAY = dt.datetime.now(dt.UTC).date()
HISTORY_DAYS = 75
_HISTORY = make_history(HISTORY_DAYS, end=TODAY)


def history() -> dict[str, Any]:
    """A fresh copy of the standard realistic history (every category)."""
    return copy.deepcopy(_HISTORY)


@dataclass
class Workspace:
    """Where one test's CLI runs keep their CSVs and state."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def state(self) -> Path:
        return self.root / "state.json"

    def csv(self, category: str) -> list[dict[str, str]]:
        with (self.data / f"{category}.csv").open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))


@pytest.fixture
def api() -> Iterator[FakeOura]:
    with FakeOura(history(), token=TOKEN, today=TODAY, doc_page_size=50) as fake:
        yield fake


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    stdin: str | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m oura_stats ARGS` as a user would, without any token in the environment
    (in `cwd`, when given)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OURA_", "XDG_CONFIG"))}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "oura_stats", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        input=stdin,
        check=False,
        cwd=cwd,
    )


def fetch_args(api: FakeOura, ws: Workspace, *extra: str, token: str = TOKEN) -> list[str]:
    """`fetch` and its options against the fake API, writing into the workspace."""
    return [
        "fetch",
        "--base-url",
        api.url,
        "--token",
        token,
        "--output-dir",
        str(ws.data),
        "--state-file",
        str(ws.state),
        *extra,
    ]


def fetch(
    api: FakeOura, ws: Workspace, *extra: str, token: str = TOKEN
) -> subprocess.CompletedProcess[str]:
    return run_cli(*fetch_args(api, ws, *extra, token=token))


def database_only(api: FakeOura, root: Path, pg_url: str, categories: list[Category]) -> Settings:
    """The settings of a database-only round (`--no-csv --db pg_url`) against the fake API."""
    return Settings(
        base_url=api.url,
        output_dir=root / "no-csv",
        state_path=root / "no-csv.json",
        categories=categories,
        start=None,
        end=None,
        lookback_days=3,
        sandbox=False,
        concurrency=2,
        db=parse_target(pg_url),
        no_csv=True,
    )


def fetch_interrupted(tmp_path: Path, *extra: str, after: int = 3) -> tuple[int, str]:
    """A fetch (slow API, one request at a time) sent Ctrl-C once `after` requests were
    made: its exit code and stderr."""
    ws = Workspace(tmp_path)
    with FakeOura(make_history(40, end=TODAY), token=TOKEN, today=TODAY, latency=0.2) as api:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("OURA_")}
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "oura_stats",
                *fetch_args(api, ws, "--concurrency", "1", *extra),
            ],
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
        )
        deadline = time.monotonic() + 20
        while len(api.requests) < after:  # the run is under way
            assert time.monotonic() < deadline, "fetch made no requests"
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    return process.returncode, stderr


def one_error_line(stderr: str, *fragments: str) -> str:
    """The one line stderr holds, which names every fragment (and no traceback)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1, stderr
    assert all(f in lines[0] for f in fragments), stderr
    return lines[0]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster for the session (see pg_cluster.py)."""
    from pg_cluster import binaries, cluster

    bindir = binaries()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; .ci/run installs it in CI")
        pytest.skip("PostgreSQL is not installed (initdb, pg_ctl)")
    with cluster(bindir) as url:
        yield url


@pytest.fixture
def pg_url(postgres_server: str) -> str:
    """A new, empty database on the test cluster, as a libpq URL."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
    return postgres_server.replace("@/postgres?", f"@/{name}?")


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Db:
    """The mirror's database under test, once as a SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        return Db("sqlite", str(tmp_path / "oura.db"))
    return Db("postgresql", request.getfixturevalue("pg_url"))


@pytest.fixture
def oauth() -> Iterator[Any]:
    """The fake OAuth2 server (tests/fake_oauth.py)."""
    from fake_oauth import FakeOAuth

    with FakeOAuth() as server:
        yield server


@pytest.fixture
def oauth_api(oauth: Any) -> Iterator[FakeOura]:
    """A short history served only to the access tokens `oauth` issued."""
    data = make_history(3, end=TODAY)
    with FakeOura(data, token_check=oauth.is_valid_access_token, today=TODAY) as server:
        yield server
