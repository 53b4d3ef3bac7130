"""Nested Oura documents to flat CSV rows: dotted column names, text values. Pure, no I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

Row = dict[str, str]

_JSON_SEPARATORS = (",", ":")


def cell(value: Any) -> str:
    """The CSV text of one scalar or list: reading it back gives the API's value."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value)
    # Lists (and an empty object) stay whole as compact JSON: one cell, parseable back.
    return json.dumps(value, separators=_JSON_SEPARATORS, ensure_ascii=False)


def flatten(document: Mapping[str, Any]) -> Row:
    """One document to one row: objects become `parent.child` columns at any depth.

    Lists become one JSON cell, null an empty cell; no field is ever dropped. A null
    object keeps a column under its own name, so the row says the field was there.
    """
    row: Row = {}
    _flatten_into(row, "", document)
    return row


def _flatten_into(row: Row, prefix: str, document: Mapping[str, Any]) -> None:
    for key, value in document.items():
        name = prefix + key
        if isinstance(value, dict) and value:
            _flatten_into(row, name + ".", value)
        else:
            row[name] = cell(value)
