"""Database-only runs (--no-csv): rows, cursors, run history and the lock in PostgreSQL,
no file anywhere; `db export` gives back the CSVs a CSV-mode run writes, byte for byte."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from conftest import TODAY, TOKEN, Workspace, fetch, history, run_cli

from oura_stats.api.categories import BY_NAME
from oura_stats.db.pgstate import PgLocks
from oura_stats.demo.server import FakeOura

NOBODY = 65534
REPO = Path(__file__).resolve().parent.parent


def db_only_args(api: FakeOura, url: str, *extra: str) -> list[str]:
    return ["fetch", "--base-url", api.url, "--token", TOKEN, "--db", url, "--no-csv", *extra]


def export_into(url: str, directory: Path) -> None:
    result = run_cli("db", "export", "--db", url, "--output-dir", str(directory))
    assert result.returncode == 0, result.stderr


def same_files(left: Path, right: Path) -> None:
    names = sorted(p.name for p in left.glob("*.csv"))
    assert names == sorted(p.name for p in right.glob("*.csv"))
    for name in names:
        assert (left / name).read_bytes() == (right / name).read_bytes(), name


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[arg-type]


def run_unprivileged(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI as user nobody, without HOME, in a directory it cannot write. It may read
    everything (the interpreter lives under root's private home), never write."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OURA_", "XDG_"))}
    env.pop("HOME", None)
    env["PYTHONPATH"] = str(REPO)
    command = [
        "setpriv",
        f"--reuid={NOBODY}",
        f"--regid={NOBODY}",
        "--clear-groups",
        "--inh-caps=+dac_read_search",
        "--ambient-caps=+dac_read_search",
        sys.executable,
        "-m",
        "oura_stats",
        *args,
    ]
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def asked(api: FakeOura) -> list[tuple[str, str]]:
    return sorted((r.path, str(sorted(r.params.items()))) for r in api.requests)


def files_of_nobody(since: Path) -> list[str]:
    """Every file user nobody created or changed after `since`, but PostgreSQL's own (the
    test clusters run as nobody: their data directories and sockets)."""
    found = subprocess.run(
        [
            "find",
            "/",
            "-xdev",
            "-path",
            "/proc",
            "-prune",
            "-o",
            "-user",
            str(NOBODY),
            "-newer",
            str(since),
            "-print",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    return [path for path in found if not postgresql_owns(Path(path))]


def postgresql_owns(path: Path) -> bool:
    """Inside a cluster's directory (its data directory, or the folder holding it)."""
    places = [path, *path.parents]
    return path.name.startswith(".s.PGSQL") or any(
        (p / "PG_VERSION").exists() or (p / "data" / "PG_VERSION").exists()
        for p in places
        if p != Path("/")
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="changing user needs root (as in CI)")
def test_an_unprivileged_run_writes_no_file_and_the_export_equals_a_csv_run(
    api: FakeOura, ws: Workspace, pg_url: str, tmp_path: Path
) -> None:
    assert fetch(api, ws).returncode == 0  # the CSV-mode run to compare with
    cwd = tmp_path / "cwd"
    cwd.mkdir(mode=0o755)
    marker = tmp_path / "marker"
    marker.write_text("")
    time.sleep(0.05)
    result = run_unprivileged(db_only_args(api, pg_url), cwd)
    assert result.returncode == 0, result.stderr
    assert files_of_nobody(marker) == []
    assert list(cwd.iterdir()) == []
    export_into(pg_url, tmp_path / "export")
    same_files(ws.data, tmp_path / "export")
    cursors = dict(query(pg_url, "SELECT category, entry->>'cursor' FROM _cursors"))
    state = ws.state.read_text()
    assert all(f'"cursor": "{c}"' in state for c in cursors.values() if c)

    api.clear_requests()  # a second run asks what a second CSV-mode run asks: recent days
    assert fetch(api, ws).returncode == 0
    asked_by_csv_run = asked(api)
    api.clear_requests()
    again = run_unprivileged(db_only_args(api, pg_url), cwd)
    assert again.returncode == 0, again.stderr
    assert asked(api) == asked_by_csv_run
    assert files_of_nobody(marker) == []


def test_no_csv_without_a_postgresql_database_is_one_line_and_exit_2(
    api: FakeOura, tmp_path: Path
) -> None:
    for extra in ([], ["--db", str(tmp_path / "oura.db")]):
        result = run_cli("fetch", "--token", TOKEN, "--base-url", api.url, "--no-csv", *extra)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1
        assert "--no-csv" in result.stderr and "postgresql://" in result.stderr
    assert not list(tmp_path.iterdir())


