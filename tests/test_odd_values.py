"""Odd numbers (±inf, 1e308, NaN) and odd text (NUL, lone surrogates) from the API: kept in
the CSV and in both databases in a documented form, every run, widening a column at most
once."""

from __future__ import annotations

import json
import math

from conftest import TOKEN, Workspace, fetch, run_cli
from dbcheck import Db

from oura_stats.demo.server import FakeOura
from oura_stats.store.flatten import cell, unescape_text

INF = float("inf")


def sync_args(db: Db, ws: Workspace, *extra: str) -> list[str]:
    return ["db", "sync", "--db", db.target, "--output-dir", str(ws.data),
            "--state-file", str(ws.state), *extra]  # fmt: skip


def test_infinities_huge_numbers_and_nan_are_kept_in_the_csv_and_both_databases(
    api: FakeOura, ws: Workspace, db: Db
) -> None:
    doc = api.data["sleep"][-1]
    odd = dict(doc, average_breath=INF, average_heart_rate=math.nan, lowest_heart_rate=-1e308)
    odd["hrv"] = dict(doc["hrv"], items=[40.0, -INF, math.nan])
    api.upsert_document("sleep", odd)
    for _ in range(2):
        result = fetch(api, ws, "--categories", "sleep", "--db", db.target)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.count("the column is now") <= 2  # once per column, first run
    row = next(r for r in ws.csv("sleep") if r["id"] == doc["id"])
    assert (row["average_breath"], row["average_heart_rate"]) == ("Infinity", "NaN")
    assert row["lowest_heart_rate"] == "-1e+308"
    assert row["hrv.items"] == "[40.0,-Infinity,NaN]"
    assert float(row["average_breath"]) == INF and math.isnan(float(row["average_heart_rate"]))
    assert_database_keeps_them(db, doc["id"])
    rebuilt = run_cli(*sync_args(db, ws, "--categories", "sleep"))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert_database_keeps_them(db, doc["id"])


def assert_database_keeps_them(db: Db, id_: str) -> None:
    mark = "?" if db.kind == "sqlite" else "%s"
    columns = 'average_breath, average_heart_rate, lowest_heart_rate, "hrv.items"'
    ((breath, heart, lowest, items),) = db.query(
        f"SELECT {columns} FROM sleep WHERE id = {mark}", (id_,)
    )
    assert breath == INF
    assert lowest == -1e308
    if db.kind == "sqlite":
        assert heart == "NaN"  # SQLite has no NaN: the text, in the REAL column
        assert db.column_types("sleep")["average_heart_rate"] == "REAL"
    else:
        assert math.isnan(heart)
        assert db.column_types("sleep")["average_heart_rate"] == "double precision"
    assert items == "[40.0,-Infinity,NaN]"
    assert db.query("SELECT count(*) FROM sleep")[0][0] > 1


# Placeholders the server writes, and the odd spellings the body then carries instead.
SPELLINGS = {
    b"1111.5": b"1.0E2",
    b"2222.5": b"-0.0",
    b"3333.5": b"0.10",
    b"4444.5": b"1E16",
    b"5555.5": b"1e400",
    b"6666.5": b"5E-324",
    b"7777.5": b"-0E0",
    b"8888.5": b"2.5E+20",
}


def serve_odd_spellings(api: FakeOura) -> str:
    """A sleep document whose numbers the body spells oddly; returns its id."""
    doc = api.data["sleep"][-1]
    odd = dict(doc, average_breath=1111.5, average_heart_rate=2222.5)
    odd["hrv"] = dict(doc["hrv"], items=[3333.5, 4444.5, None, 5555.5, 7777.5])
    odd["heart_rate"] = dict(doc["heart_rate"], items=[6666.5, 6666.5, None, 50, 2222.5, 8888.5])

    def respell(body: bytes) -> bytes:
        for placeholder, spelling in SPELLINGS.items():
            body = body.replace(placeholder, spelling)
        return body

    api.upsert_document("sleep", odd)
    api.rewrite("sleep", respell, times=1000)
    return str(doc["id"])


