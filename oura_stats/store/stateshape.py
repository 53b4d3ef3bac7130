"""What a valid state file holds: the shape check run on every load.

Everything that reads the state (the collector, `status`, `/health`) relies on these shapes,
so a file that was hand-edited, half-restored from a backup or written by something else is
refused as a whole, with the first problem found, rather than failing later with a traceback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import UnionType
from typing import Any

_TIME_FIELDS = ("cursor", "complete_until", "last_success", "failing_since")
_COUNT_FIELDS = ("new", "updated", "requests")


def shape_problem(data: Mapping[str, Any]) -> str | None:
    """What is wrong with a parsed state file's shape (version already checked), if anything."""
    if not isinstance(data.get("categories"), dict):
        return "'categories' is not an object"
    if not isinstance(data.get("runs", []), list):
        return "'runs' is not a list"
    for name, entry in data["categories"].items():
        problem = _category_problem(entry)
        if problem:
            return f"categories.{name}: {problem}"
    for index, run in enumerate(data.get("runs", [])):
        problem = _run_problem(run)
        if problem:
            return f"runs[{index}]: {problem}"
    if not isinstance(data.get("output_dir", ""), str):
        return "output_dir is not text"
    source = data.get("source")
    if source is not None:
        problem = _source_problem(source)
        if problem:
            return f"source: {problem}"
    return None


def _category_problem(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return "not an object"
    for field in _TIME_FIELDS:
        value = entry.get(field)
        if value is not None and not is_day_or_time(value):
            return f"{field} is not a date or timestamp"
        if value is not None and not _PLAUSIBLE_YEARS[0] <= int(value[:4]) <= _PLAUSIBLE_YEARS[1]:
            return f"{field} {value[:10]} is not a day of this tool's era (years {_ERA})"
    error = entry.get("last_error")
    if error is not None:
        if not isinstance(error, dict) or not isinstance(error.get("message"), str):
            return "last_error is not an object with a message"
        if not is_day_or_time(error.get("at")):
            return "last_error.at is not a timestamp"
    return None


# Far wider than any Oura data (2015 on), narrow enough to keep date arithmetic from the
# limits of the calendar (year 1, year 9999).
_PLAUSIBLE_YEARS = (1900, 2999)
_ERA = f"{_PLAUSIBLE_YEARS[0]} to {_PLAUSIBLE_YEARS[1]}"


def _run_problem(run: Any) -> str | None:
    if not isinstance(run, dict):
        return "not an object"
    for field in ("started", "finished"):
        if not is_day_or_time(run.get(field)):
            return f"{field} is not a timestamp"
    results = run.get("categories", {})
    if not isinstance(results, dict):
        return "categories is not an object"
    for name, result in results.items():
        if not isinstance(result, dict):
            return f"categories.{name} is not an object"
        for field in _COUNT_FIELDS:
            if not _is_number(result.get(field), int):
                return f"categories.{name}.{field} is not a whole number"
        if not _is_number(result.get("seconds"), int | float):
            return f"categories.{name}.seconds is not a number"
        if not isinstance(result.get("error"), str | None):
            return f"categories.{name}.error is not text"
    return None


def _is_number(value: object, kind: type | UnionType) -> bool:
    """None, or a number of `kind` (booleans are not numbers here)."""
    return value is None or (isinstance(value, kind) and not isinstance(value, bool))


def _source_problem(source: Any) -> str | None:
    if not isinstance(source, dict):
        return "not an object"
    if not isinstance(source.get("base_url"), str):
        return "base_url is not text"
    if not isinstance(source.get("sandbox"), bool):
        return "sandbox is not true or false"
    if not isinstance(source.get("account"), str | None):
        return "account is not text"
    if not isinstance(source.get("demo", False), bool):
        return "demo is not true or false"
    return None


def is_day_or_time(value: object) -> bool:
    """Text that starts with a day (YYYY-MM-DD): a day or a timestamp."""
    if not isinstance(value, str):
        return False
    try:
        dt.date.fromisoformat(value[:10])
    except ValueError:
        return False
    return True
