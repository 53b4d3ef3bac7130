"""What a round tells the mirror: the CSV states before it began, and which CSVs it committed.

The mirror writes the database after the round's collection (still inside the run lock),
so the memory of fetching and of loading never add up, and the CSV states noted before the
first commit tell which tables were level with their CSVs when the round began.
"""

from __future__ import annotations

import threading
from pathlib import Path

from oura_stats.api.categories import CATEGORIES, Category


def csv_state(path: Path) -> str | None:
    """What identifies one version of a CSV file (each commit replaces the file)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}"


def csv_states(output_dir: Path) -> dict[str, str | None]:
    return {c.name: csv_state(output_dir / f"{c.name}.csv") for c in CATEGORIES}


class CommitLog:
    """The categories committed this round, each with the oldest time key it wrote (None:
    unknown, so the whole CSV). Thread-safe: the collector commits from its workers."""

    def __init__(self, output_dir: Path) -> None:
        self.before = csv_states(output_dir)
        self._since: dict[str, tuple[Category, str | None]] = {}
        self._lock = threading.Lock()

    def add(self, category: Category, since: str | None) -> None:
        with self._lock:
            if category.name in self._since:
                earlier = self._since[category.name][1]
                since = None if since is None or earlier is None else min(since, earlier)
            self._since[category.name] = (category, since)

    def committed(self) -> list[tuple[Category, str | None]]:
        with self._lock:
            return list(self._since.values())