def test_a_second_run_for_the_same_account_exits_1_naming_the_holder(
    api: FakeOura, pg_url: str
) -> None:
    with PgLocks(pg_url, "test", "default").hold("run"):
        result = run_cli(*db_only_args(api, pg_url))
    assert result.returncode == 1
    assert f"pid {os.getpid()}" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert api.requests == []


def test_an_unreachable_database_is_one_line_and_exit_1(api: FakeOura, pg_url: str) -> None:
    gone = pg_url.replace("@/", "@/no_such_database_").split("?")[0] + "?" + pg_url.split("?")[1]
    result = run_cli(*db_only_args(api, gone))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no_such_database_" in result.stderr


def test_a_read_only_database_fails_whole_and_the_next_run_resumes(
    api: FakeOura, ws: Workspace, pg_url: str, tmp_path: Path
) -> None:
    name = pg_url.split("@/")[1].split("?", maxsplit=1)[0]
    assert run_cli(*db_only_args(api, pg_url, "--categories", "sleep")).returncode == 0
    admin = pg_url.replace(f"@/{name}?", "@/postgres?")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")  # type: ignore[arg-type]
    before = query(pg_url, "SELECT count(*) FROM daily_readiness")
    result = run_cli(*db_only_args(api, pg_url))
    assert result.returncode == 1
    assert "read-only" in result.stderr
    assert "Traceback" not in result.stderr
    assert query(pg_url, "SELECT count(*) FROM daily_readiness") == before == [(0,)]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = off")  # type: ignore[arg-type]
    assert run_cli(*db_only_args(api, pg_url)).returncode == 0
    assert fetch(api, ws).returncode == 0
    export_into(pg_url, tmp_path / "export")
    same_files(ws.data, tmp_path / "export")


def test_a_database_holding_another_accounts_data_is_refused_before_writing(
    api: FakeOura, pg_url: str
) -> None:
    assert run_cli(*db_only_args(api, pg_url, "--categories", "sleep")).returncode == 0
    api.data["personal_info"] = {**api.data["personal_info"], "id": "someone-else"}
    api.invalidate()
    result = run_cli(*db_only_args(api, pg_url))
    assert result.returncode == 2
    assert "someone-else" in result.stderr
    assert query(pg_url, "SELECT count(*) FROM daily_readiness") == [(0,)]


def test_a_connection_dropped_mid_run_leaves_whole_categories_and_the_next_run_resumes(
    ws: Workspace, pg_url: str, tmp_path: Path
) -> None:
    with FakeOura(history(), token=TOKEN, today=TODAY, doc_page_size=50, latency=0.05) as api:
        args = [
            sys.executable,
            "-m",
            "oura_stats",
            *db_only_args(api, pg_url, "--concurrency", "2"),
        ]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        with subprocess.Popen(args, stderr=subprocess.PIPE, text=True, env=env) as proc:
            deadline = time.monotonic() + 60
            while not killed_a_waiting_category(pg_url) and time.monotonic() < deadline:
                assert proc.poll() is None, "the run ended before its heart rate could be cut"
                time.sleep(0.02)
            _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 1, stderr
        assert "Traceback" not in stderr
        errors = [line for line in stderr.splitlines() if "error" in line]
        assert len(errors) == 1, stderr
        cursors = {name for (name,) in query(pg_url, "SELECT category FROM _cursors")}
        for category in BY_NAME:
            (rows,) = query(pg_url, f'SELECT count(*) FROM "{category}"')[0]
            assert (rows > 0) <= (category in cursors), category  # no rows without a cursor
        assert run_cli(*db_only_args(api, pg_url)).returncode == 0
        assert fetch(api, ws).returncode == 0
    export_into(pg_url, tmp_path / "export")
    same_files(ws.data, tmp_path / "export")


# The heart-rate transaction (the longest), waiting for its next pages.
CATEGORY_WAITING = (
    "application_name LIKE 'oura-stats%: heartrate' AND state = 'idle in transaction'"
)


def killed_a_waiting_category(url: str) -> bool:
    """Terminate the session of a category waiting for its next page, after another
    category committed; whether there was one."""
    try:
        done = bool(query(url, "SELECT 1 FROM _cursors LIMIT 1"))
    except psycopg.errors.UndefinedTable:
        return False
    killed = (
        query(
            url,
            "SELECT pg_terminate_backend(pid), query FROM pg_stat_activity "
            f"WHERE {CATEGORY_WAITING}",
        )
        if done
        else []
    )
    return any(ok for (ok, _) in killed)


def test_a_database_only_service_serves_no_report_page_and_never_complains_of_one(
    api: FakeOura, pg_url: str
) -> None:
    done = run_cli(
        "service", "--no-csv", "--db", pg_url, "--token", TOKEN, "--base-url", api.url,
        "--max-runs", "1", "--health-port", "0",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "health endpoint at" in done.stderr
    assert "report" not in done.stderr.lower().replace("reports", "")
