"""Atomic file replacement: a reader (or a crash) only ever sees the old or the new file."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

TEMP_SUFFIX = ".tmp"


def fsync_directory(directory: Path) -> None:
    """Persist a rename: without this, a power loss can forget that the new file exists."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_binary_writer(path: Path, *, mode: int = 0o644) -> Iterator[IO[bytes]]:
    """Yield a temp file beside `path`; on success fsync it and rename it over `path`.

    mkstemp creates the temp file with mode 0600 and we only ever widen it, so a secret
    is never readable by others, not even for an instant. On any exception the temp
    file is removed and `path` is left untouched.
    """
    directory = path.parent
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=directory)
    temp_path = Path(temp_name)
    try:
        if mode != 0o600:
            os.fchmod(fd, mode)
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
def atomic_writer(path: Path, *, mode: int = 0o644) -> Iterator[IO[str]]:
    """Text (UTF-8, no newline translation) version of `atomic_binary_writer`."""
    with atomic_binary_writer(path, mode=mode) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=False)
        try:
            yield text
            text.flush()
        finally:
            text.detach()


def write_text_atomic(path: Path, content: str, *, mode: int = 0o644) -> None:
    """Replace `path` with `content` atomically."""
    with atomic_writer(path, mode=mode) as handle:
        handle.write(content)


def remove_stale_temp_files(directory: Path, name: str) -> None:
    """Delete temp files a killed run left beside `name` (call only while holding the run lock)."""
    for leftover in directory.glob(f".{name}.*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            leftover.unlink()
