"""docs/analysis.md: every recipe runs against a demo account and gives the right answer.

The code is read from the document itself, so the two cannot drift apart."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

DOC = Path(__file__).resolve().parent.parent / "docs" / "analysis.md"
DAYS = 45


def recipe(name: str) -> str:
    """The code block of docs/analysis.md that starts with the comment `recipe: NAME`."""
    text = DOC.read_text(encoding="utf-8")
    found = re.findall(r"```(?:python|sql)\n(?:#|--) recipe: ([\w-]+)\n(.*?)```", text, re.S)
    blocks = dict(found)
    assert name in blocks, f"docs/analysis.md has no recipe {name}"
    return blocks[name]


def run(name: str, where: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.chdir(where)
    scope: dict[str, Any] = {}
    exec(compile(recipe(name), f"docs/analysis.md:{name}", "exec"), scope)
    return scope


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo account as the document's first lines make it: data/ and oura.db."""
    where = tmp_path_factory.mktemp("analysis")
    data, db = where / "data", where / "oura.db"
    result = run_cli("demo", "--days", str(DAYS), "--output-dir", str(data), "--db", str(db))
    assert result.returncode == 0, result.stderr
    return where


def rows(where: Path, category: str) -> list[dict[str, str]]:
    with (where / "data" / f"{category}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def nights(where: Path) -> list[dict[str, str]]:
    found = [r for r in rows(where, "sleep") if r["type"] == "long_sleep"]
    return sorted(found, key=lambda r: r["bedtime_start"][:19])


def test_pandas_reads_instants_and_the_wearers_clock(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope = run("pandas-csv", demo, monkeypatch)
    hours = [
        int(r["bedtime_start"][11:13]) + int(r["bedtime_start"][14:16]) / 60 for r in nights(demo)
    ]
    expected = sum(h if h >= 12 else h + 24 for h in hours) / len(hours) % 24
    assert scope["bedtime"] == pytest.approx(expected)
    offsets = {r["bedtime_start"][19:] for r in nights(demo)}
    assert len(offsets) >= 1
    first = scope["nights"]["start"].iloc[0]
    assert first.tzinfo is not None


def test_pandas_reads_the_local_columns_and_a_series(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope = run("pandas-sqlite", demo, monkeypatch)
    assert len(scope["nights"]) == len(nights(demo))
    last = max(nights(demo), key=lambda r: r["bedtime_start"][:19])
    items = json.loads(last["hrv.items"]) if last["hrv.items"] else []
    curve = scope["curve"]
    assert [None if math.isnan(v) else v for v in curve["value"]] == items
    if items:
        first = dt.datetime.fromisoformat(last["bedtime_start"][:19])
        assert curve["timestamp_local"].iloc[0].to_pydatetime() == first
    assert 1 <= len(scope["weekday_hrv"]) <= 7


def test_sqlite_compares_instants_with_julianday(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope = run("sqlite-times", demo, monkeypatch)
    last = nights(demo)[-1]
    start = dt.datetime.fromisoformat(last["bedtime_start"])
    end = dt.datetime.fromisoformat(last["bedtime_end"])
    beats = rows(demo, "heartrate")
    inside = [b for b in beats if start <= dt.datetime.fromisoformat(b["timestamp"]) <= end]
    assert scope["samples"] == len(inside) > 0
    late = [r for r in nights(demo) if "00:00" <= r["bedtime_start"][11:16] <= "05:00"]
    assert scope["late_nights"] == len(late)
    assert scope["deep_minutes"] == 5 * last["sleep_phase_5_min"].count("1")


def test_duckdb_reads_the_csvs_with_explicit_types(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope = run("duckdb-csv", demo, monkeypatch)
    per_day: dict[str, list[int]] = defaultdict(list)
    for beat in rows(demo, "heartrate"):
        per_day[beat["timestamp"][:10]].append(int(beat["bpm"]))
    expected = [(day, min(v), max(v)) for day, v in sorted(per_day.items())]
    assert [(d.isoformat(), low, high) for d, low, high in scope["daily"]] == expected
    classes = {r["day"]: r["class_5_min"] for r in rows(demo, "daily_activity")}
    assert {d.isoformat(): text for d, text in scope["classes"]} == classes
    assert any(text.startswith("0") for text in classes.values())


def test_postgres_recipes_draw_the_hrv_curve_and_local_bedtimes(
    tmp_path: Path, pg_url: str
) -> None:
    import psycopg

    data = tmp_path / "data"
    result = run_cli("demo", "--days", str(DAYS), "--output-dir", str(data), "--db", pg_url)
    assert result.returncode == 0, result.stderr
    with psycopg.connect(pg_url) as connection:
        curve = connection.execute(recipe("postgres-hrv-curve")).fetchall()  # type: ignore[arg-type]
        months = connection.execute(recipe("postgres-bedtime")).fetchall()  # type: ignore[arg-type]
    last = [n for n in nights(tmp_path) if n["hrv.items"]][-1]
    assert [value for _, value in curve] == json.loads(last["hrv.items"])
    assert curve[0][0] == dt.datetime.fromisoformat(last["bedtime_start"][:19])
    expected: dict[str, list[float]] = defaultdict(list)
    for night in nights(tmp_path):
        hour = int(night["bedtime_start"][11:13]) + int(night["bedtime_start"][14:16]) / 60
        expected[night["day"][:7]].append(hour if hour >= 12 else hour + 24)
    assert [(m.isoformat()[:7], round(float(h), 6)) for m, h in months] == [
        (month, round(sum(v) / len(v), 6)) for month, v in sorted(expected.items())
    ]
