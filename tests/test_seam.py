"""The storage seam's contract: every backend (files, PostgreSQL) passes the same tests.

Cursors, credentials and locks are built the way `run/homes.py` builds them for a run,
each bound to one account; cross-process behaviour is checked with real processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from oura_stats.auth.credentials import Credentials
from oura_stats.auth.reserve import CredentialsNotSaved
from oura_stats.auth.seam import CredentialStore
from oura_stats.errors import LockBusyError
from oura_stats.store.seam import RUN, CursorStore, Locks

REPO = Path(__file__).resolve().parent.parent
KEY_ENV = {"OURA_STATS_SECRET_KEY": "contract-test-key"}


@dataclass
class Backend:
    """How to build each store of one backend, here and in a child process."""

    name: str
    cursors: Callable[[], CursorStore]
    credentials: Callable[[], CredentialStore]
    locks: Callable[[], Locks]
    child_setup: str  # Python that defines `locks` and `credentials` in a child


@pytest.fixture(params=["files", "postgresql"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Backend]:
    made: list[Any] = []

    def kept(build: Callable[[], Any]) -> Callable[[], Any]:
        def make() -> Any:
            made.append(build())
            return made[-1]

        return make

    yield _backend(request, tmp_path, monkeypatch, kept)
    for store in made:
        if hasattr(store, "close"):
            store.close()


def _backend(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kept: Callable[[Callable[[], Any]], Callable[[], Any]],
) -> Backend:
    monkeypatch.setenv("OURA_STATS_SECRET_KEY", KEY_ENV["OURA_STATS_SECRET_KEY"])
    if request.param == "files":
        from oura_stats.auth.seam import FileCredentials
        from oura_stats.store.lock import Resource
        from oura_stats.store.seam import FileCursors, FileLocks

        state, creds = tmp_path / "state.json", tmp_path / "credentials.json"
        run = [Resource.output_dir(tmp_path), Resource.file(state, "state file")]
        setup = f"""
            from pathlib import Path
            from oura_stats.auth.seam import FileCredentials
            from oura_stats.store.lock import Resource
            from oura_stats.store.seam import FileLocks
            state = Path({str(state)!r})
            run = [Resource.output_dir(state.parent), Resource.file(state, "state file")]
            locks = FileLocks(state, run)
            credentials = FileCredentials(Path({str(creds)!r}))
        """
        return Backend(
            "files",
            kept(lambda: FileCursors(state)),
            kept(lambda: FileCredentials(creds)),
            kept(lambda: FileLocks(state, run)),
            setup,
        )
    from oura_stats.db.pgcredentials import PgCredentials
    from oura_stats.db.pgstate import PgCursors, PgLocks
    from oura_stats.db.sealing import Sealer

    url = request.getfixturevalue("pg_url")
    setup = f"""
        from oura_stats.db.pgcredentials import PgCredentials
        from oura_stats.db.pgstate import PgLocks
        from oura_stats.db.sealing import Sealer
        locks = PgLocks({url!r}, "db", "alice")
        sealer = Sealer.from_environment(plain_allowed=False)
        credentials = PgCredentials({url!r}, "db", "alice", sealer)
    """
    sealer = Sealer.from_environment(plain_allowed=False)
    return Backend(
        "postgresql",
        kept(lambda: PgCursors(url, "db", "alice")),
        kept(lambda: PgCredentials(url, "db", "alice", sealer)),
        kept(lambda: PgLocks(url, "db", "alice")),
        setup,
    )


def child(backend: Backend, body: str) -> subprocess.Popen[str]:
    code = textwrap.dedent(backend.child_setup) + textwrap.dedent(body)
    env = {**os.environ, "PYTHONPATH": str(REPO), **KEY_ENV}
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )


def state(cursor: str) -> dict[str, Any]:
    return {
        "version": 1,
        "categories": {"sleep": {"cursor": cursor, "last_success": "2026-12-06T05:00:00+00:00"}},
        "runs": [{"started": "2026-12-06T05:00:00+00:00", "categories": {}}],
        "source": {"base_url": "http://x", "sandbox": False, "account": "a1"},
    }


def grant(n: int) -> Credentials:
    return Credentials(
        client_id="client",
        token_url="http://127.0.0.1:9/oauth/token",
        expires_at=1_800_000_000.0 + n,
        obtained_at=1_799_990_000.0 + n,
        scopes=("daily",),
        client_secret="client-secret-x",
        access_token=f"access-{n}",
        refresh_token=f"refresh-{n}",
    )


def parsed(raw: Any) -> Any:
    import json

    return json.loads(raw) if isinstance(raw, bytes) else raw


# --- cursors ------------------------------------------------------------------------------


def test_cursors_start_empty(backend: Backend) -> None:
    assert backend.cursors().load() is None


def test_cursors_round_trip_and_clear(backend: Backend) -> None:
    backend.cursors().save(state("2026-12-01"))
    assert parsed(backend.cursors().load()) == state("2026-12-01")
    backend.cursors().save(state("2026-12-02") | {"categories": {}})
    assert parsed(backend.cursors().load())["categories"] == {}
    backend.cursors().clear()
    assert backend.cursors().load() is None


def test_cursors_saved_from_many_threads_end_whole(backend: Backend) -> None:
    store = backend.cursors()
    days = [f"2026-11-{day:02d}" for day in range(1, 17)]
    threads = [threading.Thread(target=store.save, args=(state(day),)) for day in days]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert parsed(backend.cursors().load())["categories"]["sleep"]["cursor"] in days


# --- locks --------------------------------------------------------------------------------


def test_a_held_lock_refuses_a_second_process_naming_the_holder(backend: Backend) -> None:
    with backend.locks().hold(RUN):
        proc = child(
            backend,
            """
            from oura_stats.errors import LockBusyError
            try:
                with locks.hold("run"):
                    print("got it")
            except LockBusyError as error:
                print("busy:", error)
            """,
        )
        out, _ = proc.communicate(timeout=60)
    assert out.startswith("busy:")
    assert str(os.getpid()) in out
    with backend.locks().hold(RUN):  # released when its holder left the block
        pass


def test_a_lock_held_by_a_killed_process_is_free_again(backend: Backend) -> None:
    proc = child(
        backend,
        """
        import time
        with locks.hold("run"):
            print("held", flush=True)
            time.sleep(60)
        """,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    with pytest.raises(LockBusyError, match=str(proc.pid)), backend.locks().hold(RUN):
        pass
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    with backend.locks().hold(RUN, wait=10):
        pass


# --- credentials --------------------------------------------------------------------------


def test_credentials_round_trip_and_delete(backend: Backend) -> None:
    store = backend.credentials()
    assert not store.exists()
    store.save(grant(1))
    assert backend.credentials().load() == grant(1)
    assert store.delete()
    assert not store.exists()
    assert not store.delete()


def test_the_marker_changes_when_another_process_saves(backend: Backend) -> None:
    store = backend.credentials()
    store.save(grant(1))
    before = store.marker()
    proc = child(
        backend,
        """
        from oura_stats.auth.credentials import Credentials
        old = credentials.load()
        credentials.save(old.replace(access_token="access-2", refresh_token="refresh-2"))
        """,
    )
    proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert store.marker() != before
    assert store.load().refresh_token == "refresh-2"


def test_a_failed_save_keeps_the_old_token(backend: Backend) -> None:
    store = backend.credentials()
    store.save(grant(1))
    with pytest.raises(RuntimeError), store.refreshing() as held:
        assert held.current == grant(1)
        raise RuntimeError("the token endpoint answered, the save never happened")
    assert store.load() == grant(1)
    with store.refreshing() as held:
        sabotage(backend, store)
        with pytest.raises(CredentialsNotSaved):
            held.commit(grant(2))
    assert backend.credentials().load() == grant(1)


def sabotage(backend: Backend, store: CredentialStore) -> None:
    """Make the next save fail: a read-only directory, or the database session killed."""
    if backend.name == "files":
        path = Path(store.where.removeprefix("credentials file "))
        for temp in path.parent.glob(".credentials.json.*"):
            temp.chmod(0o400)
            temp.rename(temp.with_name("moved-away"))  # commit renames a vanished file
        return
    import psycopg

    url = store._url  # type: ignore[attr-defined]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE state = 'idle in transaction' AND datname = current_database()"
        )
    time.sleep(0.2)


def test_refreshes_from_many_threads_never_lose_a_rotation(backend: Backend) -> None:
    store = backend.credentials()
    store.save(grant(0))

    def rotate() -> None:
        with store.refreshing() as held:
            n = int(held.current.access_token.split("-")[1])
            held.commit(grant(n + 1))

    threads = [threading.Thread(target=rotate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert backend.credentials().load() == grant(8)
