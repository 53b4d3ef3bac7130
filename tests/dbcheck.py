"""Reading the mirror's databases back in tests, and comparing values with the API's."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from oura_stats.api.categories import BY_NAME
from oura_stats.api.fields import field_type
from oura_stats.store.flatten import cell
from oura_stats.store.keys import time_key


@dataclass
class Db:
    """A database under test: `target` is what --db gets."""

    kind: str
    target: str

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.kind == "sqlite":
            with sqlite3.connect(self.target) as connection:
                return connection.execute(sql, params).fetchall()
        import psycopg

        with psycopg.connect(self.target) as connection:
            return connection.execute(sql, params).fetchall()  # type: ignore[arg-type]

    def rows(self, table: str) -> list[dict[str, Any]]:
        names = list(self.column_types(table))
        quoted = ", ".join('"' + n + '"' for n in names)
        return [
            dict(zip(names, r, strict=True)) for r in self.query(f'SELECT {quoted} FROM "{table}"')
        ]

    def column_types(self, table: str) -> dict[str, str]:
        if self.kind == "sqlite":
            return {r[1]: r[2] for r in self.query(f'PRAGMA table_info("{table}")')}
        found = self.query(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = %s ORDER BY ordinal_position",
            (table,),
        )
        return dict(found)  # type: ignore[arg-type]


def leaves(document: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The API's values by dotted column, typed as the API sent them."""
    out: dict[str, Any] = {}
    for key, value in document.items():
        if isinstance(value, dict) and value:
            out.update(leaves(value, prefix + key + "."))
        else:
            out[prefix + key] = value
    return out


def key_of(category: str, values: dict[str, Any]) -> tuple[str, ...]:
    """A row's key as comparable text, from API values or database values alike."""
    parts = []
    for column in BY_NAME[category].key:
        value = values.get(column)
        if isinstance(value, dt.datetime):
            parts.append(value.astimezone(dt.UTC).isoformat())
        elif isinstance(value, dt.date):
            parts.append(value.isoformat())
        else:
            parts.append(time_key(str(value)) if column == "timestamp" else str(value))
    return tuple(parts)


def same_value(category: str, column: str, api: Any, stored: Any) -> bool:
    """Whether the database holds the API's value (the CSV writes null and "" alike)."""
    if api is None or api == "":
        return stored is None
    kind = field_type(category, column)
    if kind is None:  # a field the API's table does not know is kept as its CSV text
        return bool(stored == cell(api))
    if isinstance(api, bool):
        return stored is not None and bool(stored) is api
    if isinstance(api, list | dict):
        decoded = json.loads(stored) if isinstance(stored, str) else stored
        return bool(decoded == api)
    if kind == "datetime" and isinstance(stored, dt.datetime):
        return stored == dt.datetime.fromisoformat(api)
    if kind == "date" and isinstance(stored, dt.date):
        return stored.isoformat() == api
    return bool(stored == api)
