"""The JSON text of a list of numbers (and nulls), without formatting each number anew.

A day of activity holds 1,440 per-minute MET values; a five-year backfill, 2.6 million.
The client decodes each number with a fraction or exponent as its canonical text, a
`NumberText` (api/decode.py), so a list of them is its cell by joining those texts:
`json.dumps` of the floats would write the very same characters (`repr`, or `Infinity`,
`-Infinity`, `NaN`), and so does this, four times as fast. `0.0` and `-0.0` need no
care here: their texts differ.

Lists of plain floats (decoded elsewhere, e.g. read back from a database) still look
each value up in a table of texts made by `json.dumps`; there 0.0 and -0.0 are equal as
keys but written differently, and an int would find the text of its equal float, so
only lists of floats and nulls without a zero qualify.

A list with nulls has them written in place in a copy, found by `list.index` (a scan in C):
a day's list misses a few dozen values of its 1,440, and one lookup per value in a table
of texts took half again as long (a day with 45 nulls: 35 µs instead of 44 µs, all told).
A list with more nulls than that goes value by value.
"""

from __future__ import annotations

import json
from typing import Any

from oura_stats.api.decode import NumberText

_LIMIT = 1 << 14  # distinct values remembered; then the table starts again
_FLOATS = frozenset({float, type(None)})
_TEXTS_ONLY = {NumberText}
_TEXTS_AND_NULLS = frozenset({NumberText, type(None)})
_NULL = {None: "null"}
_NULLS_FOUND_BY_INDEX = 64  # then one lookup per value is cheaper than one scan per null


class _Texts(dict[Any, str]):
    def __missing__(self, value: Any) -> str:
        if len(self) > _LIMIT:
            self.clear()
            self[None] = "null"
        text = self[value] = json.dumps(value)
        return text


_TEXTS = _Texts({None: "null"})


def number_list_text(values: list[Any]) -> str | None:
    """The compact JSON text of `values`, when they are numbers as texts (`NumberText`)
    and nulls, or floats and nulls without a zero; None otherwise (the caller then
    encodes the list itself)."""
    kinds = set(map(type, values))
    if kinds == _TEXTS_ONLY:
        return "[" + ",".join(values) + "]"
    if kinds <= _TEXTS_AND_NULLS:
        return "[" + ",".join(_nulls_written(values)) + "]"
    if not kinds <= _FLOATS or 0.0 in values:
        return None
    return "[" + ",".join(map(_TEXTS.__getitem__, values)) + "]"


def _nulls_written(values: list[Any]) -> list[Any]:
    """A copy of `values` with each None as "null"."""
    texts = values.copy()
    index, position = texts.index, 0
    try:
        for _ in range(_NULLS_FOUND_BY_INDEX):
            position = index(None, position)
            texts[position] = "null"
    except ValueError:  # no null left
        return texts
    return list(map(_NULL.get, texts, texts))  # map(get, v, v): a null's text, else the value
