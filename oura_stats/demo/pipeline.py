"""The `demo` command: a synthetic account served on 127.0.0.1, the real collection round
against it (client → CSV → state), then the HTML report. No network, no account."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from pathlib import Path
from typing import Any

from oura_stats.api.categories import CATEGORIES
from oura_stats.api.tokens import StaticToken
from oura_stats.db.target import Target
from oura_stats.demo.gen import local
from oura_stats.demo.history import make_history
from oura_stats.demo.server import FakeOura
from oura_stats.errors import ConfigError, OuraStatsError
from oura_stats.run.defaults import DEFAULT_CONCURRENCY
from oura_stats.run.rounds import Settings, run_round
from oura_stats.store.source import holds_data, read_marker
from oura_stats.store.state import State
from oura_stats.store.statehome import STATE_NAME

log = logging.getLogger(__name__)

DEMO_TOKEN = "demo-token"  # noqa: S105 - the synthetic server's own token, not a secret
DEMO_STATE = STATE_NAME
DEMO_REPORT = "report.html"
SERIES = ("heartrate", "ring_battery_level")


def demo_settings(base_url: str, output_dir: Path, db: Target | None = None) -> Settings:
    """What a first `fetch` of every category into `output_dir` would use, plus the report
    (and the database mirror, given one)."""
    return Settings(
        base_url=base_url,
        output_dir=output_dir,
        state_path=output_dir / DEMO_STATE,
        categories=list(CATEGORIES),
        start=None,
        end=None,
        lookback_days=3,
        sandbox=False,
        concurrency=DEFAULT_CONCURRENCY,
        report_path=output_dir / DEMO_REPORT,
        db=db,
        demo=True,
    )


def check_demo_folder(output_dir: Path) -> None:
    """The demo writes only into a new or empty folder, or one it made itself: never
    among someone's data, never over a file it did not create (a report.html, say)."""
    if not output_dir.is_dir():
        return
    marker = read_marker(output_dir)
    if marker.demo if marker is not None else _left_by_a_demo(output_dir):
        return
    found = sorted(p.name for p in output_dir.iterdir() if not p.name.endswith(".lock"))
    if found:
        raise ConfigError(
            f"--output-dir {output_dir} holds {found[0]}, which the demo did not write; the "
            "demo writes only into a new or empty folder (or one an earlier demo made): "
            "name another --output-dir"
        )


def _left_by_a_demo(output_dir: Path) -> bool:
    """A folder without a marker that a demo made: one of an earlier version (its state
    names a server on 127.0.0.1), or one stopped before its first commit."""
    try:
        source = State.load(output_dir / DEMO_STATE).source()
    except OuraStatsError:
        return False
    if source is None:
        return (output_dir / DEMO_STATE).exists() and not holds_data(output_dir)
    return not source.sandbox and source.base_url.startswith("http://127.0.0.1:")


def run_demo(
    output_dir: Path,
    days: int,
    stop: threading.Event,
    *,
    today: dt.date | None = None,
    db: Target | None = None,
) -> int:
    """Serve `days` days of synthetic data ending `today` (UTC), collect it all into
    `output_dir` with the real round, write the report there; the round's exit code."""
    check_demo_folder(output_dir)
    end = today or dt.datetime.now(dt.UTC).date()
    began = time.monotonic()
    history = until_now(make_history(days, end=end, plausible_ring_setup=True))
    log.info("demo: a synthetic account with %d days of data, served on 127.0.0.1", days)
    output_dir.mkdir(parents=True, exist_ok=True)
    with FakeOura(history, token=DEMO_TOKEN, today=end) as api:
        settings = demo_settings(api.url, output_dir, db)
        code = run_round(settings, StaticToken(DEMO_TOKEN), stop, today=lambda: end)
    if db is not None:
        log.info("demo: the database %s holds the same data (tables, views, series)", db.display)
    log.info(
        "demo: done in %.1f s; open %s in a browser",
        time.monotonic() - began,
        output_dir / DEMO_REPORT,
    )
    return code


def until_now(history: dict[str, Any], now: dt.datetime | None = None) -> dict[str, Any]:
    """The history as a ring knows it at `now`: no sample, period or tag from later on;
    today's MET and activity classes end now, and today's stress and recovery fit in the
    day so far."""
    cutoff = now or dt.datetime.now(dt.UTC)
    for name in SERIES:
        history[name] = [s for s in history[name] if _at(s["timestamp"]) <= cutoff]
    for name, field in ENDS.items():
        history[name] = [d for d in history[name] if not d[field] or _at(d[field]) <= cutoff]
    slept, today = {d["day"] for d in history["sleep"]}, cutoff.date().isoformat()
    for name in ("daily_sleep", "daily_readiness"):  # a night still going has no scores yet
        history[name] = [d for d in history[name] if d["day"] in slept or d["day"] < today]
    for doc in history["daily_activity"]:
        _activity_until(doc, cutoff)
    for doc in history["daily_stress"]:
        _stress_until(doc, cutoff)
    return history


# Documents that only exist once the moment in this field has passed.
ENDS = {
    "sleep": "bedtime_end",
    "workout": "end_datetime",
    "session": "end_datetime",
    "enhanced_tag": "start_time",
    "tag": "timestamp",
}


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _activity_until(doc: dict[str, Any], cutoff: dt.datetime) -> None:
    elapsed = (cutoff - _at(doc["timestamp"])).total_seconds()
    if elapsed >= 86400:
        return
    met = doc["met"]
    met["items"] = met["items"][: max(0, int(elapsed // met["interval"]))]
    doc["class_5_min"] = doc["class_5_min"][: max(0, int(elapsed // 300))]


def _stress_until(doc: dict[str, Any], cutoff: dt.datetime) -> None:
    midnight = local(dt.date.fromisoformat(doc["day"]), 0)
    room = max(0, int((cutoff - midnight).total_seconds()))
    for field in ("stress_high", "recovery_high"):
        if doc[field] is not None:
            doc[field] = min(doc[field], room // 900 * 900)
            room -= doc[field]
