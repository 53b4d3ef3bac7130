"""The run lock: one process at a time writes an output directory, its state file (and any
other resource a run writes, such as a database mirror).

The output directory itself carries an flock (no file is added to it), so two runs started
with different state files (say cron in one directory and a manual run in another) still
cannot write the same CSVs at once, and two paths to one directory share one lock. A file
resource has a lock file beside it (`<state-file>.lock`) holding the pid of its run. The
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
from dataclasses import dataclass
from pathlib import Path

from oura_stats.errors import ConfigError, LockBusyError

_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
_PROC_LOCKS = Path("/proc/locks")


@dataclass(frozen=True, order=True)
class Resource:
    """Something a run writes: a directory (locked itself) or a file (through a lock file)."""

    lock_path: Path
    label: str  # as messages name it: "output directory data"
    directory: bool = False

    @classmethod
    def output_dir(cls, path: Path) -> Resource:
        return cls(path, f"output directory {path}", directory=True)

    @classmethod
    def file(cls, path: Path, what: str) -> Resource:
        return cls(file_lock_path(path), f"{what} {path}")


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
    another resource (a database mirror) passes it in `extra`. Either every lock is taken,
    or none is held and `LockBusyError` names the run (pid) holding one.
    """

    def __init__(self, resources: Iterable[Resource]) -> None:
        # A fixed order (by path) keeps two runs from each holding half of the locks.
        self._resources = sorted(set(resources))
        self._fds: list[int] = []

    @classmethod
    def for_run(cls, output_dir: Path, state_path: Path, extra: Iterable[Resource] = ()) -> RunLock:
        return cls(
            [Resource.output_dir(output_dir), Resource.file(state_path, "state file"), *extra]
        )

    @property
    def resources(self) -> list[Resource]:
        return list(self._resources)

    def acquire(self) -> None:
        try:
            for resource in self._resources:
                self._fds.append(_lock_one(resource))
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


def _open_directory(path: Path) -> int:
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as error:
        raise ConfigError(f"cannot open {path} to lock it: {error.strerror}") from error


def _lock_one(resource: Resource) -> int:
    if resource.directory:
        fd = _open_directory(resource.lock_path)
    else:
        fd = open_lock_file(resource.lock_path)
    try:
        if not resource.directory and not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError(f"lock file {resource.lock_path} is not a regular file; remove it")
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd, resource.directory)
        os.close(fd)
        raise LockBusyError(
            f"another oura-stats run (pid {holder}) is using the {resource.label}; "
            "this run did nothing, try again when it has finished"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    if not resource.directory:
        with contextlib.suppress(OSError):  # a full disk: the pid only informs, the flock counts
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _holder(fd: int, directory: bool) -> str:
    """The pid holding the flock on `fd`: from the lock file, or the kernel's lock table."""
    if not directory:
        return os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
    info = os.fstat(fd)
    inode = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    with contextlib.suppress(OSError):
        for line in _PROC_LOCKS.read_text(errors="replace").splitlines():
            fields = line.split()
            # "1: FLOCK  ADVISORY  WRITE 27673 fe:00:260072 0 EOF"; "->" marks waiters
            if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == inode:
                return fields[4]
    return "unknown"
