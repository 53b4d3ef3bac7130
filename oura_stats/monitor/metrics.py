"""The service's health as Prometheus text (exposition format 0.0.4), for `GET /metrics`.

Gauges describe the data now (last success, newest data, rows, stale, failing); counters
add up the rounds this process ran (they restart at zero with the service, as Prometheus
expects of counters).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from oura_stats.monitor.freshness import FAILING, STALE, CategoryView, instant
from oura_stats.monitor.snapshot import Counters, Health

PREFIX = "oura_stats_"


class _Family:
    """One metric: its HELP and TYPE lines and its samples."""

    def __init__(self, name: str, kind: str, help_text: str) -> None:
        self.name = PREFIX + name
        self.lines = [f"# HELP {self.name} {help_text}", f"# TYPE {self.name} {kind}"]

    def add(self, value: float | None, **labels: str) -> None:
        if value is None:
            return
        pairs = ",".join(f'{key}="{_escape(text)}"' for key, text in labels.items())
        selector = f"{{{pairs}}}" if pairs else ""
        self.lines.append(f"{self.name}{selector} {_number(value)}")


def render_metrics(health: Health) -> str:
    snap, views = health.snapshot, health.view.categories
    zone = dt.datetime.fromisoformat(health.view.checked_at).tzinfo or dt.UTC
    families = [*_service_families(health), *_category_gauges(views, zone)]
    families.extend(_category_counters(views, snap.counters))
    return "".join("\n".join(f.lines) + "\n" for f in families)


def _service_families(health: Health) -> list[_Family]:
    snap = health.snapshot
    healthy = _Family("healthy", "gauge", "1 when /health answers 200, else 0.")
    healthy.add(int(health.healthy))
    rounds = _Family("rounds_total", "counter", "Collection rounds finished by this process.")
    rounds.add(snap.rounds_ok, result="ok")
    rounds.add(snap.rounds_failed, result="failed")
    running = _Family("round_in_progress", "gauge", "1 while a collection round runs.")
    running.add(int(snap.running_since is not None))
    started = _Family(
        "last_round_start_timestamp_seconds", "gauge", "Start of this process's last round."
    )
    started.add(_epoch(snap.last_started))
    finished = _Family(
        "last_round_end_timestamp_seconds", "gauge", "End of this process's last round."
    )
    finished.add(_epoch(snap.last_finished))
    return [healthy, rounds, running, started, finished]


def _category_gauges(views: Iterable[CategoryView], zone: dt.tzinfo) -> list[_Family]:
    success = _Family(
        "category_last_success_timestamp_seconds",
        "gauge",
        "When the category was last collected without error.",
    )
    newest = _Family(
        "category_newest_data_timestamp_seconds",
        "gauge",
        "Newest data stored (a day counts until its end).",
    )
    rows = _Family("category_rows", "gauge", "Data rows in the category's CSV file.")
    stale = _Family("category_stale", "gauge", "1 when the category has no new data for too long.")
    failing = _Family("category_failing", "gauge", "1 when the last run failed the category.")
    for view in views:
        success.add(_epoch(_parse(view.last_success, zone)), category=view.name)
        newest.add(_epoch(_parse(view.newest, zone)), category=view.name)
        rows.add(view.rows, category=view.name)
        stale.add(int(view.verdict == STALE), category=view.name)
        failing.add(int(view.verdict == FAILING), category=view.name)
    return [success, newest, rows, stale, failing]


def _category_counters(views: Iterable[CategoryView], counters: Counters) -> list[_Family]:
    requests = _Family(
        "category_requests_total", "counter", "API requests made for the category by this process."
    )
    errors = _Family(
        "category_errors_total", "counter", "Rounds of this process that failed the category."
    )
    written = _Family(
        "category_rows_written_total", "counter", "Rows added or changed by this process."
    )
    for view in views:
        name = view.name
        requests.add(counters.requests.get(name, 0), category=name)
        errors.add(counters.errors.get(name, 0), category=name)
        written.add(counters.new.get(name, 0), category=name, change="new")
        written.add(counters.updated.get(name, 0), category=name, change="updated")
    return [requests, errors, written]


def _parse(value: str | None, zone: dt.tzinfo) -> dt.datetime | None:
    return instant(value, zone) if value else None


def _epoch(moment: dt.datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
