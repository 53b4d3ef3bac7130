"""Which source an output directory's data came from: the value, and its record on disk.

Sandbox sample data, the demo's synthetic account and a real account's data (or two
accounts' data) must never mix: sample rows would pass for real ones, and cursors moved by
one source would keep the other's history from ever being fetched. The directory keeps its
source in a small marker file written (atomically) with its first commit; a directory made
before the marker existed is known by its state file or its personal_info.csv. The check
itself, for directories and databases alike, is `run/identity.py`.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oura_stats.store.atomic import write_text_atomic

MARKER = ".oura-source.json"
MARKER_VERSION = 1


@dataclass(frozen=True)
class Source:
    """The API base URL ("" when unknown), sandbox or demo or not, and the account's id
    when personal_info told it."""

    base_url: str
    sandbox: bool
    account: str | None = None
    demo: bool = False

    @classmethod
    def of(
        cls, base_url: str, sandbox: bool, account: str | None = None, *, demo: bool = False
    ) -> Source:
        return cls(base_url.rstrip("/"), sandbox, account or None, demo)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Source:
        account = data.get("account")
        return cls.of(
            str(data["base_url"]),
            bool(data["sandbox"]),
            None if account is None else str(account),
            demo=data.get("demo") is True,
        )

    def to_json(self) -> dict[str, Any]:
        data = {"base_url": self.base_url, "sandbox": self.sandbox, "account": self.account}
        return {**data, "demo": True} if self.demo else data

    def describe(self) -> str:
        where = f" at {self.base_url}" if self.base_url else ""
        if self.demo:
            return "the demo's synthetic account"
        if self.sandbox:
            return f"Oura's sandbox (sample data){where}"
        if self.account:
            return f"the account {self.account}{where}"
        return f"an account{where}" if where else "an unnamed account"


def same_source(recorded: Source, current: Source) -> bool:
    """Known account ids decide (the API may move); else the URL and the sandbox flag."""
    if recorded.sandbox != current.sandbox or recorded.demo != current.demo:
        return False
    if recorded.demo:
        return True  # served on a new port every time
    if recorded.account and current.account:
        return recorded.account == current.account
    return recorded.base_url == current.base_url


def merged(recorded: Source | None, current: Source) -> Source:
    """What to record after a run from `current` into files from `recorded` (same source)."""
    if recorded is None or current.account:
        return current
    return Source(current.base_url, current.sandbox, recorded.account, current.demo)


def mismatch_message(recorded: Source, current: Source, output_dir: Path, state: Path) -> str:
    return (
        f"{output_dir} and the state file {state} hold data from {recorded.describe()}, but "
        f"this run reads {current.describe()}; mixing them would pass one's rows for the "
        "other's. Use another --output-dir (each folder keeps its own state), or empty "
        f"{output_dir} and rerun with --reset-state"
    )


def holds_data(directory: Path) -> bool:
    """Whether the directory holds any category's CSV (only then does its source count)."""
    return directory.is_dir() and any(directory.glob("*.csv"))


def read_marker(directory: Path) -> Source | None:
    """The source the directory's marker records (None: no marker, or an unreadable one,
    which the next commit rewrites)."""
    try:
        data = json.loads((directory / MARKER).read_text(encoding="utf-8"))
        return Source.from_json(data["source"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_marker(directory: Path, source: Source) -> None:
    """Record the directory's source (atomically: a reader sees the old or the new one)."""
    record = {
        "version": MARKER_VERSION,
        "source": source.to_json(),
        "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    write_text_atomic(directory / MARKER, json.dumps(record, indent=2, sort_keys=True) + "\n")


def personal_info_source(directory: Path) -> Source | None:
    """A directory of an earlier version: the account its personal_info.csv names."""
    try:
        with (directory / "personal_info.csv").open(newline="", encoding="utf-8") as handle:
            ids = {row.get("id") or "" for row in csv.DictReader(handle)} - {""}
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return Source.of("", False, min(ids)) if ids else None
