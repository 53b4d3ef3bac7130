"""What `oura-stats status` reports: which categories to show and their view.

Reads the state file and the CSVs only (no lock, no network); `apicheck` asks the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from oura_stats.api.categories import CATEGORIES, Category, select
from oura_stats.errors import ConfigError
from oura_stats.monitor.freshness import StatusView, view_to_json
from oura_stats.monitor.status_table import ApiCheck
from oura_stats.store.state import State


def load_state(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(
            f"no state file {path}: nothing has been collected there yet; check --state-file "
            "(it must match the one given to fetch/service) or run `oura-stats fetch` first"
        )
    if path.is_dir():
        raise ConfigError(f"--state-file {path} is a directory; name a file")
    return State.load(path).snapshot()


def shown_categories(
    state: Mapping[str, Any],
    output_dir: Path,
    selected: list[str] | None,
    since: dt.datetime,
) -> list[Category]:
    """The selected categories; else those collected by a run started after `since` (so a
    category no longer collected drops out); else, when no run is that recent, every
    category the state or the output directory knows (so that all of them show as stale)."""
    if selected:
        return select(selected)
    names: set[str] = set()
    for run in state.get("runs", []):
        if _after(run.get("started"), since):
            names.update(run.get("categories", {}))
    if not names:
        names.update(state.get("categories", {}))
        names.update(c.name for c in CATEGORIES if (output_dir / f"{c.name}.csv").is_file())
    return [c for c in CATEGORIES if c.name in names]


def _after(text: Any, since: dt.datetime) -> bool:
    try:
        moment = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return False
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)) >= since


def status_json(view: StatusView, api: ApiCheck | None) -> dict[str, Any]:
    document = view_to_json(view)
    if api is not None:
        document["api"] = {"ok": api.ok, "message": api.message}
    return document
