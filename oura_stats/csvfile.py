"""Low-level access to one sorted CSV file: header, row keys, and where its tail begins.

The store keeps each file sorted by time, so a run that only revisits recent days needs
to read just the last rows. `find_tail_start` locates them by scanning backwards from the
end, without parsing the untouched history.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import IO

from oura_stats.errors import OuraStatsError

_SPECIAL = re.compile(rb'[\n"]')
_BLOCK = 1 << 16
# The longest tail merged in memory; a run reaching further back rewrites the file streaming.
TAIL_LIMIT_BYTES = 16 << 20
_LEAD_READ = 512


class CsvFormatError(OuraStatsError):
    """A CSV file on disk is not one this tool can merge into."""


def time_key(value: str) -> str:
    """A sortable, comparable form of a day or timestamp: UTC, without redundant zeros.

    Dates and the API's usual `...+00:00` timestamps pass through untouched (the fast
    path); any other offset is converted, so one instant always has one key.
    """
    if len(value) == 10 or (len(value) == 25 and value.endswith("+00:00")):
        return value
    if not value:
        return value
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return value
    if instant.tzinfo is None:
        return instant.isoformat()
    return instant.astimezone(UTC).isoformat()


class RowWriter:
    """csv.writer with `\\n` line ends that also quotes carriage returns.

    Python's writer only quotes characters of its line terminator, so a bare `\\r` in a
    value would split the row for every reader; such rows are written fully quoted.
    """

    def __init__(self, handle: IO[str]) -> None:
        self._minimal = csv.writer(handle, lineterminator="\n")
        self._all = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def write(self, values: Sequence[str]) -> None:
        if "\r" in "".join(values):
            self._all.writerow(values)
        else:
            self._minimal.writerow(values)


def read_header(handle: IO[bytes]) -> tuple[list[str], int]:
    """The column names and the byte offset where the first data row starts."""
    handle.seek(0)
    first = handle.readline()
    if not first.endswith(b"\n"):
        raise CsvFormatError("has no complete header line")
    try:
        header = next(csv.reader([first.decode("utf-8").rstrip("\r\n")]))
    except (UnicodeDecodeError, StopIteration) as error:
        raise CsvFormatError(f"has an unreadable header ({error})") from error
    return header, len(first)


def iter_rows(handle: IO[bytes], start: int) -> Iterator[list[str]]:
    """Parse rows from byte offset `start` (a row boundary) to the end of the file."""
    handle.seek(start)
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
    try:
        yield from csv.reader(text)
    finally:
        text.detach()


def _lead_value(fd: int, row_start: int, index: int) -> str:
    """The `index`-th field of the row at `row_start`; lead fields hold no quotes or commas."""
    chunk = os.pread(fd, _LEAD_READ, row_start)
    line = chunk.split(b"\n", 1)[0]
    fields = line.split(b",", index + 1)
    if len(fields) <= index:
        return ""
    return fields[index].decode("utf-8", errors="replace").strip('"\r')


def find_tail_start(handle: IO[bytes], header_end: int, time_index: int, min_time: str) -> int:
    """Byte offset of the first row whose time key is >= `min_time`.

    Rows before it are the untouched history: they are copied as bytes, never parsed.
    Scans backwards: a newline followed by an even number of quote characters up to the
    end of the file lies outside any quoted value, so it ends a row. Returns
    `header_end` (merge everything) when the tail would exceed TAIL_LIMIT_BYTES.
    """
    fd = handle.fileno()
    size = os.fstat(fd).st_size
    if size <= header_end or time_key(_lead_value(fd, header_end, time_index)) >= min_time:
        return header_end
    parity = 0
    position = size
    next_row_start = size
    while position > header_end:
        block_start = max(header_end, position - _BLOCK)
        block = os.pread(fd, position - block_start, block_start)
        for match in reversed(list(_SPECIAL.finditer(block))):
            if match.group() == b'"':
                parity ^= 1
                continue
            if parity:
                continue
            row_start = block_start + match.end()
            if row_start >= size:
                continue
            if size - row_start > TAIL_LIMIT_BYTES:
                return header_end
            if time_key(_lead_value(fd, row_start, time_index)) < min_time:
                return next_row_start
            next_row_start = row_start
        position = block_start
    # The first row is older than min_time (checked above): the tail starts after it.
    return next_row_start
