"""Where the data in an output directory came from, as recorded in the state file.

Sandbox sample data and a real account's data (or two accounts' data) must never mix in
one set of CSVs: sample rows would pass for real ones, and cursors moved by one source
would keep the other's history from ever being fetched. A run compares its own source with
the recorded one and refuses a different one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Source:
    """The API base URL, sandbox or not, and the account's id when personal_info told it."""

    base_url: str
    sandbox: bool
    account: str | None = None

    @classmethod
    def of(cls, base_url: str, sandbox: bool, account: str | None = None) -> Source:
        return cls(base_url.rstrip("/"), sandbox, account or None)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Source:
        return cls.of(str(data["base_url"]), bool(data["sandbox"]), data.get("account"))

    def to_json(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "sandbox": self.sandbox, "account": self.account}

    def describe(self) -> str:
        if self.sandbox:
            return f"Oura's sandbox (sample data) at {self.base_url}"
        if self.account:
            return f"the account {self.account} at {self.base_url}"
        return f"an account at {self.base_url}"


def same_source(recorded: Source, current: Source) -> bool:
    """Known account ids decide (the API may move); else the URL and the sandbox flag."""
    if recorded.sandbox != current.sandbox:
        return False
    if recorded.account and current.account:
        return recorded.account == current.account
    return recorded.base_url == current.base_url


def merged(recorded: Source | None, current: Source) -> Source:
    """What to record after a run from `current` into files from `recorded` (same source)."""
    if recorded is None or current.account:
        return current
    return Source(current.base_url, current.sandbox, recorded.account)


def mismatch_message(recorded: Source, current: Source, output_dir: Path, state: Path) -> str:
    return (
        f"{output_dir} and the state file {state} hold data from {recorded.describe()}, but "
        f"this run reads {current.describe()}; mixing them would pass one's rows for the "
        "other's. Use another --output-dir (with its own --state-file), or empty "
        f"{output_dir} and rerun with --reset-state"
    )
