"""The two rules that decide whether two rows are one: the time key and the row key.

Every path that compares rows (rows added during a run, pages kept as blocks on a first
backfill, rows read back from a CSV) takes its keys from here, so one instant written two
ways, or one document fetched twice, is one row whichever way it came in.

- A time key is a day as written, or an instant in UTC in one spelling
  (`YYYY-MM-DDTHH:MM:SS+00:00`, fractions kept only when not zero).
- A row key is the category's key fields, the time field replaced by its time key. A
  row lacking any key field (absent or empty) has no key: it is never stored.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from oura_stats.api.categories import Category

Ident = tuple[str, ...]

_DAY = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_CANONICAL = re.compile(f"{_DAY}(?:T[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}\\+00:00)?")
# The same shape for many timestamps at once: every digit read as 0, one template each.
_AS_ZEROS = str.maketrans("123456789", "000000000")
_UTC_TEMPLATE = "0000-00-00T00:00:00+00:00"


def time_key(value: str) -> str:
    """A sortable, comparable form of a day or timestamp: UTC, without redundant zeros.

    Days and timestamps already in the canonical form pass through untouched (the fast
    path); any other spelling or offset is converted, so one instant always has one key.
    Text that is not a date is its own key.
    """
    if not value or _CANONICAL.fullmatch(value):
        return value
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return value
    if instant.tzinfo is None:
        return instant.isoformat()
    return instant.astimezone(UTC).isoformat()


def all_canonical(times: Sequence[Any]) -> bool:
    """Whether every value is a timestamp whose time key is itself (checked at C speed)."""
    try:
        joined = ",".join(times)
    except TypeError:  # not all text
        return False
    # Commas only where the join put them (the template has none), so each value has the
    # template's length and shape; the template places one "+" in each, and the count
    # then says every offset is +00:00.
    shaped = joined.translate(_AS_ZEROS) == ",".join(itertools.repeat(_UTC_TEMPLATE, len(times)))
    return shaped and joined.count("+00:00") == len(times)


def time_keys(values: Sequence[str]) -> Sequence[str]:
    """Each value's time key: a column of a batch, at C speed when all are canonical."""
    return values if all_canonical(values) else [time_key(value) for value in values]


def _with_time_key(category: Category) -> Callable[[Sequence[str], str], Ident | None]:
    """Key parts (in key order) and the row's time key → its key, or None without one."""
    slot = category.key.index(category.time_field) if category.time_in_key else -1

    def identity(parts: Sequence[str], order: str) -> Ident | None:
        if not all(parts):
            return None
        if slot < 0:
            return tuple(parts)
        return (*parts[:slot], order, *parts[slot + 1 :])

    return identity


def has_key(document: Mapping[str, Any], key: Sequence[str]) -> bool:
    """Whether a document has every key part, judged as its flattened row is judged
    (`row_identity`): a part is missing when its cell would be empty (absent, null or "")
    or when it is an object (it flattens into other columns); a number 0 is there."""
    for name in key:
        value = document.get(name)
        if value is None or value == "" or (type(value) is dict and value):
            return False
    return True


def row_identity(category: Category) -> Callable[[Mapping[str, str], str], Ident | None]:
    """The key of a flattened row (dict), given its time key; None when it lacks one."""
    fields, finish = category.key, _with_time_key(category)
    if len(fields) == 1:  # the common case, kept cheap: it runs for every row
        (name,) = fields
        slot_is_time = category.time_in_key

        def single(row: Mapping[str, str], order: str) -> Ident | None:
            value = row.get(name)
            if not value:
                return None
            return (order,) if slot_is_time else (value,)

        return single
    if category.time_in_key and len(fields) == 2 and fields[0] == category.time_field:
        other = fields[1]  # heart rate: (timestamp, source), for every sample

        def time_and_other(row: Mapping[str, str], order: str) -> Ident | None:
            value = row.get(other)
            return (order, value) if value and order else None

        return time_and_other
    return lambda row, order: finish([row.get(name) or "" for name in fields], order)


def values_identity(
    category: Category, header: Sequence[str]
) -> Callable[[Sequence[str], str], Ident | None]:
    """The key of a CSV row (values under `header`), given its time key; None without one."""
    positions = [header.index(name) for name in category.key]
    finish = _with_time_key(category)
    return lambda values, order: finish([values[p] for p in positions], order)


def describe_keyless(category: Category, row: Mapping[str, str]) -> str:
    """An example of a row without its key, for the log: its time and field names only."""
    when = row.get(category.time_field or "", "") or "no time"
    fields = ", ".join(sorted(row)[:12]) + (", …" if len(row) > 12 else "")
    return f"{when}, fields: {fields}"
