"""The API's type of every field of every category, by CSV column name (dotted paths).

Read from `fields.json` beside this module, generated from the Oura API v2 spec by
`docs/scripts/build_fields.py`. Types: string, integer, number, boolean, date (YYYY-MM-DD),
datetime (ISO 8601, with an offset), array (a JSON list cell), object (a nested object's
own column, present when the object was null or empty). Digit strings such as
`class_5_min` are strings.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

TYPES = ("string", "integer", "number", "boolean", "date", "datetime", "array", "object")


@dataclass(frozen=True)
class Field:
    """One CSV column of a category as the API describes it."""

    name: str
    type: str
    nullable: bool
    enum: tuple[str, ...] = ()


@functools.cache
def _table() -> dict[str, dict[str, Field]]:
    text = resources.files(__package__).joinpath("fields.json").read_text(encoding="utf-8")
    return {
        category: {
            name: Field(name, entry["type"], entry["nullable"], tuple(entry.get("enum", ())))
            for name, entry in columns.items()
        }
        for category, columns in json.loads(text).items()
    }


def fields(category: str) -> dict[str, Field]:
    """The category's known columns in the API's order (empty for an unknown category)."""
    return dict(_table().get(category, {}))


def field_type(category: str, column: str) -> str | None:
    """The API's type of one column, or None for a field the spec does not describe."""
    found = _table().get(category, {}).get(column)
    return None if found is None else found.type
