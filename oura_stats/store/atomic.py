"""Atomic file replacement: a reader (or a crash) only ever sees the old or the new file."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

TEMP_SUFFIX = ".tmp"
_UMASK_LOCK = threading.Lock()


def fsync_directory(directory: Path) -> None:
    """Persist a rename: without this, a power loss can forget that the new file exists."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def current_umask() -> int:
    """The process's umask, read without changing it where the kernel allows (Linux 4.7+)."""
    status = Path("/proc/self/status")
    with contextlib.suppress(OSError, ValueError), status.open(errors="replace") as lines:
        for line in lines:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    with _UMASK_LOCK:  # elsewhere: set and restore it (the only portable way to read it)
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def default_mode() -> int:
    """The mode `open()` would give a new file: 0o666 less the umask."""
    return 0o666 & ~current_umask()


@contextlib.contextmanager
def atomic_binary_writer(path: Path, *, mode: int | None = None) -> Iterator[IO[bytes]]:
    """Yield a temp file beside `path`; on success fsync it and rename it over `path`.

    The new file gets `mode`, or by default what the umask allows a new file (0o666 less
    the umask), like any file a program creates. mkstemp creates the temp file with mode
    0600 and we only ever widen it, so a secret (mode 0600) is never readable by others,
    not even for an instant. On any exception the temp file is removed and `path` is left
    untouched.
    """
    wanted = default_mode() if mode is None else mode
    directory = path.parent
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=directory)
    temp_path = Path(temp_name)
    try:
        if wanted != 0o600:
            os.fchmod(fd, wanted)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        temp_path.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp_path.unlink()
        raise
    fsync_directory(directory)


@contextlib.contextmanager
def atomic_writer(path: Path, *, mode: int | None = None) -> Iterator[IO[str]]:
    """Text (UTF-8, no newline translation) version of `atomic_binary_writer`."""
    with atomic_binary_writer(path, mode=mode) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=False)
        try:
            yield text
            text.flush()
        finally:
            text.detach()


def write_text_atomic(path: Path, content: str, *, mode: int | None = None) -> None:
    """Replace `path` with `content` atomically."""
    with atomic_writer(path, mode=mode) as handle:
        handle.write(content)


def remove_stale_temp_files(directory: Path, name: str) -> None:
    """Delete temp files a killed run left beside `name` (call only while holding the run lock)."""
    for leftover in directory.glob(f".{name}.*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            leftover.unlink()
