"""What an analyst finds in the database: the wearer's local time beside every instant,
nested series as long tables, views by local day, and a `_runs` row for every round."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from conftest import TOKEN, Workspace, database_only, fetch, run_cli
from dbcheck import Db

from oura_stats.api.categories import BY_NAME, CATEGORIES, Kind
from oura_stats.api.fields import fields
from oura_stats.api.tokens import StaticToken
from oura_stats.db.dictionary import local_time_columns, other_tables, series_tables
from oura_stats.db.schema import schema_text
from oura_stats.demo.server import FakeOura
from oura_stats.run.rounds import run_round

# table: (category, API field, kind); samples are {interval, items, timestamp} objects,
# codes are digit strings starting at the column named beside them.
SAMPLES = {
    "sleep__hrv": ("sleep", "hrv"),
    "sleep__heart_rate": ("sleep", "heart_rate"),
    "daily_activity__met": ("daily_activity", "met"),
    "session__heart_rate": ("session", "heart_rate"),
    "session__hrv": ("session", "heart_rate_variability"),
    "session__motion_count": ("session", "motion_count"),
}
CODES = {
    "sleep__sleep_phase_5_min": ("sleep", "sleep_phase_5_min", "bedtime_start", 300),
    "sleep__sleep_phase_30_sec": ("sleep", "sleep_phase_30_sec", "bedtime_start", 30),
    "sleep__app_sleep_phase_5_min": ("sleep", "app_sleep_phase_5_min", "bedtime_start", 300),
    "sleep__movement_30_sec": ("sleep", "movement_30_sec", "bedtime_start", 30),
    "daily_activity__class_5_min": ("daily_activity", "class_5_min", "timestamp", 300),
}
Samples = dict[tuple[str, dt.datetime], tuple[dt.datetime, Any]]


def _points(parent: str, start: str, interval: float, values: list[Any]) -> Samples:
    first = dt.datetime.fromisoformat(start)
    out: Samples = {}
    for index, value in enumerate(values):
        moment = first + dt.timedelta(seconds=index * interval)
        out[(parent, moment.astimezone(dt.UTC))] = (moment.replace(tzinfo=None), value)
    return out


def expected_series(api: FakeOura, table: str) -> Samples:
    """The samples a series table must hold, worked out from the API's documents."""
    out: Samples = {}
    if table in SAMPLES:
        category, field = SAMPLES[table]
        for doc in api.data[category]:
            found = doc.get(field)
            if found:
                out |= _points(doc["id"], found["timestamp"], found["interval"], found["items"])
        return out
    category, field, anchor, interval = CODES[table]
    for doc in api.data[category]:
        if doc.get(field):
            out |= _points(doc["id"], doc[anchor], interval, [int(c) for c in doc[field]])
    return out


def _instant(value: Any) -> dt.datetime:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return moment.astimezone(dt.UTC)


def _naive(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)


def stored_series(db: Db, table: str) -> Samples:
    rows = db.query(f'SELECT parent_id, "timestamp", timestamp_local, value FROM "{table}"')
    out: Samples = {(p, _instant(t)): (_naive(local), value) for p, t, local, value in rows}
    assert len(out) == len(rows), f"{table} holds a sample twice"
    return out


def assert_series_match_api(db: Db, api: FakeOura, only: str = "") -> None:
    for table in (*SAMPLES, *CODES):
        if not table.startswith(only):
            continue
        expected, stored = expected_series(api, table), stored_series(db, table)
        assert expected, f"the demo history has no {table} samples"
        assert stored == expected, table


def assert_local_columns_match_api(db: Db, api: FakeOura) -> None:
    """Every datetime column of a document category has `<column>_local`, the wearer's
    wall-clock time as the API wrote it."""
    checked = 0
    for name, category in BY_NAME.items():
        if category.kind is Kind.SERIES or name not in api.data:
            continue
        moments = [c for c, f in fields(name).items() if f.type == "datetime"]
        docs = api.data[name] if isinstance(api.data[name], list) else [api.data[name]]
        key = category.key[0]
        for column in moments:
            head, _, leaf = column.rpartition(".")
            quoted = f'"{key}", "{column}_local"'
            stored = {str(k): v for k, v in db.query(f'SELECT {quoted} FROM "{name}"')}
            for doc in docs:
                value = doc.get(head, {}) if head else doc
                value = value.get(leaf) if isinstance(value, dict) else None
                local = stored[str(doc[key])]
                if value is None:
                    assert local is None, (name, column)
                    continue
                wall = dt.datetime.fromisoformat(value).replace(tzinfo=None)
                assert _naive(local) == wall, (name, column, value, local)
                checked += 1
    assert checked > 500


def test_local_time_and_series_tables_after_fetch(api: FakeOura, ws: Workspace, db: Db) -> None:
    result = fetch(api, ws, "--db", db.target)
    assert result.returncode == 0, result.stderr
    assert_local_columns_match_api(db, api)
    assert_series_match_api(db, api)
    if db.kind == "postgresql":
        types = db.column_types("sleep")
        assert types["bedtime_start_local"] == "timestamp without time zone"
        assert db.column_types("sleep__sleep_phase_5_min")["value"] == "bigint"
    else:
        assert db.column_types("sleep")["bedtime_start_local"] == "TEXT"


