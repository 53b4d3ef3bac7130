"""What `oura-stats status` reports: which categories to show and their view.

Reads the saved state and the stored rows only (no lock, no network; see `records.py`);
`apicheck` asks the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from oura_stats.api.categories import CATEGORIES, Category, select
from oura_stats.monitor.freshness import StatusView, view_to_json
from oura_stats.monitor.status_table import ApiCheck


def shown_categories(
    state: Mapping[str, Any],
    stored: Callable[[], Iterable[str]],
    selected: list[str] | None,
    since: dt.datetime,
) -> list[Category]:
    """The selected categories; else those collected by a run started after `since` (so a
    category no longer collected drops out); else, when no run is that recent, every
    category the state knows or that has rows `stored()` (so that all of them show as stale)."""
    if selected:
        return select(selected)
    names: set[str] = set()
    for run in state.get("runs", []):
        if _after(run.get("started"), since):
            names.update(run.get("categories", {}))
    if not names:
        names.update(state.get("categories", {}))
        names.update(stored())
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
