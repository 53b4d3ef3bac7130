"""CSV text to database values, column by column, refusing any value its column would change.

A converter returns the value to send (None for an empty cell) or raises `Misfit`; the
mirror then widens the column (integer → number → text) so no value is ever lost.
SQLite stores what it is given (text columns take any text); PostgreSQL parses the text
of dates, timestamps and JSON itself, so those are only checked here.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from oura_stats.store.flatten import text_cell

Converter = Callable[[str], Any]
# A whole column of a batch at once: the values to send, or Misfit naming the first misfit.
ColumnConverter = Callable[[Sequence[str]], Sequence[Any]]

_INT64 = 1 << 63


class Misfit(ValueError):
    """A CSV value its column's type cannot hold exactly."""

    @property
    def value(self) -> str:
        return str(self.args[0])


class ColumnMisfit(Exception):
    """A batch's value its column cannot hold: which column, and the value."""

    def __init__(self, column: str, value: str) -> None:
        super().__init__(column)
        self.column, self.value = column, value


def _integer(text: str) -> int | None:
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise Misfit(text) from None
    if str(value) != text or not -_INT64 <= value < _INT64:
        raise Misfit(text)  # leading zeros, signs, underscores, or beyond 64 bits
    return value


def _float(text: str) -> float | None:
    """The number of a cell; ±inf and NaN (`Infinity`, `inf`, `NaN`) included."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise Misfit(text) from None
    if value == 0 and any(c in "123456789" for c in text.lower().split("e", maxsplit=1)[0]):
        raise Misfit(text)  # underflow to zero
    if math.isinf(value) and text.lower().lstrip("+-") not in ("inf", "infinity"):
        raise Misfit(text)  # overflow: 1e999 is kept as the text it is
    exact = not math.isfinite(value) or "." in text or "e" in text.lower()
    if not exact and int(value) != int(text):
        raise Misfit(text)  # an integer a double cannot hold exactly
    return value


def _number(text: str) -> float | str | None:
    """SQLite's REAL holds ±inf but not NaN (it would become NULL): NaN stays the text
    `NaN`, which SQLite keeps as text in the REAL column."""
    value = _float(text)
    return "NaN" if value is not None and math.isnan(value) else value


_PG_NOT_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def _pg_number(text: str) -> str | None:
    """DOUBLE PRECISION holds ±inf and NaN: sent in the words PostgreSQL reads."""
    value = _float(text)
    if value is None or math.isfinite(value):
        return text or None
    return "NaN" if math.isnan(value) else _PG_NOT_FINITE[value]


def _sqlite_boolean(text: str) -> int | None:
    if not text:
        return None
    if text == "true":
        return 1
    if text == "false":
        return 0
    raise Misfit(text)


def _boolean_text(text: str) -> str | None:
    if not text:
        return None
    if text in ("true", "false"):
        return text
    raise Misfit(text)


def _date_text(text: str) -> str | None:
    if not text:
        return None
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise Misfit(text) from None
    if len(text) != 10:
        raise Misfit(text)
    return text


def _datetime_text(text: str) -> str | None:
    if not text:
        return None
    try:
        instant = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Misfit(text) from None
    if instant.tzinfo is None:
        raise Misfit(text)  # without an offset the instant is unknown
    return text


def _reject_constant(name: str) -> None:
    raise Misfit(name)  # NaN and Infinity are not JSON


def _json_text(text: str) -> str | None:
    if not text:
        return None
    try:
        parsed = json.loads(text, parse_constant=_reject_constant)
        if "\\u" in text:  # JSONB refuses NUL and lone surrogates
            json.dumps(parsed, ensure_ascii=False).encode()
    except (ValueError, UnicodeEncodeError):
        raise Misfit(text) from None
    if "\\u0000" in text:
        raise Misfit(text)
    return text


def _text(text: str) -> str | None:
    return text or None  # the CSV writes null and "" alike: an empty cell is NULL


def _pg_text(text: str) -> str | None:
    if "\x00" in text:  # PostgreSQL text holds no NUL: the CSV's escape (flatten.py)
        return text_cell(text)
    return text or None


_SQLITE: dict[str, Converter] = {
    "integer": _integer,
    "number": _number,
    "boolean": _sqlite_boolean,
    "string": _text,
}


def _checked(check: Converter) -> Converter:
    """PostgreSQL parses numbers itself: send the text once it is known to fit."""

    def convert(text: str) -> str | None:
        check(text)
        return text or None

    return convert


_POSTGRESQL: dict[str, Converter] = {
    "integer": _checked(_integer),
    "number": _pg_number,
    "boolean": _boolean_text,
    "date": _date_text,
    "datetime": _datetime_text,
    "array": _json_text,
    "object": _json_text,
    "string": _pg_text,
}


def converter(dialect: str, kind: str) -> Converter:
    """The converter of one value of a column of API type `kind` in `dialect`."""
    table = _SQLITE if dialect == "sqlite" else _POSTGRESQL
    return table.get(kind, table["string"])


# Fast paths: one regular expression over a whole column (its cells joined by newlines, which
# the patterns never match inside a value), then C-level conversions. A column the pattern
# refuses goes cell by cell, which finds the misfit or converts the unusual but valid value.
def _lines(cell: str) -> re.Pattern[str]:
    return re.compile(f"(?:{cell})?(?:\n(?:{cell})?)*")


_INTEGERS = _lines(r"-?(?:0|[1-9][0-9]{0,17})")
_NUMBERS = _lines(r"-?(?:0|[1-9][0-9]{0,14})(?:\.[0-9]+)?")
_BOOLEANS = _lines("true|false")
_DATES = _lines(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIMES = _lines(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:[+-][0-9]{2}:[0-9]{2}|Z)"
)
_SQLITE_BOOLEANS = {"": None, "true": 1, "false": 0}


def _joined(column: Sequence[str]) -> str:
    """The column's cells on lines; a cell holding a line end itself gives "\\x00", which
    no pattern accepts (such a column goes cell by cell)."""
    joined = "\n".join(column)
    return joined if joined.count("\n") == len(column) - 1 else "\x00"


def _or_none(column: Sequence[str]) -> list[str | None]:
    return [value or None for value in column]


def _sqlite_fast(kind: str, column: Sequence[str]) -> list[Any] | None:
    if kind == "integer":
        if _INTEGERS.fullmatch(_joined(column)) is None:
            return None
        return [int(v) if v else None for v in column]
    if kind == "number":
        if _NUMBERS.fullmatch(_joined(column)) is None:
            return None
        return [float(v) if v else None for v in column]
    if kind == "boolean":
        if _BOOLEANS.fullmatch(_joined(column)) is None:
            return None
        return [_SQLITE_BOOLEANS[v] for v in column]
    return _or_none(column)


_PATTERNS = {"integer": _INTEGERS, "number": _NUMBERS, "boolean": _BOOLEANS}
_PARSED = {
    "date": (_DATES, dt.date.fromisoformat),
    "datetime": (_DATETIMES, dt.datetime.fromisoformat),
}


def _postgres_fast(kind: str, column: Sequence[str]) -> list[Any] | None:
    joined = _joined(column)
    if "\x00" in joined:
        return None
    pattern = _PATTERNS.get(kind)
    if pattern is not None and pattern.fullmatch(joined) is None:
        return None
    try:
        if kind in _PARSED:
            pattern, parse = _PARSED[kind]
            if pattern.fullmatch(joined) is None:
                return None
            deque(map(parse, filter(None, column)), maxlen=0)  # no impossible dates
        elif kind in ("array", "object"):
            if "NaN" in joined or "Infinity" in joined or "\\u" in joined:
                return None
            deque(map(json.loads, filter(None, column)), maxlen=0)  # parsed, not kept
    except ValueError:
        return None
    return _or_none(column)


def column_converter(dialect: str, kind: str) -> ColumnConverter:
    """Converts a column of a batch: fast when every value looks as the API writes it."""
    fast = _sqlite_fast if dialect == "sqlite" else _postgres_fast
    cell = converter(dialect, kind)

    def convert(column: Sequence[str]) -> Sequence[Any]:
        values = fast(kind, column)
        return values if values is not None else list(map(cell, column))

    return convert
