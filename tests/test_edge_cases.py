"""Edge cases found in review: empty categories, failures while planning, damaged files."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from conftest import TODAY, Workspace, fetch, history

from oura_stats.demo.server import FakeOura
from oura_stats.run.service import run_forever


def test_category_without_data_gets_a_header_only_file_and_is_cheap_later(
    ws: Workspace,
) -> None:
    data = history()
    data["tag"] = []
    data["ring_battery_level"] = []
    with FakeOura(data, today=TODAY) as api:
        assert fetch(api, ws, "--categories", "tag,ring_battery_level").returncode == 0
        assert (ws.data / "tag.csv").read_text() == "id,day\n"
        assert (ws.data / "ring_battery_level.csv").read_text() == "timestamp\n"
        api.clear_requests()
        second = fetch(api, ws, "--categories", "tag,ring_battery_level")
    assert second.returncode == 0
    assert "warning" not in second.stderr
    # a month back for each, not the whole history again; personal_info names the account
    assert len([r for r in api.requests if r.category != "personal_info"]) <= 3
    assert len(api.requests_for("personal_info")) == 1


def test_forbidden_ring_configuration_fails_even_when_read_for_planning(ws: Workspace) -> None:
    with FakeOura(history(), today=TODAY) as api:
        api.forbid("ring_configuration")
        result = fetch(api, ws, "--categories", "ring_configuration,heartrate")
    assert result.returncode == 1
    assert "ring_configuration: access denied" in result.stderr
    assert (ws.data / "heartrate.csv").exists()


def test_workout_on_the_last_day_west_of_utc_is_kept_with_an_end_date(ws: Workspace) -> None:
    data = history()
    day = (TODAY - dt.timedelta(days=20)).isoformat()
    evening = {
        "id": "evening-run",
        "activity": "running",
        "calories": 300.5,
        "day": day,
        "distance": None,
        "end_datetime": f"{day}T21:00:00-06:00",
        "intensity": "hard",
        "label": None,
        "source": "manual",
        "start_datetime": f"{day}T20:00:00-06:00",  # the next day in UTC
    }
    data["workout"] = [evening]
    with FakeOura(data, today=TODAY) as api:
        result = fetch(api, ws, "--categories", "workout", "--start-date", day, "--end-date", day)
    assert result.returncode == 0
    assert [row["id"] for row in ws.csv("workout")] == ["evening-run"]


@pytest.mark.parametrize(
    "content",
    [
        '{"version": 1, "categories": {"tag": null}}',
        '{"version": 1, "categories": {"tag": {"cursor": 5}}}',
        '{"version": 1, "categories": {}, "runs": {}}',
    ],
)
def test_state_file_with_a_damaged_structure_is_a_clear_configuration_error(
    api: FakeOura, ws: Workspace, content: str
) -> None:
    ws.state.write_text(content)
    result = fetch(api, ws, "--categories", "tag")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "is damaged" in result.stderr


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_dates_far_outside_any_history_are_usage_errors(
    api: FakeOura, ws: Workspace, day: str
) -> None:
    result = fetch(api, ws, "--start-date", day)
    assert result.returncode == 2
    assert "out of range" in result.stderr
    assert fetch(api, ws, "--lookback-days", "99999999").returncode == 2


def test_unreadable_csv_fails_its_category_only(api: FakeOura, ws: Workspace) -> None:
    assert fetch(api, ws, "--categories", "tag,daily_stress").returncode == 0
    path = ws.data / "tag.csv"
    path.write_bytes(path.read_bytes() + b"\xff\xfe,broken\n")
    result = fetch(api, ws, "--categories", "tag,daily_stress", "--start-date", "2015-01-01")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "tag: could not merge" in result.stderr
    assert "daily_stress" in result.stderr.split("total:")[0]


def test_unreachable_api_fails_every_category_once_and_quickly(ws: Workspace) -> None:
    api = FakeOura(history(), today=TODAY).start()
    url = api.url
    api.stop()
    began = time.monotonic()

    class Gone:
        pass

    gone = Gone()
    gone.url = url  # type: ignore[attr-defined]
    result = fetch(gone, ws)  # type: ignore[arg-type]
    assert result.returncode == 1
    assert time.monotonic() - began < 40  # one request's retries, not one per category
    assert result.stderr.count("cannot connect to the Oura API") == 1
    state = json.loads(ws.state.read_text())
    assert state["runs"][-1]["categories"]["heartrate"]["error"]
    assert state["categories"]["heartrate"]["failing_since"]


def test_body_without_data_list_is_retried(api: FakeOura, ws: Workspace) -> None:
    api.fail("daily_stress", 200, body={"detail": "temporarily unavailable"})
    result = fetch(api, ws, "--categories", "daily_stress")
    assert result.returncode == 0, result.stderr
    assert len(ws.csv("daily_stress")) == len(api.data["daily_stress"])


def test_signal_during_the_last_round_still_exits_0() -> None:
    stop = threading.Event()

    def interrupted_round() -> int:
        stop.set()  # SIGTERM arrives while the round runs
        return 1

    assert run_forever(interrupted_round, interval_seconds=60, stop=stop, max_runs=1) == 0
