"""What one category's CSV holds, read cheaply: its row count and its newest time value.

The store keeps each file sorted by the time field, so the newest value is in the last row:
only the header and the last row are parsed. Rows are counted as newlines outside quoted
values (a quoted value may hold a newline), chunk by chunk at C speed, never parsed.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from oura_stats.api.categories import Category
from oura_stats.store.csvfile import (
    CsvFormatError,
    content_end,
    read_header,
    row_starts_backwards,
)
from oura_stats.store.keys import time_key

_CHUNK = 1 << 20
_NEITHER_QUOTE_NOR_NEWLINE = bytes(b for b in range(256) if b not in b'"\n')


@dataclass(frozen=True)
class CsvFacts:
    """rows: data rows in the file (None: no file); newest: largest time key stored."""

    rows: int | None = None
    newest: str | None = None


def read_facts(category: Category, directory: Path, cursor: str | None = None) -> CsvFacts:
    """Facts of `<directory>/<category>.csv`; `cursor` (from the state) stands in for a
    newest value the file cannot give (no file, no time column, unreadable last row)."""
    path = directory / f"{category.name}.csv"
    try:
        with path.open("rb") as handle:
            rows = count_rows(handle)
            newest = _newest(handle, category.time_field) if rows else None
    except (OSError, CsvFormatError):  # no file yet, or not one this tool wrote
        return CsvFacts(None, cursor)
    return CsvFacts(rows, newest if newest is not None else cursor)


def count_rows(handle: IO[bytes]) -> int:
    """Data rows: line ends outside quotes, minus the header (a last line may lack its end)."""
    handle.seek(0)
    quoted = False
    lines = 0
    last = b"\n"
    while chunk := handle.read(_CHUNK):
        if quoted or b'"' in chunk:
            # Keep only quotes and newlines, and drop adjacent quote pairs (they change no
            # newline's parity): what is left is mostly newlines, cheap to split.
            marks = chunk.translate(None, _NEITHER_QUOTE_NOR_NEWLINE).replace(b'""', b"")
            parts = marks.split(b'"')
            outside = parts[1::2] if quoted else parts[0::2]
            lines += sum(part.count(b"\n") for part in outside)
            quoted ^= (len(parts) - 1) % 2 == 1
        else:
            lines += chunk.count(b"\n")
        last = chunk[-1:]
    if last != b"\n":
        lines += 1  # a last row without its line end (not written by this tool, but readable)
    return max(lines - 1, 0)


def _newest(handle: IO[bytes], time_field: str | None) -> str | None:
    header, header_end = read_header(handle)
    if time_field is None or time_field not in header:
        return None
    row = last_row(handle, header_end)
    index = header.index(time_field)
    if row is None or index >= len(row) or not row[index]:
        return None
    return time_key(row[index])


def last_row(handle: IO[bytes], data_start: int) -> list[str] | None:
    """The last row's fields, found by scanning backwards for a row-ending newline."""
    fd = handle.fileno()
    end = content_end(fd, data_start)
    start = next(row_starts_backwards(fd, data_start, end))
    if start >= end:
        return None
    text = os.pread(fd, end - start, start).decode("utf-8", errors="replace")
    return next(csv.reader([text]), None)


def facts_for(
    categories: Iterable[Category], directory: Path, state: Mapping[str, Any]
) -> dict[str, CsvFacts]:
    """Facts of each category's CSV, in the given order, with the state's cursors as fallback."""
    entries = state.get("categories", {})
    return {
        c.name: read_facts(c, directory, entries.get(c.name, {}).get("cursor")) for c in categories
    }
