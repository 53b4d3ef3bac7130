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
from collections.abc import Callable
from typing import Any

Converter = Callable[[str], Any]

_INT64 = 1 << 63


class Misfit(ValueError):
    """A CSV value its column's type cannot hold exactly."""


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


def _number(text: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise Misfit(text) from None
    if not math.isfinite(value) or (
        value == 0 and any(c in "123456789" for c in text.lower().split("e", maxsplit=1)[0])
    ):
        raise Misfit(text)  # overflow, NaN, or underflow to zero
    if "." not in text and "e" not in text.lower() and int(value) != int(text):
        raise Misfit(text)  # an integer a double cannot hold exactly
    return value


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
        json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        raise Misfit(text) from None
    if "\\u0000" in text:
        raise Misfit(text)
    return text


def _text(text: str) -> str | None:
    return text or None  # the CSV writes null and "" alike: an empty cell is NULL


def _pg_text(text: str) -> str | None:
    if "\x00" in text:
        raise Misfit(text)
    return text or None


_SQLITE: dict[str, Converter] = {
    "integer": _integer,
    "number": _number,
    "boolean": _sqlite_boolean,
    "string": _text,
}
_POSTGRESQL: dict[str, Converter] = {
    "integer": _integer,
    "number": _number,
    "boolean": _boolean_text,
    "date": _date_text,
    "datetime": _datetime_text,
    "array": _json_text,
    "object": _json_text,
    "string": _pg_text,
}


def converter(dialect: str, kind: str) -> Converter:
    """The converter for a column of API type `kind` in `dialect`."""
    table = _SQLITE if dialect == "sqlite" else _POSTGRESQL
    return table.get(kind, table["string"])
