"""Where a run keeps its cursors and takes its locks: the two small interfaces, and their
file implementations (a JSON state file, flocks). The PostgreSQL ones live in
`db/pgstate.py`; `run/homes.py` picks one from the settings, and nothing else asks which.

Each is bound to one account when built (a state file is one account's; a database keeps
many, by key), so no method takes an account.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from oura_stats.errors import LockBusyError, StorageError
from oura_stats.store.atomic import write_text_atomic
from oura_stats.store.lock import Resource, RunLock, file_lock_path

RUN = "run"  # the lock a collection round holds from start to end


class CursorStore(Protocol):
    """The state of one account: cursors, failures, run history, source (a JSON object)."""

    where: str  # how messages name it: "state file ./x.json", "database postgresql://h/db"

    def load(self) -> bytes | dict[str, Any] | None:
        """The saved state (a file's bytes, parsed by `State`), None when nothing is saved."""

    def save(self, data: dict[str, Any]) -> None:
        """Replace the saved state whole; on failure the old one stands (StorageError)."""

    def clear(self) -> None:
        """Forget everything saved (a --reset-state)."""


class Locks(Protocol):
    """Named exclusive locks of one account, released when their holder dies."""

    def hold(self, name: str, *, wait: float = 0.0) -> AbstractContextManager[None]:
        """Hold `name` (retrying up to `wait` seconds); LockBusyError names the holder."""


class FileCursors:
    """The JSON state file (written atomically; the run lock guards it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = f"state file {path}"

    def load(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StorageError(f"cannot read {self.where}: {error.strerror}") from error

    def save(self, data: dict[str, Any]) -> None:
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
        try:
            write_text_atomic(self.path, text)
        except OSError as error:
            raise StorageError(
                f"cannot save the {self.where}: {error.strerror or error}; the CSVs are "
                "whole, and the next run fetches again what this one could not record"
            ) from error

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


class FileLocks:
    """flocks: the run lock covers every file resource a run writes (see `lock.py`); any
    other name is a lock file beside the state file."""

    def __init__(self, state_path: Path, run_resources: Sequence[Resource]) -> None:
        self._state_path = state_path
        self._run = list(run_resources)

    @contextlib.contextmanager
    def hold(self, name: str, *, wait: float = 0.0) -> Iterator[None]:
        resources = self._run if name == RUN else [self._named(name)]
        deadline = time.monotonic() + wait
        lock = RunLock(resources)
        while True:
            try:
                lock.acquire()
                break
            except LockBusyError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)
        try:
            yield
        finally:
            lock.release()

    def _named(self, name: str) -> Resource:
        path = self._state_path.with_name(f"{self._state_path.name}.{name}")
        return Resource(file_lock_path(path), f"{name} lock of {self._state_path}")
