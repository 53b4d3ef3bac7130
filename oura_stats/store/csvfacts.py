"""What one category's CSV holds, read cheaply: its row count and its newest time value.

The store keeps each file sorted by the time field, so the newest value is in the last row:
only the header and the last row are parsed. Rows are counted as newlines outside quoted
values (a quoted value may hold a newline), chunk by chunk at C speed, never parsed.
"""

from __future__ import annotations

import csv
import io
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
_FIRST_ROW_BYTES = 1 << 16  # enough for the time key, which comes first
_NEITHER_QUOTE_NOR_NEWLINE = bytes(b for b in range(256) if b not in b'"\n')


@dataclass(frozen=True)
class CsvFacts:
    """rows: data rows in the file (None: no file); newest and oldest: the largest and the
    smallest time key stored."""

    rows: int | None = None
    newest: str | None = None
    oldest: str | None = None


def read_facts(category: Category, directory: Path, cursor: str | None = None) -> CsvFacts:
    """Facts of `<directory>/<category>.csv`; `cursor` (from the state) stands in for a
    newest value the file cannot give (no file, no time column, unreadable last row)."""
    path = directory / f"{category.name}.csv"
    try:
        with path.open("rb") as handle:
            rows = count_rows(handle)
            newest, oldest = _ends(handle, category.time_field) if rows else (None, None)
    except (OSError, CsvFormatError):  # no file yet, or not one this tool wrote
        return CsvFacts(None, cursor)
    return CsvFacts(rows, newest if newest is not None else cursor, oldest)


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


def _ends(handle: IO[bytes], time_field: str | None) -> tuple[str | None, str | None]:
    """The newest and the oldest time key: the last row's and the first row's."""
    header, header_end = read_header(handle)
    if time_field is None or time_field not in header:
        return None, None
    index = header.index(time_field)
    return _newest(handle, header_end, index), _oldest(handle, header_end, index)


def _newest(handle: IO[bytes], header_end: int, index: int) -> str | None:
    row = last_row(handle, header_end)
    return _key_in(row, index)


def _oldest(handle: IO[bytes], header_end: int, index: int) -> str | None:
    """The first row's time key (the file is sorted by it)."""
    text = os.pread(handle.fileno(), _FIRST_ROW_BYTES, header_end).decode("utf-8", "replace")
    try:
        row = next(csv.reader(io.StringIO(text)), None)
    except csv.Error:  # a first row longer than what was read, cut inside quotes
        return None
    return _key_in(row, index)


def _key_in(row: list[str] | None, index: int) -> str | None:
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
