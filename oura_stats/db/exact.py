"""The CSV text of a typed database value, and which cells a type would change.

PostgreSQL keeps a timestamp as an instant (its offset is gone), a number as a double
(`71` and `71.0` are one value) and JSON objects with their keys reordered. A
database-only run keeps, per row, the text of the few cells whose typed value would not
give their text back (`_exact`), so `db export` writes the very bytes a CSV run would have.
JSONB also spells some numbers its own way (`1e+16` as `10000000000000000`, `-0.0` as
`0.0`): lists holding such numbers are kept too.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from typing import Any

from oura_stats.api.decode import number_texts
from oura_stats.store.flatten import cell

EXACT = "_exact"  # the column of a category table holding those cells, as a JSON object
_UTC_LENGTH = len("2024-01-01T00:00:00+00:00")


def as_text(value: Any) -> str:
    """A value as psycopg gives it back, as the CSV writes it."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return cell(value)


def _datetime_kept(text: str) -> bool:
    if len(text) == _UTC_LENGTH and text.endswith("+00:00") and text[10] == "T":
        return True  # the common case (every heart-rate sample), decided cheaply
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return moment.tzinfo is not None and as_text(moment) == text


def _date_kept(text: str) -> bool:
    try:
        return dt.date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def _number_kept(text: str) -> bool:
    try:
        return repr(float(text)) == text
    except ValueError:
        return False


def _json_kept(text: str, decode: Callable[[str], Any]) -> bool:
    """`decode`: a batch's table of number texts (api/decode.py), so that a list of
    numbers gives its cell by a join (store/numbers.py)."""
    if "e+" in text or "-0.0," in text or "-0.0]" in text:
        return False  # JSONB's numeric writes 1e+16 as 10000000000000000 and -0.0 as 0.0
    try:
        value = json.loads(text, parse_float=decode, parse_constant=decode)
    except ValueError:
        return False
    if "{" in text and _has_object(value):  # without a brace there is no object
        return False
    return cell(value) == text


def _has_object(value: Any) -> bool:
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and any(_has_object(v) for v in value)


# Per column kind (see db/schema.py): does its typed value give this text back?
KEPT: dict[str, Callable[[str], bool]] = {
    "number": _number_kept,
    "date": _date_kept,
    "datetime": _datetime_kept,
}
_JSON_KINDS = ("array", "object")


def exact_cells(header: list[str], kinds: dict[str, str]) -> Callable[[list[str]], str]:
    """For rows under `header`: the JSON text of the cells their types would change, or ''."""
    json_kept: Callable[[str], bool] = functools.partial(_json_kept, decode=number_texts())
    kept = KEPT | dict.fromkeys(_JSON_KINDS, json_kept)  # one table of numbers a batch
    checks = [
        (i, name, kept[kinds[name]]) for i, name in enumerate(header) if kinds.get(name) in kept
    ]

    def exact(values: list[str]) -> str:
        changed = {name: values[i] for i, name, kept in checks if values[i] and not kept(values[i])}
        return json.dumps(changed, ensure_ascii=False) if changed else ""

    return exact
