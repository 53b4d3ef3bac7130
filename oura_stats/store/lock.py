"""The run lock: one process at a time writes an output directory, its state file (and any
other resource a run writes, such as a database mirror).

Each resource has a lock file that carries an flock for the whole run: `<output-dir>/
.oura-stats.lock` for the output directory, `<state-file>.lock` for the state file. The
output directory's own lock means two runs started with different state files (say cron in
one directory and a manual run in another) still cannot write the same CSVs at once. The
kernel releases an flock when its process dies, so a killed run never leaves a lock stuck;
lock files are never deleted (unlinking a locked file would let a second run lock a new
inode under the same name).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from oura_stats.errors import ConfigError, LockBusyError

OUTPUT_LOCK_NAME = ".oura-stats.lock"
_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC


def output_lock_path(output_dir: Path) -> Path:
    """The lock file that stands for a whole output directory."""
    return output_dir / OUTPUT_LOCK_NAME


def file_lock_path(path: Path) -> Path:
    """The lock file that stands for one file (the state file, a database file)."""
    return path.with_name(path.name + ".lock")


def open_lock_file(path: Path, mode: int = 0o666) -> int:
    """Open (creating) a lock file; refuse a symbolic link rather than follow it.

    O_NOFOLLOW keeps a planted link from making us create, lock or truncate its target;
    O_CLOEXEC keeps the descriptor (and with it the lock) out of child processes.
    """
    try:
        return os.open(path, _OPEN_FLAGS, mode)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise ConfigError(
                f"lock file {path} is a symbolic link; remove it (oura-stats never follows "
                "links for its lock files)"
            ) from error
        raise ConfigError(
            f"cannot create lock file {path}: {error.strerror}; "
            "check that its directory exists and is writable"
        ) from error


class RunLock:
    """Exclusive, non-blocking locks on every resource a run writes, held for the whole run.

    `RunLock.for_run(output_dir, state_path)` covers a collection round; a part that writes
    another resource (a database mirror) passes its lock file in `extra`. Either every lock
    is taken, or none is held and `LockBusyError` names the run (pid) holding one.
    """

    def __init__(self, resources: Iterable[tuple[Path, str]]) -> None:
        """`resources`: (lock file, what it stands for, as said in messages)."""
        unique: dict[Path, str] = {}
        for path, label in resources:
            unique.setdefault(path, label)
        # A fixed order (by path) keeps two runs from each holding half of the locks.
        self._resources = sorted(unique.items())
        self._fds: list[int] = []

    @classmethod
    def for_run(
        cls, output_dir: Path, state_path: Path, extra: Iterable[tuple[Path, str]] = ()
    ) -> RunLock:
        return cls(
            [
                (output_lock_path(output_dir), f"output directory {output_dir}"),
                (file_lock_path(state_path), f"state file {state_path}"),
                *extra,
            ]
        )

    @property
    def paths(self) -> list[Path]:
        return [path for path, _ in self._resources]

    def acquire(self) -> None:
        try:
            for path, label in self._resources:
                self._fds.append(_lock_one(path, label))
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        while self._fds:
            fd = self._fds.pop()
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _lock_one(path: Path, label: str) -> int:
    fd = open_lock_file(path)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError(f"lock file {path} is not a regular file; remove it")
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise LockBusyError(
            f"another oura-stats run (pid {holder}) is using the {label}; "
            "this run did nothing, try again when it has finished"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    with contextlib.suppress(OSError):  # a full disk: the pid only informs, the flock counts
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd
