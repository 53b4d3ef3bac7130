"""What the service loop knows after each round, and the health verdict built from it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from oura_stats.errors import EXIT_OK
from oura_stats.monitor.freshness import StatusView, view_to_json
from oura_stats.store.csvfacts import CsvFacts


@dataclass(frozen=True)
class Counters:
    """Per category, totals over the rounds this process has seen finish."""

    requests: Mapping[str, int] = field(default_factory=dict)
    errors: Mapping[str, int] = field(default_factory=dict)
    new: Mapping[str, int] = field(default_factory=dict)
    updated: Mapping[str, int] = field(default_factory=dict)

    def plus(self, run: Mapping[str, Any]) -> Counters:
        """These totals plus one run record (as the collector writes it to the state)."""
        requests, errors = dict(self.requests), dict(self.errors)
        new, updated = dict(self.new), dict(self.updated)
        for name, result in run.get("categories", {}).items():
            requests[name] = requests.get(name, 0) + int(result.get("requests") or 0)
            errors[name] = errors.get(name, 0) + (1 if result.get("error") else 0)
            new[name] = new.get(name, 0) + int(result.get("new") or 0)
            updated[name] = updated.get(name, 0) + int(result.get("updated") or 0)
        return Counters(requests, errors, new, updated)


@dataclass(frozen=True)
class Snapshot:
    """What the loop knows after its latest round; immutable, replaced whole."""

    state: Mapping[str, Any] = field(default_factory=dict)
    facts: Mapping[str, CsvFacts] = field(default_factory=dict)
    counters: Counters = field(default_factory=Counters)
    rounds_ok: int = 0
    rounds_failed: int = 0
    last_code: int | None = None  # exit code of this process's last round
    last_started: dt.datetime | None = None
    last_finished: dt.datetime | None = None
    running_since: dt.datetime | None = None
    problem: str | None = None  # the state or the CSVs could not be read (a damaged state)

    @property
    def last_round_ok(self) -> bool | None:
        """This process's last round, else the last run the state recorded; None: no run yet."""
        if self.last_code is not None:
            return self.last_code == EXIT_OK
        runs = self.state.get("runs") or []
        if not runs:
            return None
        return not any(r.get("error") for r in runs[-1].get("categories", {}).values())


@dataclass(frozen=True)
class Health:
    healthy: bool
    view: StatusView
    snapshot: Snapshot

    @property
    def status_code(self) -> int:
        return 200 if self.healthy else 503

    def to_json(self) -> dict[str, Any]:
        snap = self.snapshot
        service = {
            "rounds_ok": snap.rounds_ok,
            "rounds_failed": snap.rounds_failed,
            "round_in_progress": snap.running_since is not None,
            "running_since": _iso(snap.running_since),
            "last_round": {
                "started": _iso(snap.last_started),
                "finished": _iso(snap.last_finished),
                "ok": snap.last_round_ok,
            },
        }
        return {
            "healthy": self.healthy,
            "problem": snap.problem,
            "service": service,
            **view_to_json(self.view),
        }


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")
