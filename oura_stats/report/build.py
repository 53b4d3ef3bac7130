"""Build the report from an output directory and write it atomically; used by the `report`
command, by `fetch`/`service --report` after each round, and by `demo`."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oura_stats.api.categories import CATEGORIES
from oura_stats.errors import ConfigError, OuraStatsError, StorageError
from oura_stats.monitor.freshness import Policy, build_view, last_run, local_now
from oura_stats.report.daily import day_range
from oura_stats.report.page import Header, render
from oura_stats.report.sources import Period, read_all
from oura_stats.store.atomic import write_text_atomic
from oura_stats.store.csvfacts import facts_for
from oura_stats.store.state import State

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Built:
    """What was written."""

    path: Path
    first: dt.date
    last: dt.date
    size: int
    seconds: float


def build_report(
    output_dir: Path,
    out: Path,
    state_path: Path | None,
    period: Period | None = None,
    *,
    now: dt.datetime | None = None,
) -> Built:
    """Read the CSVs in `output_dir`, write the page to `out` (atomically)."""
    began = time.perf_counter()
    if out.is_dir():
        raise ConfigError(f"--out {out} is a directory; name a file, such as {out / 'report.html'}")
    if not out.parent.is_dir():
        raise ConfigError(f"cannot write the report {out}: no directory {out.parent}")
    page, days = make_page(output_dir, state_path, period, now=now)
    try:
        write_text_atomic(out, page)
    except OSError as error:
        raise StorageError(
            f"cannot write the report {out}: {error.strerror or error}; the old page is kept "
            "(free some space, or choose another --out)"
        ) from error
    size = len(page.encode("utf-8"))
    return Built(out, days[0], days[-1], size, time.perf_counter() - began)


def make_page(
    output_dir: Path,
    state_path: Path | None,
    period: Period | None = None,
    *,
    now: dt.datetime | None = None,
) -> tuple[str, list[dt.date]]:
    """The page (HTML text) for the CSVs in `output_dir`, and the days it covers."""
    period = period or Period()
    moment = now or local_now()
    if not output_dir.is_dir():
        raise ConfigError(f"--output-dir {output_dir} is not a directory; run `oura-stats fetch`")
    data = read_all(output_dir, period, moment.tzinfo or dt.UTC)
    seen = data.days_seen()
    if not seen:
        raise ConfigError(
            f"no data in {output_dir}{period_text(period)}: check --output-dir and the dates, "
            "or collect some first with `oura-stats fetch`"
        )
    days = day_range(period.first or seen[0], period.last or seen[-1])
    return render(data, days, header(output_dir, state_path, moment)), days


def period_text(period: Period) -> str:
    if period.first is None and period.last is None:
        return ""
    return f" from {period.first or 'the start'} to {period.last or 'the end'}"


def header(output_dir: Path, state_path: Path | None, now: dt.datetime) -> Header:
    snapshot = read_state(state_path)
    known = set(snapshot.get("categories", {}))
    shown = [c for c in CATEGORIES if c.name in known or (output_dir / f"{c.name}.csv").is_file()]
    view = build_view(snapshot, facts_for(shown, output_dir, snapshot), now, Policy())
    run = last_run(snapshot.get("runs", []))
    return Header(
        built_at=now,
        last_sync=None if run is None else (run.finished or run.started),
        failed=() if run is None else run.failed,
        freshness=view.categories,
    )


def read_state(state_path: Path | None) -> dict[str, Any]:
    """The state file's content; empty when there is none (the report still works)."""
    if state_path is None or not state_path.is_file():
        return {}
    try:
        return State.load(state_path).snapshot()
    except ConfigError as error:
        log.warning("report: ignoring the state file: %s", error)
        return {}


def refresh_report(output_dir: Path, out: Path, state_path: Path) -> bool:
    """Rewrite the report after a round; False (and one error line) when that failed."""
    try:
        built = build_report(output_dir, out, state_path)
    except (OuraStatsError, OSError) as error:
        log.error("could not write the report %s: %s", out, error)
        return False
    log.info("report: %s (%s to %s, %.0f kB)", out, built.first, built.last, built.size / 1024)
    return True
