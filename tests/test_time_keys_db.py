"""One instant, one row, in both databases, whichever way the API spelled it; `db sync`
heals SQLite tables that an earlier version filled with two spellings of one instant."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from conftest import TODAY, Workspace, fetch, run_cli
from dbcheck import Db

from oura_stats.demo.server import FakeOura


def respell_yesterday(api: FakeOura) -> str:
    """Spell one of yesterday's heart-rate samples with milliseconds; its instant."""
    docs = list(api.data["heartrate"])
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    index = next(i for i, d in enumerate(docs) if d["timestamp"].startswith(yesterday + "T12"))
    instant = docs[index]["timestamp"]
    docs[index] = dict(docs[index], timestamp=instant.replace("+00:00", ".000+00:00"))
    api.set_documents("heartrate", docs)
    return instant


def test_one_instant_is_one_row_whatever_its_spelling(api: FakeOura, ws: Workspace, db: Db) -> None:
    picked = ("--categories", "heartrate", "--db", db.target)
    assert fetch(api, ws, *picked).returncode == 0
    respell_yesterday(api)
    again = fetch(api, ws, *picked)
    assert again.returncode == 0, again.stderr
    in_csv = len(ws.csv("heartrate"))
    assert db.query("SELECT count(*) FROM heartrate") == [(in_csv,)]


def test_db_sync_heals_two_spellings_of_one_instant_in_sqlite(
    api: FakeOura, ws: Workspace, tmp_path: Path
) -> None:
    target = tmp_path / "oura.db"
    assert fetch(api, ws, "--categories", "heartrate", "--db", str(target)).returncode == 0
    with sqlite3.connect(target) as connection:  # as an earlier version left it
        connection.execute(
            "INSERT INTO heartrate (timestamp, source, bpm) SELECT "
            "replace(timestamp, '+00:00', '.000+00:00'), source, bpm FROM heartrate"
        )
    sync = ["db", "sync", "--db", str(target), "--output-dir", str(ws.data)]
    result = run_cli(*sync, "--state-file", str(ws.state), "--categories", "heartrate")
    assert result.returncode == 0, result.stderr
    stored = Db("sqlite", str(target))
    assert stored.query("SELECT count(*) FROM heartrate") == [(len(ws.csv("heartrate")),)]
    assert stored.query("SELECT count(*) FROM heartrate WHERE timestamp LIKE '%.000%'") == [(0,)]