def test_odd_spellings_of_numbers_are_written_canonically_everywhere(
    api: FakeOura, ws: Workspace, db: Db
) -> None:
    id_ = serve_odd_spellings(api)
    result = fetch(api, ws, "--categories", "sleep", "--db", db.target)
    assert result.returncode == 0, result.stderr
    row = next(r for r in ws.csv("sleep") if r["id"] == id_)
    assert (row["average_breath"], row["average_heart_rate"]) == ("100.0", "-0.0")
    assert row["hrv.items"] == "[0.1,1e+16,null,Infinity,-0.0]"
    assert row["heart_rate.items"] == "[5e-324,5e-324,null,50,-0.0,2.5e+20]"
    mark = "?" if db.kind == "sqlite" else "%s"
    columns = 'average_breath, average_heart_rate, "hrv.items", "heart_rate.items"'
    ((breath, heart, hrv, beats),) = db.query(
        f"SELECT {columns} FROM sleep WHERE id = {mark}", (id_,)
    )
    assert (breath, heart) == (100.0, 0.0)  # typed: numbers, not text
    assert hrv == row["hrv.items"]  # Infinity is no JSON: the column holds the text
    beats = json.loads(beats) if isinstance(beats, str) else beats  # PostgreSQL: jsonb
    assert beats == json.loads(row["heart_rate.items"]) == [5e-324, 5e-324, None, 50, 0.0, 2.5e20]


def test_odd_spellings_in_a_database_only_run_export_the_csv_run_bytes(
    api: FakeOura, ws: Workspace, pg_url: str
) -> None:
    serve_odd_spellings(api)
    assert fetch(api, ws, "--categories", "sleep").returncode == 0
    only = ["fetch", "--base-url", api.url, "--token", TOKEN, "--db", pg_url, "--no-csv"]
    result = run_cli(*only, "--categories", "sleep")
    assert result.returncode == 0, result.stderr
    exported = ws.root / "exported"
    result = run_cli("db", "export", "--db", pg_url, "--output-dir", str(exported))
    assert result.returncode == 0, result.stderr
    assert (exported / "sleep.csv").read_bytes() == (ws.data / "sleep.csv").read_bytes()
    assert b"[0.1,1e+16,null,Infinity,-0.0]" in (exported / "sleep.csv").read_bytes()


def test_nul_and_lone_surrogates_are_escaped_reversibly_everywhere(
    api: FakeOura, ws: Workspace, db: Db
) -> None:
    tags = api.data["enhanced_tag"]
    odd = {tags[0]["id"]: "a\x00b", tags[1]["id"]: "x\ud83dy", tags[2]["id"]: '"quoted"'}
    for index, tag in enumerate(tags):  # a NUL in every comment: many batches, one rule
        comment = odd.get(tag["id"], f"plain\x00{index}")
        api.upsert_document("enhanced_tag", dict(tag, comment=comment))
    picked = ("--categories", "enhanced_tag", "--db", db.target)
    for _ in range(2):
        result = fetch(api, ws, *picked)
        assert result.returncode == 0, result.stderr
        assert "the column is now" not in result.stderr
    stored = {r["id"]: r["comment"] for r in ws.csv("enhanced_tag")}
    assert stored[tags[0]["id"]] == '"a\\u0000b"'
    assert stored[tags[1]["id"]] == '"x\\ud83dy"'
    assert stored[tags[2]["id"]] == '"\\"quoted\\""'
    assert stored[tags[3]["id"]] == '"plain\\u00003"'
    assert {unescape_text(stored[k]) for k in odd} == set(odd.values())
    in_db = dict(db.query("SELECT id, comment FROM enhanced_tag"))
    assert in_db == stored
    assert len(in_db) == len(tags)


def test_nul_in_a_list_widens_its_json_column_once(api: FakeOura, ws: Workspace, db: Db) -> None:
    docs = api.data["tag"]
    for doc in docs:
        api.upsert_document("tag", dict(doc, tags=["tag_generic_x\x00", "\ud83d"]))
    widened = fetch(api, ws, "--categories", "tag", "--db", db.target)
    assert widened.returncode == 0, widened.stderr
    assert widened.stderr.count("the column is now") <= 1
    again = fetch(api, ws, "--categories", "tag", "--db", db.target)
    assert again.returncode == 0, again.stderr
    assert "the column is now" not in again.stderr
    cells = {r["tags"] for r in ws.csv("tag")}
    assert cells == {'["tag_generic_x\\u0000","\\ud83d"]'}
    assert json.loads(cells.pop()) == ["tag_generic_x\x00", "\ud83d"]
    assert {v for (v,) in db.query("SELECT tags FROM tag")} == {
        '["tag_generic_x\\u0000","\\ud83d"]'
    }


def test_escape_rule_round_trips_and_leaves_plain_text_alone() -> None:
    for text in ("a\x00b", "\udc80", '"', '""', '"x"', '"x', "é ü 😀", "", "plain"):
        assert unescape_text(cell(text)) == text
    for plain in ("é ü 😀", "plain", '"x', 'x"', 'say "hi"'):
        assert cell(plain) == plain
