"""A one-person database-only database keeps working when it becomes a study."""

from __future__ import annotations

import psycopg
from conftest import TOKEN, run_cli

from oura_stats.demo.server import FakeOura


def key_columns(db: str, table: str) -> list[str]:
    with psycopg.connect(db) as conn:
        rows = conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary "
            "ORDER BY array_position(i.indkey, a.attnum)",
            (table,),
        ).fetchall()
    return [str(r[0]) for r in rows]


def counts(db: str, table: str) -> dict[str, int]:
    with psycopg.connect(db) as conn:
        rows = conn.execute(
            f"SELECT account, count(*) FROM {table} GROUP BY account"  # type: ignore[arg-type]
        ).fetchall()
    return {str(a): int(n) for a, n in rows}


def test_a_one_person_database_is_migrated_in_place_and_keeps_working(
    api: FakeOura, pg_url: str
) -> None:
    fetch = ["fetch", "--no-csv", "--db", pg_url, "--token", TOKEN, "--base-url", api.url]
    first = run_cli(*fetch)
    assert first.returncode == 0, first.stderr
    assert key_columns(pg_url, "heartrate") == ["timestamp", "source"]
    invited = run_cli("accounts", "invite", "p001", "--db", pg_url,
                      "--public-url", "https://enrol.example.org")  # fmt: skip
    assert invited.returncode == 0, invited.stderr
    assert key_columns(pg_url, "heartrate") == ["account", "timestamp", "source"]
    assert key_columns(pg_url, "sleep") == ["account", "id"]
    sleeps = len(api.data["sleep"])
    assert counts(pg_url, "sleep") == {"default": sleeps}
    api.clear_requests()
    again = run_cli(*fetch)
    assert again.returncode == 0, again.stderr
    assert counts(pg_url, "sleep") == {"default": sleeps}
    assert counts(pg_url, "heartrate") == {"default": len(api.data["heartrate"])}
    assert len(api.requests) < 40  # incremental from the database's cursors
