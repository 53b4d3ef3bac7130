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
    if kinds <= _TEXTS_AND_NULLS:  # map(get, v, v): a null's text, else the value itself
        return "[" + ",".join(map(_NULL.get, values, values)) + "]"
    if not kinds <= _FLOATS or 0.0 in values:
        return None
    return "[" + ",".join(map(_TEXTS.__getitem__, values)) + "]"
