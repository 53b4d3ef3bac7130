"""Field names the API could add: each gets its own column in the CSV, SQLite and
PostgreSQL, by one deterministic rule (store/names.py), and the data dictionary shows it."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from conftest import TOKEN, Workspace, database_only, fetch, run_cli
from dbcheck import Db

from oura_stats.api.categories import BY_NAME
from oura_stats.api.tokens import StaticToken
from oura_stats.demo.server import FakeOura
from oura_stats.run.rounds import run_round
from oura_stats.store.names import MAX_IDENTIFIER_BYTES, db_column

LONG = "x" * 70
# field name in the API → (its CSV column, the value sent)
ODD: dict[str, tuple[str, Any]] = {
    "Score": ("Score", 99),
    LONG + "_one": (LONG + "_one", 1),
    LONG + "_two": (LONG + "_two", 2),
    "": ("", "empty"),
    'say "hi"': ('say "hi"', "quoted"),
    "line\nbreak": ("line\nbreak", "newline"),
    "a.b": ('"a.b"', "top"),
    "half \ud83d": ('"half \\ud83d"', "lone surrogate"),
    "nul\x00": ('"nul\\u0000"', "nul"),
}


def odd_document(api: FakeOura) -> dict[str, Any]:
    doc = dict(api.data["daily_readiness"][-1], a={"b": "nested"})
    doc.update({name: value for name, (_, value) in ODD.items()})
    return doc


def test_odd_field_names_each_get_their_own_column_everywhere(
    api: FakeOura, ws: Workspace, db: Db
) -> None:
    doc = odd_document(api)
    api.upsert_document("daily_readiness", doc)
    picked = ("--categories", "daily_readiness", "--db", db.target)
    for _ in range(2):  # the second run merges into the file: its header reads back
        result = fetch(api, ws, *picked)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
    row = next(r for r in ws.csv("daily_readiness") if r["id"] == doc["id"])
    for column, value in ODD.values():
        assert row[column] == str(value), column
    assert row["a.b"] == "nested"
    assert row["score"] == str(doc["score"])
    assert_database_has_them(db, doc)
    sync = ["db", "sync", "--db", db.target, "--output-dir", str(ws.data)]
    rebuilt = run_cli(*sync, "--state-file", str(ws.state), "--categories", "daily_readiness")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert_database_has_them(db, doc)


def assert_database_has_them(db: Db, doc: dict[str, Any]) -> None:
    stored = next(r for r in db.rows("daily_readiness") if r["id"] == doc["id"])
    for column, value in ODD.values():
        assert str(stored[db_column(column)]) == str(value), column
    assert stored["a.b"] == "nested"
    assert stored["score"] == doc["score"]


def test_database_only_runs_give_odd_names_their_own_columns_too(
    api: FakeOura, pg_url: str, tmp_path: Path
) -> None:
    doc = odd_document(api)
    api.upsert_document("daily_readiness", doc)
    settings = database_only(api, tmp_path, pg_url, [BY_NAME["daily_readiness"]])
    assert run_round(settings, StaticToken(TOKEN), threading.Event()) == 0
    assert_database_has_them(Db("postgresql", pg_url), doc)


def test_the_database_names_are_distinct_short_and_stable() -> None:
    names = ["score", "Score", "SCORE", "", "a.b", '"a.b"', "line\nbreak", LONG + "_one"]
    names += [LONG + "_two", "é" * 40, "contributors.deep_sleep", "score~1234abcd"]
    mapped = [db_column(name) for name in names]
    assert len(set(mapped)) == len(names)
    assert len({m.lower() for m in mapped}) == len(names)  # SQLite folds A-Z
    assert all(0 < len(m.encode()) <= MAX_IDENTIFIER_BYTES for m in mapped)
    assert db_column("contributors.deep_sleep") == "contributors.deep_sleep"
    assert db_column("score") == "score"
    assert re.fullmatch(r"score~[0-9a-f]{8}", db_column("Score"))
    assert re.fullmatch(r"~[0-9a-f]{8}", db_column(""))
    assert db_column(LONG + "_one").startswith("x" * 50)


def test_data_dictionary_shows_the_database_column_of_odd_names(
    api: FakeOura, ws: Workspace
) -> None:
    api.upsert_document("daily_readiness", odd_document(api))
    assert fetch(api, ws, "--categories", "daily_readiness").returncode == 0
    listed = run_cli("categories", "--columns", "daily_readiness", "--output-dir", str(ws.data))
    assert listed.returncode == 0, listed.stderr
    assert f"Score  → database column {db_column('Score')}" in listed.stdout
    assert f'"a.b"  → database column {db_column(chr(34) + "a.b" + chr(34))}' in listed.stdout
    rule = run_cli("categories", "--columns", "daily_readiness")
    assert "odd field names" in rule.stdout
    assert db_column("Score") in rule.stdout  # the rule, with worked examples
