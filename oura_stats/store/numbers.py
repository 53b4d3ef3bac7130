"""The JSON text of a list of floats (and nulls), from a table of each value's text.

A day of activity holds 1,440 per-minute MET values drawn from a few dozen distinct
numbers (the decoder gives equal numbers one object: api/decode.py). `json.dumps` formats
every one of them anew; looking each up in a table of texts and joining them is about
twice as fast, and gives the same text: the table's text of a value is `json.dumps` of
it. Only lists of floats and nulls without a zero qualify: 0.0 and -0.0 are equal as
keys but written differently, and an int would find the text of its equal float.
"""

from __future__ import annotations

import json
from typing import Any

_LIMIT = 1 << 14  # distinct values remembered; then the table starts again
_NUMBERS = frozenset({float, type(None)})


class _Texts(dict[Any, str]):
    def __missing__(self, value: Any) -> str:
        if len(self) > _LIMIT:
            self.clear()
            self[None] = "null"
        text = self[value] = json.dumps(value)
        return text


_TEXTS = _Texts({None: "null"})


def float_list_text(values: list[Any]) -> str | None:
    """The compact JSON text of `values`, when they are floats and nulls without a zero;
    None otherwise (the caller then encodes the list itself)."""
    if not set(map(type, values)) <= _NUMBERS or 0.0 in values:
        return None
    return "[" + ",".join(map(_TEXTS.__getitem__, values)) + "]"
