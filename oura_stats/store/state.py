"""The state of a run: cursors, failures, run history and source, with their rules.

Where it is kept (a JSON file, or tables) is a `CursorStore` (see `seam.py`); the round
loads it once and saves it after the rows it describes are stored.
"""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oura_stats.errors import ConfigError, StorageError
from oura_stats.scrub import scrub
from oura_stats.store.seam import CursorStore, FileCursors
from oura_stats.store.source import Source
from oura_stats.store.stateshape import shape_problem

VERSION = 1
RUN_HISTORY = 50


@dataclass
class CategoryState:
    """What is stored for one category.

    cursor: time key of the newest row stored (a day, or a UTC instant for time series).
    complete_until: last day through which the history was fetched without a gap.
    """

    cursor: str | None = None
    complete_until: str | None = None
    last_success: str | None = None


class State:
    """One account's state; thread-safe; saved whole, only after the rows it describes."""

    def __init__(self, home: CursorStore, data: dict[str, Any]) -> None:
        self.home = home
        self._data = data
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: Path) -> State:
        """The state file at `path` (a new, empty state when there is none)."""
        return cls.open(FileCursors(path))

    @classmethod
    def open(cls, home: CursorStore) -> State:
        try:
            raw = home.load()
        except StorageError as error:
            raise ConfigError(str(error)) from error
        if raw is None:
            return cls(home, {"version": VERSION, "categories": {}, "runs": []})
        return cls(home, _parse(home.where, raw))

    def entry(self, name: str) -> dict[str, Any]:
        """What is saved for one category (a copy), as it is stored."""
        with self._lock:
            return copy.deepcopy(self._data["categories"].get(name, {}))

    def category(self, name: str) -> CategoryState:
        with self._lock:
            entry = self._data["categories"].get(name, {})
            return CategoryState(
                cursor=entry.get("cursor"),
                complete_until=entry.get("complete_until"),
                last_success=entry.get("last_success"),
            )

    def forget(self, name: str) -> None:
        """Drop a category's cursors (its CSV vanished): the next run refetches its history."""
        with self._lock:
            self._data["categories"].pop(name, None)

    def record_success(self, name: str, new: CategoryState) -> None:
        with self._lock:
            entry = self._data["categories"].setdefault(name, {})
            entry.update(
                cursor=new.cursor, complete_until=new.complete_until, last_success=new.last_success
            )
            entry.pop("last_error", None)
            entry.pop("failing_since", None)

    def record_failure(self, name: str, message: str, at: str) -> None:
        with self._lock:
            entry = self._data["categories"].setdefault(name, {})
            entry["last_error"] = {"message": scrub(message), "at": at}
            entry.setdefault("failing_since", at)

    def record_run(self, run: dict[str, Any]) -> None:
        for outcome in run.get("categories", {}).values():
            if outcome.get("error"):
                outcome["error"] = scrub(outcome["error"])
        with self._lock:
            runs = self._data.setdefault("runs", [])
            runs.append(run)
            del runs[:-RUN_HISTORY]

    def source(self) -> Source | None:
        """Where the data came from, when a run recorded it."""
        with self._lock:
            recorded = self._data.get("source")
            return None if recorded is None else Source.from_json(recorded)

    def set_source(self, source: Source, folder: Path | None = None) -> None:
        """Record the source, and the output directory (absolute) whose cursors these are."""
        with self._lock:
            self._data["source"] = source.to_json()
            if folder is not None:
                self._data["output_dir"] = str(folder.resolve())

    def folder(self) -> Path | None:
        """The output directory these cursors describe, when a run recorded it."""
        with self._lock:
            recorded = self._data.get("output_dir")
            return None if recorded is None else Path(recorded)

    def is_empty(self) -> bool:
        """Nothing recorded yet: no category and no run."""
        with self._lock:
            return not self._data["categories"] and not self._data["runs"]

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._data)

    def save(self) -> None:
        """Save it whole; on a full disk, a read-only file system or a lost database the old
        state stands (it claims no more than the rows stored) and StorageError says why."""
        with self._lock:
            self.home.save(self._data)


def _parse(where: str, raw: bytes | dict[str, Any]) -> dict[str, Any]:
    path = where.removeprefix("state file ")
    fix = "fix or remove it, or rerun with --reset-state to refetch everything"
    if isinstance(raw, dict):
        return _checked(path, fix, raw)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ConfigError(f"state file {path} is damaged (not UTF-8 text); {fix}") from error
    except (ValueError, RecursionError) as error:
        reason = error.msg if isinstance(error, json.JSONDecodeError) else "not JSON"
        raise ConfigError(f"state file {path} is corrupt ({reason}); {fix}") from error
    return _checked(path, fix, data)


def _checked(path: str, fix: str, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("categories"), dict):
        raise ConfigError(f"state file {path} is not an oura-stats state file; {fix}")
    if data.get("version") != VERSION:
        raise ConfigError(
            f"state file {path} has version {data.get('version')!r}, this oura-stats "
            f"reads version {VERSION}; upgrade oura-stats or {fix}"
        )
    data.setdefault("runs", [])
    problem = shape_problem(data)
    if problem:
        raise ConfigError(f"state file {path} is damaged ({problem}); {fix}")
    return data
