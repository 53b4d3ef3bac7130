"""CSV text to database values: the column-at-once fast path agrees with the cell-by-cell one."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oura_stats.db.convert import Misfit, column_converter, converter

KINDS = {
    "sqlite": ("integer", "number", "boolean", "string"),
    "postgresql": ("integer", "number", "boolean", "date", "datetime", "array", "string"),
}
SAMPLES = st.sampled_from(
    [
        "",
        "0",
        "7",
        "-3",
        "007",
        "+5",
        "72.5",
        "1e5",
        "1e400",
        "12345678901234567890",
        "true",
        "false",
        "True",
        "2024-02-29",
        "2024-02-30",
        "20240101",
        "2024-01-01T10:00:00+02:00",
        "2024-01-01T10:00:00.123+00:00",
        "2024-01-01T10:00:00",
        "2024-01-01T10:00:00Z",
        "[1.0,null]",
        '{"a":1}',
        "[NaN]",
        "Infinity",
        "-inf",
        "NaN",
        "1e999",
        '["\\ud83d"]',
        "not json",
        "high",
        "a\tb",
    ]
)


def cell_by_cell(dialect: str, kind: str, column: list[str]) -> Any:
    convert = converter(dialect, kind)
    try:
        return [convert(value) for value in column]
    except Misfit as misfit:
        return ("misfit", misfit.value)


def at_once(dialect: str, kind: str, column: list[str]) -> Any:
    try:
        return list(column_converter(dialect, kind)(column))
    except Misfit as misfit:
        return ("misfit", misfit.value)


@pytest.mark.parametrize(("dialect", "kind"), [(d, k) for d, kinds in KINDS.items() for k in kinds])
@settings(max_examples=150, deadline=None)
@given(column=st.lists(st.one_of(SAMPLES, st.text(max_size=6)), max_size=8))
def test_fast_path_equals_cell_by_cell(dialect: str, kind: str, column: list[str]) -> None:
    assert at_once(dialect, kind, column) == cell_by_cell(dialect, kind, column)


@pytest.mark.parametrize(
    ("dialect", "kind", "value", "stored"),
    [
        ("sqlite", "integer", "72", 72),
        ("sqlite", "number", "72", 72.0),
        ("sqlite", "boolean", "true", 1),
        ("sqlite", "string", "", None),
        ("postgresql", "datetime", "2024-01-01T10:00:00+02:00", "2024-01-01T10:00:00+02:00"),
        ("sqlite", "number", "-Infinity", float("-inf")),
        ("sqlite", "number", "NaN", "NaN"),  # SQLite has no NaN: the text, in a REAL column
        ("postgresql", "number", "inf", "Infinity"),
        ("postgresql", "number", "nan", "NaN"),
        ("postgresql", "string", "nul\x00", '"nul\\u0000"'),  # the CSV's escape
    ],
)
def test_values_that_fit(dialect: str, kind: str, value: str, stored: Any) -> None:
    assert list(column_converter(dialect, kind)([value])) == [stored]


@pytest.mark.parametrize(
    ("dialect", "kind", "value"),
    [
        ("sqlite", "integer", "007"),  # would lose its zeros
        ("sqlite", "integer", "72.5"),
        ("sqlite", "integer", "99999999999999999999"),  # beyond 64 bits
        ("sqlite", "number", "1e400"),  # beyond a double
        ("sqlite", "boolean", "yes"),
        ("postgresql", "date", "2024-02-30"),
        ("postgresql", "datetime", "2024-01-01T10:00:00"),  # no offset: no instant
        ("postgresql", "array", "[NaN]"),
        ("postgresql", "array", '["\\ud83d"]'),  # JSONB holds no lone surrogate
        ("postgresql", "number", "1e999"),  # kept as text, not as infinity
    ],
)
def test_values_that_do_not_fit_are_refused(dialect: str, kind: str, value: str) -> None:
    with pytest.raises(Misfit):
        column_converter(dialect, kind)(["1" if kind == "integer" else "", value])
