"""The order of a run's requests: the longest chains of pages start first and the many
short chunks fill in at the end, so no long chain runs alone at the end of a backfill."""

from __future__ import annotations

import datetime as dt
import itertools

from conftest import TODAY, Workspace, fetch, history

from oura_stats.demo.server import FakeOura


def categories_in_order(api: FakeOura) -> list[str]:
    """The categories in the order their requests came (one worker: one after another)."""
    return [str(name) for name, _ in itertools.groupby(r.category for r in api.requests)]


def test_a_first_run_asks_the_longest_windows_first(ws: Workspace) -> None:
    chosen = "daily_activity,heartrate,ring_battery_level,sleep,workout"
    with FakeOura(history(), today=TODAY) as api:
        result = fetch(api, ws, "--categories", chosen, "--concurrency", "1")
        asked = categories_in_order(api)
    assert result.returncode == 0, result.stderr
    # The account, the floor step, then workout (one request over the years since 2015,
    # while the floor is found), the year-long chunks, and the 30-day chunks last.
    assert asked == [
        "personal_info",
        "ring_configuration",
        "daily_readiness",
        "workout",
        "daily_activity",
        "sleep",
        "heartrate",
        "ring_battery_level",
    ]
    for name in chosen.split(","):
        assert len(ws.csv(name)) == len(api.data[name]), name


def test_without_a_floor_step_the_longest_requests_still_go_first(ws: Workspace) -> None:
    start = (TODAY - dt.timedelta(days=70)).isoformat()
    chosen = "heartrate,sleep,tag,workout"
    with FakeOura(history(), today=TODAY) as api:
        result = fetch(api, ws, "--categories", chosen, "--start-date", start, "--concurrency", "1")
        asked = categories_in_order(api)
    assert result.returncode == 0, result.stderr
    # Every window starts at --start-date: 70 days in one request each, heart rate in
    # 30-day chunks after them; equals keep the order of the categories.
    assert asked == ["personal_info", "sleep", "tag", "workout", "heartrate"]
    firsts = [r.params for r in api.requests_for("heartrate") if "next_token" not in r.params]
    starts = [params["start_datetime"] for params in firsts]
    assert starts == sorted(starts) and len(starts) == 3  # a category's own stay in order
