"""Nested Oura documents to flat CSV rows: dotted column names, text values. Pure, no I/O.

A number is written as `repr` writes its float. The client decodes a listing page's
numbers with a fraction or exponent as that very text, a `NumberText`
(api/decode.py): a scalar one is written as it is, a list of them is joined
(store/numbers.py), and anything `json.dumps` encodes gets floats back first
(`as_floats`), since it would write a `str` as a quoted string.

Odd values have one documented spelling each, so that every store can hold them and a
reader can undo it:
- a number that is not finite is written as JSON spells it: `Infinity`, `-Infinity`, `NaN`;
- text holding a NUL (U+0000) or a lone surrogate (neither fits UTF-8 text in every
  store) is written as its JSON string literal, quotes included: `"a\\u0000b"`. So that
  the rule can be undone, text that itself begins and ends with `"` is written so too.
  `unescape_text` undoes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from oura_stats.api.decode import NumberText, as_floats, canonical_text
from oura_stats.store.names import csv_part
from oura_stats.store.numbers import number_list_text

Row = dict[str, str]

_JSON_SEPARATORS = (",", ":")
_ODD_TEXT = re.compile("[\x00\ud800-\udfff]")


def text_cell(value: str) -> str:
    """A string's CSV text: itself, unless it is odd (see the module's docstring)."""
    if "\x00" not in value and value[:1] != '"' and value.isascii():
        return value  # the common case, decided cheaply
    if (value[:1] == '"' and value[-1:] == '"') or _ODD_TEXT.search(value):
        return json.dumps(value)
    return value


def unescape_text(text: str) -> str:
    """The API's string from its CSV text (a string column's cell)."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return str(json.loads(text))
    return text


def cell(value: Any) -> str:
    """The CSV text of one scalar or list: reading it back gives the API's value."""
    kind = type(value)
    if kind is str:
        if value >= "#" and value.isascii() and "\x00" not in value:  # see _flatten_into
            return value  # type: ignore[no-any-return]
        return text_cell(value)
    if value is None:
        return ""
    if kind is NumberText:
        return str(value)  # a plain copy: a row's cells are plain text
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return repr(value)
    if kind is float:
        return repr(value) if value - value == 0 else canonical_text(value)
    # Lists (and an empty object) stay whole as compact JSON: one cell, parseable back.
    if kind is list and (numbers := number_list_text(value)) is not None:
        return numbers
    value = as_floats(value)  # json.dumps would write a NumberText as a string
    text = json.dumps(value, separators=_JSON_SEPARATORS, ensure_ascii=False)
    if not text.isascii() and _ODD_TEXT.search(text):  # a lone surrogate: escape it
        text = json.dumps(value, separators=_JSON_SEPARATORS)
    return text


def flatten(document: Mapping[str, Any]) -> Row:
    """One document to one row: objects become `parent.child` columns at any depth (an
    odd field name is written as `names.py` says).

    Lists become one JSON cell, null an empty cell; no field is ever dropped. A null
    object keeps a column under its own name, so the row says the field was there.
    """
    row: Row = {}
    _flatten_into(row, "", _TOP, document)
    return row


# Documents of a category share their field names, so each column name is spelled
# (`csv_part`, after its parent's name and a dot) once, not once a document: `_TOP` maps a
# top-level field to its column, `_OBJECTS` an object's column to such a table of its
# fields. Plain dicts, for the fastest lookup; past `_NAMES_KEPT` entries a table keeps no
# more (the API's names are a few hundred: a bound, not a size), and a name is spelled anew.
_NAMES_KEPT = 4096
_TOP: dict[str, str] = {}
_OBJECTS: dict[str, dict[str, str]] = {}


def _spell(columns: dict[str, str], prefix: str, key: str) -> str:
    name = prefix + csv_part(key)
    if len(columns) < _NAMES_KEPT:
        columns[key] = name
    return name


def _fields(parent: str) -> dict[str, str]:
    columns: dict[str, str] = {}
    if len(_OBJECTS) < _NAMES_KEPT:
        _OBJECTS[parent] = columns
    return columns


def _flatten_into(
    row: Row, prefix: str, columns: dict[str, str], document: Mapping[str, Any]
) -> None:
    # Inline type checks: this runs for every field of every document. The cheap tests
    # decide the common case; odd text and numbers go through `cell`. (Text >= "#" does
    # not begin with a quote; the empty string and " !" go the long way.)
    for key, value in document.items():
        try:
            name = columns[key]
        except KeyError:
            name = _spell(columns, prefix, key)
        kind = type(value)
        if kind is str and value >= "#" and value.isascii() and "\x00" not in value:
            row[name] = value
        elif kind is int or (kind is float and value - value == 0):
            row[name] = repr(value)
        elif kind is NumberText:
            row[name] = str(value)  # a plain copy: a row's cells are plain text
        elif isinstance(value, dict) and value:  # a subclass of dict too
            try:
                fields = _OBJECTS[name]
            except KeyError:
                fields = _fields(name)
            _flatten_into(row, name + ".", fields, value)
        else:
            row[name] = cell(value)
