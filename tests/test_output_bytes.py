"""A multi-year backfill writes, byte for byte, the CSVs a plain reference builds.

The collector's fast paths (pages kept as blocks, spilled runs, compact decoding, the
release of every page before the next) must not change a single output byte. The
reference here is the slow, obvious path: every served document flattened on its own,
sorted by its key, written row by row. The history ends yesterday, so the server holds
back nothing the reference would count.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import TODAY, TOKEN, Workspace, fetch

from oura_stats.api.categories import BY_NAME, Category
from oura_stats.demo.history import make_history
from oura_stats.demo.server import FakeOura
from oura_stats.store.flatten import Row, flatten
from oura_stats.store.keys import time_key

YEARS = 2


def reference_sort_key(category: Category, row: Row) -> tuple[str, tuple[str, ...]]:
    order = time_key(row.get(category.time_field or "", ""))
    key = tuple(order if name == category.time_field else row[name] for name in category.key)
    return order, key


def reference_csv(category: Category, documents: list[dict[str, Any]], header: list[str]) -> str:
    rows = [flatten(document) for document in documents]
    rows.sort(key=lambda row: reference_sort_key(category, row))
    keys = [reference_sort_key(category, row)[1] for row in rows]
    assert len(set(keys)) == len(keys), "the generated history repeats a key"
    assert header[: len(category.lead_columns)] == list(category.lead_columns)
    assert set(header) == {name for row in rows for name in row}
    text = io.StringIO(newline="")
    write = plain_writer(text)
    write(header)
    for row in rows:
        write([row.get(name, "") for name in header])
    return text.getvalue()


def plain_writer(text: io.StringIO) -> Callable[[list[str]], object]:
    """csv.writer itself, quoting every cell of a row with a carriage return (the tool's
    documented rule), so the reference shares no shortcut with the tool's writer."""
    minimal = csv.writer(text, lineterminator="\n")
    quoted = csv.writer(text, lineterminator="\n", quoting=csv.QUOTE_ALL)
    return lambda values: (quoted if "\r" in "".join(values) else minimal).writerow(values)


@pytest.fixture(scope="module")
def served() -> dict[str, Any]:
    end = TODAY - dt.timedelta(days=1)
    return make_history(round(YEARS * 365.25), end=end, heartrate_interval_s=300)


def test_a_multi_year_backfill_writes_the_reference_bytes(
    served: dict[str, Any], tmp_path: Path
) -> None:
    ws = Workspace(tmp_path)
    with FakeOura(served, token=TOKEN, today=TODAY) as api:
        result = fetch(api, ws)
    assert result.returncode == 0, result.stderr
    assert len(served["heartrate"]) > 200_000  # pages kept as blocks, spilled, merged
    for name, category in BY_NAME.items():
        documents = served[name]
        documents = [documents] if isinstance(documents, dict) else documents
        written = (ws.data / f"{name}.csv").read_bytes().decode("utf-8")
        header = next(csv.reader(io.StringIO(written))) if documents else []
        expected = reference_csv(category, documents, header) if documents else written
        same = written == expected  # not in the assert: pytest would diff megabytes
        assert same, f"{name}.csv differs from the reference: {first_difference(written, expected)}"


def first_difference(written: str, expected: str) -> str:
    lines = zip(written.splitlines(), expected.splitlines(), strict=False)
    for number, (ours, theirs) in enumerate(lines, 1):
        if ours != theirs:
            return f"line {number}: {ours!r} instead of {theirs!r}"
    return f"{written.count(chr(10))} lines instead of {expected.count(chr(10))}"
