"""Decoding listing pages compactly: each distinct number on a page is one object, its text.

A page of daily activity holds 100 days of per-minute MET values (144,000 numbers) drawn
from a few dozen distinct ones. Decoded the usual way, each number is its own float, and
storing a day's 1,440 of them means formatting every one anew. Decoded through
`parse_float` (and `parse_constant`, for the NaN and ±Infinity that Python's JSON
accepts) with a per-body table, every number with a fraction or exponent becomes one
shared `NumberText` per distinct text on the page: a `str` holding the text the CSV
writes for that number (`repr` of its float, or JSON's `Infinity`, `-Infinity`, `NaN`
for one that is not finite, as store/flatten.py spells it). A list of them is then
stored by joining its texts (store/numbers.py).

Why this is safe: the text is made from `float(text)`, the value `json.loads` would have
given, so `float()` of it gives that value back exactly (repr round-trips; `-0.0` keeps
its sign), and equal texts on a page share one object, as the floats did. Integers stay
`int`. A `NumberText` is true exactly when its number is non-zero, as the float was.
What differs: `json.dumps` would write it as a quoted string, so every consumer that
encodes decoded documents as JSON turns these back into floats first (`as_floats`); and
it compares and adds as text, so nothing may do arithmetic on a listing's values (the
run reads only their key and time fields, which are text). The CSV writers write a
`str` as its text. Only listing pages are decoded so (`OuraClient.iter_pages`):
personal_info (`get_object`) is one small document whose callers may read its numbers
as numbers, so it keeps plain floats.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_NOT_FINITE = {"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}


class NumberText(str):
    """A decoded JSON number with a fraction or exponent (or NaN, ±Infinity), as its
    canonical text."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return float(self) != 0.0  # as the float: only zero is false (NaN is true)


def canonical_text(value: float) -> str:
    """A float's text: repr, or JSON's word for a value that is not finite."""
    text = repr(value)
    return _NOT_FINITE.get(text, text)


class _Texts(dict[str, NumberText]):
    """Text of a JSON number → its shared `NumberText`, made once per distinct text."""

    def __missing__(self, text: str) -> NumberText:
        value = self[text] = NumberText(canonical_text(float(text)))
        return value


class _Floats(dict[str, float]):
    """Text of a JSON number → its float, made once per distinct text."""

    def __missing__(self, text: str) -> float:
        value = self[text] = float(text)
        return value


def number_texts() -> Callable[[str], NumberText]:
    """A `parse_float` (and `parse_constant`) for one listing page: the table lives as
    long as the decoding."""
    return _Texts().__getitem__


def shared_floats() -> Callable[[str], float]:
    """A `parse_float` (and `parse_constant`) giving plain floats, equal ones shared, for
    one body."""
    return _Floats().__getitem__


def as_floats(value: Any) -> Any:
    """The value with every `NumberText` in it turned back into its float (for encoders,
    such as `json.dumps`, that would write a `str` as a string)."""
    kind = type(value)
    if kind is NumberText:
        return float(value)
    if kind is list:
        return [as_floats(item) for item in value]
    if kind is dict:
        return {key: as_floats(item) for key, item in value.items()}
    return value
