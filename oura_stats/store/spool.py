"""Sorted runs of rows spilled to disk, so a backfill never holds a whole history in memory."""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from oura_stats.store.atomic import TEMP_SUFFIX

_CHUNK = 512  # items per pickle: the merge holds one chunk of every run at once ...
_CHUNK_BYTES = 256 << 10  # ... and, when the caller knows their size, about this many bytes


class Spool:
    """Temp files beside the CSV, each holding one sorted run (or blocks, see blockfile.py);
    removed by `close`."""

    def __init__(self, directory: Path, name: str) -> None:
        self._directory = directory
        self._prefix = f".{name}."
        self._paths: list[Path] = []

    def write_run(self, items: list[Any], *, chunk: int = _CHUNK, size: int = 0) -> None:
        """Store `items` (already sorted) as one run, read back `chunk` items at a time.

        `size`: about the bytes the items hold in memory; chunks then hold about
        _CHUNK_BYTES each (a day of per-minute activity is 7 kB, a heart-rate sample 0.1).
        """
        if size > 0:
            chunk = max(1, min(chunk, len(items) * _CHUNK_BYTES // size))
        fd, name = tempfile.mkstemp(
            prefix=self._prefix, suffix=f".run{TEMP_SUFFIX}", dir=self._directory
        )
        path = Path(name)
        self._paths.append(path)
        with os.fdopen(fd, "wb") as handle:
            for start in range(0, len(items), chunk):
                pickle.dump(items[start : start + chunk], handle, protocol=pickle.HIGHEST_PROTOCOL)

    def new_file(self) -> Path:
        """A new empty temp file for the caller to fill and read; removed by `close`."""
        fd, name = tempfile.mkstemp(
            prefix=self._prefix, suffix=f".blocks{TEMP_SUFFIX}", dir=self._directory
        )
        os.close(fd)
        self._paths.append(Path(name))
        return Path(name)

    def runs(self) -> list[Iterator[Any]]:
        """One lazy reader per run, each yielding its items in order."""
        return [self._read(path) for path in self._paths]

    @staticmethod
    def _read(path: Path) -> Iterator[Any]:
        with path.open("rb") as handle:
            while True:
                try:
                    chunk = pickle.load(handle)  # noqa: S301 - our own temp file, written above
                except EOFError:
                    return
                yield from chunk

    def close(self) -> None:
        for path in self._paths:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        self._paths.clear()
