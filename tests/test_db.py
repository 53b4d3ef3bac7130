"""The database mirror against real SQLite files and a real PostgreSQL server."""

from __future__ import annotations

import re
from typing import Any

from conftest import Workspace, fetch, fetch_args, run_cli
from dbcheck import Db, key_of, leaves, same_value

from oura_stats.api.categories import BY_NAME
from oura_stats.demo.server import FakeOura


def api_documents(api: FakeOura, category: str) -> list[dict[str, Any]]:
    value = api.data[category]
    return [value] if isinstance(value, dict) else list(value)


def assert_mirrors_api(db: Db, api: FakeOura, category: str) -> None:
    expected = {key_of(category, leaves(d)): leaves(d) for d in api_documents(api, category)}
    stored = {key_of(category, row): row for row in db.rows(category)}
    assert stored.keys() == expected.keys(), category
    for key, values in expected.items():
        row = stored[key]
        for column, value in values.items():
            assert same_value(category, column, value, row[column]), (category, column, key)


def test_every_document_round_trips_through_the_database(
    api: FakeOura, ws: Workspace, db: Db
) -> None:
    result = fetch(api, ws, "--db", db.target)
    assert result.returncode == 0, result.stderr
    for category in api.data:
        assert_mirrors_api(db, api, category)


def test_columns_have_the_api_types_and_digit_strings_stay_text(
    api: FakeOura, ws: Workspace, db: Db
) -> None:
    assert fetch(api, ws, "--db", db.target, "--categories", "daily_activity,sleep").returncode == 0
    activity, sleep = db.column_types("daily_activity"), db.column_types("sleep")
    if db.kind == "postgresql":
        assert activity["day"] == "date"
        assert activity["timestamp"] == "timestamp with time zone"
        assert activity["steps"] == "bigint"
        assert activity["met.items"] == "jsonb"
        assert sleep["average_breath"] == "double precision"
        assert sleep["low_battery_alert"] == "boolean"
        assert sleep["readiness.contributors.hrv_balance"] == "bigint"
    else:
        assert activity["steps"] == "INTEGER"
        assert sleep["average_breath"] == "REAL"
        assert sleep["low_battery_alert"] == "BOOLEAN"
        kinds = db.query(
            'SELECT DISTINCT typeof(class_5_min), typeof("met.items") FROM daily_activity'
        )
        assert kinds == [("text", "text")]
    assert activity["class_5_min"] in ("text", "TEXT")
    assert sleep["sleep_phase_5_min"] in ("text", "TEXT")
    leading_zero = [d for d in api.data["daily_activity"] if d["class_5_min"].startswith("0")]
    assert leading_zero, "the fixture needs a class_5_min with a leading zero"
    stored = dict(db.query("SELECT id, class_5_min FROM daily_activity"))
    assert all(stored[d["id"]] == d["class_5_min"] for d in leading_zero)


def test_revised_document_is_upserted_and_new_field_becomes_a_column(
    api: FakeOura, ws: Workspace, db: Db
) -> None:
    assert fetch(api, ws, "--db", db.target, "--categories", "daily_readiness").returncode == 0
    before = len(db.rows("daily_readiness"))
    revised = dict(api.data["daily_readiness"][-2], score=12, brand_new={"nested": 7})
    api.upsert_document("daily_readiness", revised)
    assert fetch(api, ws, "--db", db.target, "--categories", "daily_readiness").returncode == 0
    assert len(db.rows("daily_readiness")) == before
    assert db.query(
        'SELECT score, "brand_new.nested" FROM daily_readiness WHERE id = ' + _mark(db),
        (revised["id"],),
    ) == [(12, "7")]
    assert_mirrors_api(db, api, "daily_readiness")


def _mark(db: Db) -> str:
    return "?" if db.kind == "sqlite" else "%s"


def test_crash_between_csv_and_database_is_healed_by_the_next_run(
    api: FakeOura, ws: Workspace, db: Db
) -> None:
    assert fetch(api, ws, "--db", db.target, "--categories", "daily_sleep,tag").returncode == 0
    for category in ("daily_sleep", "tag"):
        revised = dict(api.data[category][-1], id=api.data[category][-1]["id"])
        revised["day"] = revised["day"]
        if category == "daily_sleep":
            revised["score"] = 3
        else:
            revised["text"] = "revised"
        api.upsert_document(category, revised)
    # As if killed after the CSVs were committed and before the database was written:
    assert fetch(api, ws, "--categories", "daily_sleep,tag").returncode == 0
    assert db.query("SELECT count(*) FROM daily_sleep WHERE score = 3") == [(0,)]
    # The next run (this category only) levels both: its own table and the other one.
    result = fetch(api, ws, "--db", db.target, "--categories", "daily_sleep")
    assert result.returncode == 0, result.stderr
    assert_mirrors_api(db, api, "daily_sleep")
    assert_mirrors_api(db, api, "tag")


def test_db_sync_loads_from_scratch_and_is_idempotent(api: FakeOura, ws: Workspace, db: Db) -> None:
    assert fetch(api, ws).returncode == 0
    sync = ["db", "sync", "--db", db.target, "--output-dir", str(ws.data)]
    sync += ["--state-file", str(ws.state)]
    first = run_cli(*sync)
    assert first.returncode == 0, first.stderr
    assert re.search(r"heartrate: [\d,]+ rows", first.stderr)
    second = run_cli(*sync)
    assert second.returncode == 0, second.stderr
    for category in api.data:
        assert_mirrors_api(db, api, category)
    assert len(db.rows("_mirror")) == len(BY_NAME)


def test_views_and_run_history_answer(api: FakeOura, ws: Workspace, db: Db) -> None:
    assert fetch(api, ws, "--db", db.target).returncode == 0
    assert fetch(api, ws, "--db", db.target).returncode == 0
    days = db.query(
        "SELECT day, sleep_score, readiness_score, steps, total_sleep_duration FROM daily"
    )
    assert len(days) == len(
        {d["day"] for d in api.data["daily_activity"]}
        | {d["day"] for d in api.data["sleep"]}
        | {
            d["day"]
            for c in (
                "daily_sleep",
                "daily_readiness",
                "daily_stress",
                "daily_resilience",
                "daily_spo2",
            )
            for d in api.data[c]
        }
    )
    assert any(row[1] is not None and row[4] is not None for row in days)
    heart = db.query("SELECT day, min_bpm, avg_bpm, max_bpm, samples FROM heartrate_daily")
    assert sum(row[4] for row in heart) == len(api.data["heartrate"])
    assert all(row[1] <= row[2] <= row[3] for row in heart)
    runs = db.query("SELECT category, new, error FROM _runs")
    assert len(runs) == 2 * len(BY_NAME)
    assert all(error is None for _, _, error in runs)


def test_service_rounds_keep_the_database_too(api: FakeOura, ws: Workspace, db: Db) -> None:
    args = fetch_args(api, ws, "--categories", "daily_sleep", "--db", db.target)
    args[0] = "service"
    result = run_cli(*args, "--max-runs", "2", "--interval-hours", "0.0001")
    assert result.returncode == 0, result.stderr
    assert_mirrors_api(db, api, "daily_sleep")
    assert db.query("SELECT count(*) FROM _runs WHERE category = 'daily_sleep'") == [(2,)]