def test_series_are_rebuilt_when_their_parent_changes(api: FakeOura, ws: Workspace, db: Db) -> None:
    assert fetch(api, ws, "--db", db.target, "--categories", "sleep").returncode == 0
    night = dict(next(d for d in reversed(api.data["sleep"]) if d["hrv"]))
    night["hrv"] = {**night["hrv"], "items": [None, 41.0, 42.0]}
    night["sleep_phase_5_min"] = "4321"
    api.upsert_document("sleep", night)
    assert fetch(api, ws, "--db", db.target, "--categories", "sleep").returncode == 0
    assert fetch(api, ws, "--db", db.target, "--categories", "sleep").returncode == 0
    mark = "?" if db.kind == "sqlite" else "%s"
    values = db.query(
        f'SELECT value FROM sleep__hrv WHERE parent_id = {mark} ORDER BY "timestamp"',
        (night["id"],),
    )
    assert values == [(None,), (41.0,), (42.0,)]
    assert_series_match_api(db, api, only="sleep__")


def test_db_sync_builds_series_local_columns_and_run_history(
    api: FakeOura, ws: Workspace, db: Db
) -> None:
    assert fetch(api, ws).returncode == 0
    assert fetch(api, ws, "--categories", "sleep").returncode == 0
    sync = ["db", "sync", "--db", db.target, "--output-dir", str(ws.data)]
    sync += ["--state-file", str(ws.state)]
    for _ in range(2):
        result = run_cli(*sync)
        assert result.returncode == 0, result.stderr
    assert_local_columns_match_api(db, api)
    assert_series_match_api(db, api)
    runs = Counter(category for (category,) in db.query("SELECT category FROM _runs"))
    assert runs["sleep"] == 2
    assert runs["daily_activity"] == 1
    assert len(runs) == len(BY_NAME)


def test_daily_view_ignores_deleted_sleeps(api: FakeOura, ws: Workspace, db: Db) -> None:
    day = api.data["sleep"][-5]["day"]
    for doc in [d for d in api.data["sleep"] if d["day"] == day]:
        api.upsert_document("sleep", {**doc, "type": "deleted"})
    assert fetch(api, ws, "--db", db.target).returncode == 0
    mark = "?" if db.kind == "sqlite" else "%s::date"
    found = db.query(
        f"SELECT total_sleep_duration, average_hrv FROM daily WHERE day = {mark}", (day,)
    )
    assert found == [(None, None)]


def test_heartrate_daily_counts_the_wearers_local_days(
    api: FakeOura, ws: Workspace, db: Db
) -> None:
    assert fetch(api, ws, "--db", db.target).returncode == 0
    offsets = {
        d["day"]: dt.datetime.fromisoformat(d["timestamp"]).utcoffset()
        for d in api.data["daily_activity"]
    }
    expected: Counter[str] = Counter()
    for sample in api.data["heartrate"]:
        moment = dt.datetime.fromisoformat(sample["timestamp"])
        shift = offsets.get(moment.date().isoformat()) or dt.timedelta()
        expected[(moment + shift).date().isoformat()] += 1
    rows = db.query("SELECT day, samples FROM heartrate_daily")
    assert {str(day): count for day, count in rows} == dict(expected)


def test_runs_written_while_the_database_was_down_are_caught_up(
    api: FakeOura, ws: Workspace
) -> None:
    target = ws.root / "oura.db"
    target.mkdir()  # no database can be opened there: the mirror fails, the CSVs are kept
    down = fetch(api, ws, "--db", str(target), "--categories", "sleep,tag")
    assert down.returncode == 1
    assert "oura.db" in down.stderr
    shutil.rmtree(target)
    up = fetch(api, ws, "--db", str(target), "--categories", "sleep,tag")
    assert up.returncode == 0, up.stderr
    db = Db("sqlite", str(target))
    rounds = db.query("SELECT category, count(*) FROM _runs GROUP BY category")
    assert sorted(rounds) == [("sleep", 2), ("tag", 2)]


def test_demo_names_the_database_it_wrote(ws: Workspace) -> None:
    target = ws.root / "demo.db"
    result = run_cli("demo", "--days", "3", "--output-dir", str(ws.data), "--db", str(target))
    assert result.returncode == 0, result.stderr
    assert target.is_file()
    assert f"database {target}" in result.stderr


def test_database_only_runs_have_local_time_and_series_too(
    api: FakeOura, pg_url: str, tmp_path: Path
) -> None:
    settings = database_only(api, tmp_path, pg_url, list(CATEGORIES))
    assert run_round(settings, StaticToken(TOKEN), threading.Event()) == 0
    db = Db("postgresql", pg_url)
    assert_local_columns_match_api(db, api)
    assert_series_match_api(db, api)
    revised = dict(api.data["sleep"][-1], sleep_phase_5_min="44")
    api.upsert_document("sleep", revised)
    assert run_round(settings, StaticToken(TOKEN), threading.Event()) == 0
    assert_series_match_api(db, api)


def test_the_dictionary_describes_every_database_only_table_and_column(
    api: FakeOura, ws: Workspace, db: Db
) -> None:
    assert fetch(api, ws, "--db", db.target, "--categories", "sleep").returncode == 0
    described = [*series_tables(), *other_tables()]
    for table in described:
        assert list(db.column_types(table.name)) == [c.name for c in table.columns], table.name
        numbers = [c for c in table.columns if c.type in ("integer", "number") and c.name != "id"]
        assert all(c.unit for c in numbers), table.name  # every figure says its unit
    for column in local_time_columns():
        category, _, name = column.name.partition(".")
        assert name in db.column_types(category), column.name
    names = {t.name for t in described} | set(BY_NAME)
    created = re.findall(
        r'CREATE (?:TABLE IF NOT EXISTS|VIEW|OR REPLACE VIEW) "?(\w+)"?', schema_text(db.kind)
    )
    assert set(created) <= names
    docs = (Path(__file__).resolve().parent.parent / "docs" / "columns.md").read_text("utf-8")
    assert all(f"## {name}\n" in docs for name in names)
