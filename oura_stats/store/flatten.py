"""Nested Oura documents to flat CSV rows: dotted column names, text values. Pure, no I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

Row = dict[str, str]

_JSON_SEPARATORS = (",", ":")


def cell(value: Any) -> str:
    """The CSV text of one scalar or list: reading it back gives the API's value."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is float:
        return repr(value)
    # Lists (and an empty object) stay whole as compact JSON: one cell, parseable back.
    return json.dumps(value, separators=_JSON_SEPARATORS, ensure_ascii=False)


def flatten(document: Mapping[str, Any]) -> Row:
    """One document to one row: objects become `parent.child` columns at any depth.

    Lists become one JSON cell, null an empty cell; no field is ever dropped. A null
    object keeps a column under its own name, so the row says the field was there.
    """
    row: Row = {}
    # Inline type checks: this runs for every one of millions of heart-rate samples.
    for key, value in document.items():
        kind = type(value)
        if kind is str:
            row[key] = value
        elif kind is int or kind is float:
            row[key] = repr(value)
        elif kind is dict and value:
            _flatten_into(row, key + ".", value)
        else:
            row[key] = cell(value)
    return row


def _flatten_into(row: Row, prefix: str, document: Mapping[str, Any]) -> None:
    for key, value in document.items():
        name = prefix + key
        if isinstance(value, dict) and value:
            _flatten_into(row, name + ".", value)
        else:
            row[name] = cell(value)
