"""`oura-stats fetch` end to end against the fake Oura API over real HTTP."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from conftest import TODAY, Workspace, fetch, history

from oura_stats.api.categories import BY_NAME, CATEGORIES, Kind
from oura_stats.demo.history import revise
from oura_stats.demo.server import FakeOura, document_key
from oura_stats.store.flatten import flatten
from oura_stats.store.keys import time_key


def stored_keys(ws: Workspace, category: str) -> list[tuple[str, ...]]:
    spec = BY_NAME[category]
    rows = ws.csv(category)
    return [
        tuple(time_key(row[f]) if f == spec.time_field else row[f] for f in spec.key)
        for row in rows
    ]


def documents(api: FakeOura, category: str) -> list[dict[str, Any]]:
    value = api.data[category]
    return [value] if isinstance(value, dict) else list(value)


def test_first_run_stores_every_document_of_every_category_exactly(
    api: FakeOura, ws: Workspace
) -> None:
    result = fetch(api, ws)
    assert result.returncode == 0, result.stderr
    for category in CATEGORIES:
        rows = ws.csv(category.name)
        expected = {
            document_key(category.name, d): flatten(d) for d in documents(api, category.name)
        }
        assert len(rows) == len(expected), category.name
        by_key = {document_key(category.name, _typed(category.name, r)): r for r in rows}
        for key, flat in expected.items():
            row = by_key[key]
            # Every value of every document reads back exactly; absent fields read as "".
            assert {c: row[c] for c in flat} == flat, (category.name, key)
            assert all(row[c] == "" for c in row.keys() - flat.keys())


def _typed(category: str, row: dict[str, str]) -> dict[str, Any]:
    """The fields the fake keys a document on, from a CSV row."""
    return {k: v if v != "" else None for k, v in row.items()}


def test_rows_are_sorted_by_time_then_key_with_lead_columns_first(
    api: FakeOura, ws: Workspace
) -> None:
    assert fetch(api, ws).returncode == 0
    for category in CATEGORIES:
        header = (ws.data / f"{category.name}.csv").read_text().split("\n", 1)[0].split(",")
        assert tuple(header[: len(category.lead_columns)]) == category.lead_columns
        if category.time_field:
            keys = [
                (time_key(r[category.time_field]), r[category.key[0]])
                for r in ws.csv(category.name)
            ]
            assert keys == sorted(keys), category.name


def test_heartrate_keeps_same_instant_from_two_sources(api: FakeOura, ws: Workspace) -> None:
    assert fetch(api, ws, "--categories", "heartrate").returncode == 0
    keys = stored_keys(ws, "heartrate")
    instants = [k[0] for k in keys]
    assert len(keys) == len(set(keys))
    assert len(instants) > len(set(instants))  # duplicated instants survive, one per source


def test_second_run_adds_no_duplicates_and_makes_about_one_request_per_category(
    api: FakeOura, ws: Workspace
) -> None:
    assert fetch(api, ws).returncode == 0
    first_requests = len(api.requests)
    before = {c.name: (ws.data / f"{c.name}.csv").read_bytes() for c in CATEGORIES}
    written = {c.name: (ws.data / f"{c.name}.csv").stat().st_mtime_ns for c in CATEGORIES}
    api.clear_requests()
    second = fetch(api, ws)
    assert second.returncode == 0, second.stderr
    second_requests = len(api.requests)
    assert second_requests <= 1.2 * len(CATEGORIES) < first_requests
    for category in CATEGORIES:
        path = ws.data / f"{category.name}.csv"
        assert path.read_bytes() == before[category.name]
        assert path.stat().st_mtime_ns == written[category.name], "rewritten without a change"
    assert "total: 0 new, 0 updated" in second.stderr


def test_revised_document_replaces_its_row(api: FakeOura, ws: Workspace) -> None:
    assert fetch(api, ws, "--categories", "daily_readiness,sleep").returncode == 0
    readiness = api.data["daily_readiness"][-2]
    revised = revise(readiness)
    api.upsert_document("daily_readiness", revised)
    result = fetch(api, ws, "--categories", "daily_readiness,sleep")
    assert result.returncode == 0
    rows = ws.csv("daily_readiness")
    matching = [r for r in rows if r["id"] == readiness["id"]]
    assert len(matching) == 1
    assert {k: matching[0][k] for k in flatten(revised)} == flatten(revised)
    assert len(rows) == len(api.data["daily_readiness"])
    assert "daily_readiness" in result.stderr


def test_new_field_becomes_new_column_at_the_end(api: FakeOura, ws: Workspace) -> None:
    assert fetch(api, ws, "--categories", "daily_stress").returncode == 0
    newest = dict(api.data["daily_stress"][-1], brand_new={"nested": 7})
    api.upsert_document("daily_stress", newest)
    assert fetch(api, ws, "--categories", "daily_stress").returncode == 0
    header = (ws.data / "daily_stress.csv").read_text().split("\n", 1)[0].split(",")
    assert header[-1] == "brand_new.nested"
    rows = ws.csv("daily_stress")
    assert rows[-1]["brand_new.nested"] == "7"
    assert all(r["brand_new.nested"] == "" for r in rows[:-1])


def test_data_synced_days_late_is_still_collected(ws: Workspace) -> None:
    data = history()
    late = [d for d in data["sleep"] if d["day"] >= (TODAY.replace(day=1)).isoformat()][-8:]
    early = [d for d in data["sleep"] if d not in late]
    data["sleep"] = early
    with FakeOura(data, today=TODAY) as api:
        assert fetch(api, ws, "--categories", "sleep").returncode == 0
        # The ring syncs a week of nights at once, all older than "today".
        api.set_documents("sleep", early + late)
        assert fetch(api, ws, "--categories", "sleep").returncode == 0
    ids = {r["id"] for r in ws.csv("sleep")}
    assert {d["id"] for d in late} <= ids


def test_categories_option_is_case_insensitive_and_limits_the_run(
    api: FakeOura, ws: Workspace
) -> None:
    result = fetch(api, ws, "--categories", "DAILY_SLEEP,vo2_max", "--categories", "Workout")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in ws.data.iterdir()) == [
        ".oura-source.json",  # whose data this is
        "daily_sleep.csv",
        "vO2_max.csv",
        "workout.csv",
    ]
    identify = {"personal_info"}  # one request names the account the files come from
    assert {r.category for r in api.requests} - identify == {"daily_sleep", "vO2_max", "workout"}
    assert len(api.requests_for("personal_info")) == 1


def test_time_series_requests_never_span_more_than_30_days(api: FakeOura, ws: Workspace) -> None:
    assert fetch(api, ws, "--categories", "heartrate,ring_battery_level").returncode == 0
    from datetime import datetime

    for request in api.requests:
        if request.category in ("heartrate", "ring_battery_level"):
            start = datetime.fromisoformat(request.params["start_datetime"])
            end = datetime.fromisoformat(request.params["end_datetime"])
            assert (end - start).days <= 30
            assert request.status == 200


def test_explicit_window_includes_its_last_day_despite_exclusive_end_dates(
    api: FakeOura, ws: Workspace
) -> None:
    day = api.data["workout"][len(api.data["workout"]) // 2]["day"]
    result = fetch(
        api,
        ws,
        "--categories",
        "daily_activity,sleep,workout",
        "--start-date",
        day,
        "--end-date",
        day,
    )
    assert result.returncode == 0, result.stderr
    for category in ("daily_activity", "sleep", "workout"):
        expected = {d["id"] for d in api.data[category] if d["day"] == day}
        assert expected
        assert {r["id"] for r in ws.csv(category)} == expected, category


def test_explicit_window_does_not_move_cursors(api: FakeOura, ws: Workspace) -> None:
    old_day = api.data["daily_sleep"][5]["day"]
    assert (
        fetch(
            api, ws, "--categories", "daily_sleep", "--start-date", old_day, "--end-date", old_day
        ).returncode
        == 0
    )
    state = json.loads(ws.state.read_text())
    assert state["categories"]["daily_sleep"].get("cursor") is None
    assert fetch(api, ws, "--categories", "daily_sleep").returncode == 0  # full history now
    assert len(ws.csv("daily_sleep")) == len(api.data["daily_sleep"])
    cursor = json.loads(ws.state.read_text())["categories"]["daily_sleep"]["cursor"]
    assert cursor == api.data["daily_sleep"][-1]["day"]
    assert (
        fetch(
            api, ws, "--categories", "daily_sleep", "--start-date", old_day, "--end-date", old_day
        ).returncode
        == 0
    )
    assert json.loads(ws.state.read_text())["categories"]["daily_sleep"]["cursor"] == cursor


def test_paging_is_followed_to_the_end(ws: Workspace) -> None:
    with FakeOura(history(), today=TODAY, doc_page_size=7, series_page_size=90) as api:
        assert fetch(api, ws, "--categories", "daily_readiness,heartrate").returncode == 0
        assert len(ws.csv("daily_readiness")) == len(api.data["daily_readiness"])
        assert len(ws.csv("heartrate")) == len(api.data["heartrate"])
        assert any("next_token" in r.params for r in api.requests)


def test_personal_info_is_one_row(api: FakeOura, ws: Workspace) -> None:
    assert fetch(api, ws, "--categories", "personal_info").returncode == 0
    assert fetch(api, ws, "--categories", "personal_info").returncode == 0
    rows = ws.csv("personal_info")
    assert rows == [flatten(api.data["personal_info"])]


def test_sandbox_uses_sandbox_routes_and_skips_personal_info(api: FakeOura, ws: Workspace) -> None:
    result = fetch(
        api, ws, "--sandbox", "--categories", "personal_info,daily_sleep", token="anything"
    )
    assert result.returncode == 0, result.stderr
    assert all(r.sandbox for r in api.requests)
    assert "skipped" in result.stderr
    assert not (ws.data / "personal_info.csv").exists()
    first_day = (TODAY - timedelta(days=31)).isoformat()  # a month of made-up sample data
    assert {r.params["start_date"] for r in api.requests} == {first_day}
    expected = [d for d in api.data["daily_sleep"] if d["day"] >= first_day]
    assert len(ws.csv("daily_sleep")) == len(expected)


def test_daily_collections_are_not_split_unless_heavy(api: FakeOura, ws: Workspace) -> None:
    assert fetch(api, ws).returncode == 0
    for category in CATEGORIES:
        if category.kind is Kind.DAILY and category.max_days is None:
            requests = [r for r in api.requests_for(category.name) if "next_token" not in r.params]
            assert len(requests) == 1, category.name


def test_end_date_on_a_new_state_leaves_cursors_so_the_next_run_is_incremental(
    api: FakeOura, ws: Workspace
) -> None:
    end = TODAY - timedelta(days=20)
    done = fetch(api, ws, "--categories", "daily_sleep,heartrate", "--end-date", end.isoformat())
    assert done.returncode == 0, done.stderr
    saved = json.loads(ws.state.read_text())["categories"]
    assert saved["daily_sleep"]["complete_until"] == end.isoformat()
    assert saved["daily_sleep"]["cursor"] <= end.isoformat()
    assert saved["heartrate"]["cursor"][:10] <= (end + timedelta(days=1)).isoformat()
    api.clear_requests()
    assert fetch(api, ws, "--categories", "daily_sleep,heartrate").returncode == 0
    starts = [r.params["start_date"] for r in api.requests_for("daily_sleep")]
    assert min(starts) >= (end - timedelta(days=3 + 2)).isoformat()  # lookback 3, a day's pad
    assert {r["day"] for r in ws.csv("daily_sleep")} == {d["day"] for d in api.data["daily_sleep"]}
