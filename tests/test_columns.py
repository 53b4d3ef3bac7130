"""The data dictionary: every column the API sends has a type, a unit where one applies and a
meaning; `oura-stats categories --columns` prints it and docs/columns.md is generated from it."""

from __future__ import annotations

from pathlib import Path

from conftest import history, run_cli

from oura_stats.api.categories import CATEGORIES
from oura_stats.api.fields import TYPES
from oura_stats.api.meanings import columns, meaning
from oura_stats.store.flatten import flatten

DOCS = Path(__file__).resolve().parent.parent / "docs" / "columns.md"


def test_every_column_the_fake_api_emits_has_type_and_meaning() -> None:
    for name, documents in history().items():
        described = {c.name: c for c in columns(name)}
        for document in documents if isinstance(documents, list) else [documents]:
            for column in flatten(document):
                entry = described.get(column)
                assert entry is not None, (name, column)
                assert entry.type in TYPES, (name, column)
                assert entry.meaning, (name, column)


def test_every_category_column_has_a_meaning() -> None:
    for category in CATEGORIES:
        listed = columns(category.name)
        assert listed, category.name
        assert [c.name for c in listed if not c.meaning] == [], category.name


def test_units_are_said_where_they_matter() -> None:
    assert meaning("heartrate", "bpm") == ("bpm", "heart rate")
    assert meaning("sleep", "deep_sleep_duration")[0] == "s"  # type: ignore[index]
    assert meaning("daily_activity", "steps")[0] == "steps"  # type: ignore[index]
    assert meaning("daily_readiness", "temperature_deviation")[0] == "°C"  # type: ignore[index]
    assert meaning("sleep", "readiness.contributors.hrv_balance")[0] == "score 1-100"  # type: ignore[index]
    assert meaning("daily_readiness", "no_such_column") is None


def test_categories_columns_prints_one_category() -> None:
    result = run_cli("categories", "--columns", "HEARTRATE")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[0] == "heartrate"
    bpm = next(line for line in lines if line.split()[:1] == ["bpm"])
    assert bpm.split()[1:3] == ["integer", "bpm"]
    assert "heart rate" in bpm


def test_categories_columns_prints_every_category() -> None:
    result = run_cli("categories", "--columns")
    assert result.returncode == 0, result.stderr
    headings = [line for line in result.stdout.splitlines() if line and not line[0].isspace()]
    assert [h.split()[0] for h in headings] == [c.name for c in CATEGORIES]


def test_unknown_category_for_columns_is_a_usage_error() -> None:
    result = run_cli("categories", "--columns", "sleeep")
    assert result.returncode == 2
    assert "unknown category 'sleeep'" in result.stderr
    assert "Traceback" not in result.stderr


def test_docs_columns_md_is_up_to_date_with_the_generator() -> None:
    result = run_cli("categories", "--columns", "--markdown")
    assert result.returncode == 0, result.stderr
    assert DOCS.read_text(encoding="utf-8") == result.stdout, (
        "regenerate: python -m oura_stats categories --columns --markdown > docs/columns.md"
    )
