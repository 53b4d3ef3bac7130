"""Low-level access to one sorted CSV file: header, row keys, and where its tail begins.

The store keeps each file sorted by time, so a run that only revisits recent days needs
to read just the last rows. `find_tail_start` locates them by scanning backwards from the
end, without parsing the untouched history.

Every reader of a CSV (the merge, the database mirror, the report) parses through this
module: the header is one CSV record (a quoted column name may hold a line end), bytes that
are not UTF-8 are one `CsvFormatError` naming their offset, and a cell may be of any size.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Collection, Generator, Iterator, Sequence
from typing import IO

from oura_stats.errors import OuraStatsError
from oura_stats.store.keys import time_key

_BLOCK = 1 << 16
_SCAN = 1 << 20  # bytes read at once when searching a file
# The longest tail merged in memory; a run reaching further back rewrites the file streaming.
TAIL_LIMIT_BYTES = 16 << 20
_LEAD_READ = 512
BOM = b"\xef\xbb\xbf"
_CHUNK = 1 << 20
# A cell may hold a long list (40,000 per-minute values): no field limit for any reader.
csv.field_size_limit(min(sys.maxsize, (1 << 31) - 1))


class CsvFormatError(OuraStatsError):
    """A CSV file on disk is not one this tool can merge into."""


class RowWriter:
    """csv.writer with `\\n` line ends that also quotes carriage returns.

    Python's writer only quotes characters of its line terminator, so a bare `\\r` in a
    value would split the row for every reader; such rows are written fully quoted.
    """

    def __init__(self, handle: IO[str]) -> None:
        self._write = handle.write
        self._minimal = csv.writer(handle, lineterminator="\n")
        self._all = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def write(self, values: Sequence[str]) -> None:
        line = plain_line(values)
        if line is not None:
            self._write(line + "\n")
        elif "\r" in ",".join(values):
            self._all.writerow(values)
        else:
            self._minimal.writerow(values)


def plain_line(values: Sequence[str]) -> str | None:
    """The line `RowWriter` writes for `values` (less its line end), when it is plain: no
    value holds a quote, a line end or a carriage return, and there are at least two (""
    alone is written '""'). Then no value needs quoting but one holding a comma (a JSON
    list), and that one is only wrapped: what csv.writer writes, without its scan of every
    character. Empty values appended to a plain row append a comma each to its line.
    """
    line = ",".join(values)
    if '"' in line or "\n" in line or "\r" in line or len(values) < 2:
        return None
    if line.count(",") != len(values) - 1:
        line = ",".join([f'"{value}"' if "," in value else value for value in values])
    return line


def read_header(handle: IO[bytes]) -> tuple[list[str], int]:
    """The column names and the byte offset where the first data row starts.

    The header is one CSV record: a quoted name may span lines. A UTF-8 byte order mark and
    a CRLF line end (a file saved by a spreadsheet) are read as such: neither becomes part
    of a column name.
    """
    handle.seek(0)
    first = handle.readline()
    while first.count(b'"') % 2 and (more := handle.readline()):
        first += more  # a line end inside a quoted name
    if not first.endswith(b"\n"):
        raise CsvFormatError("has no complete header line")
    try:
        text = first.removeprefix(BOM).decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise not_utf8(handle, 0) from None
    try:
        header = next(csv.reader(io.StringIO(text, newline="")))
    except (csv.Error, StopIteration) as error:
        raise CsvFormatError(f"has an unreadable header ({error})") from error
    return header, len(first)


def not_utf8(handle: IO[bytes], start: int) -> CsvFormatError:
    """The error for a file with bytes that are not UTF-8 at or after `start`: where the
    first one is, and the fix."""
    found = first_bad_byte(handle, start)
    where = "" if found is None else f": byte 0x{found[1]:02x} at offset {found[0]}"
    return CsvFormatError(
        f'not UTF-8{where}; save it as UTF-8 (a spreadsheet\'s "CSV UTF-8") and run again'
    )


def first_bad_byte(handle: IO[bytes], start: int) -> tuple[int, int] | None:
    """(offset, byte) of the first byte at or after `start` that is not UTF-8."""
    handle.seek(start)
    base, carry = start, b""
    while True:
        chunk = handle.read(_CHUNK)
        data = carry + chunk
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            if chunk and error.reason == "unexpected end of data":
                base, carry = base + error.start, data[error.start :]  # cut mid-character
                continue
            return base + error.start, data[error.start]
        if not chunk:
            return None
        base, carry = base + len(data), b""


def written_as_we_write(handle: IO[bytes]) -> bool:
    """False for a file with a byte order mark or CRLF line ends (saved by a spreadsheet):
    such a file is rewritten whole, in our form, rather than patched at its tail."""
    handle.seek(0)
    first = handle.readline()
    return not first.startswith(BOM) and not first.endswith(b"\r\n")


def check_widths(rows: Iterator[list[str]], width: int) -> Generator[list[str], None, None]:
    """Pass rows on, skipping blank lines; raise on a row whose width is not `width`.

    A header that lost (or gained) a column by hand would otherwise give a ragged file.
    `rows` is closed when this ends, so a reader over a file lets go of it in time.
    """
    try:
        for row in rows:
            if len(row) != width:
                if not row:
                    continue
                raise CsvFormatError(
                    f"a row has {len(row)} fields but the header names {width} columns; the "
                    "file was left as it is: restore its header (or move the file away to "
                    "fetch its history again)"
                )
            yield row
    finally:
        if isinstance(rows, Generator):
            rows.close()


def first_row_width(handle: IO[bytes], header_end: int, width: int) -> None:
    """Check the first data row's width: a tail merge parses only the last rows, and a
    header that lost a column leaves every row (this one too) wider than itself."""
    rows = iter_rows(handle, header_end)
    try:
        first = next(rows, [])
    finally:
        rows.close()
    for _ in check_widths(iter([first]), width):
        pass


def copy_bytes(source: IO[bytes], target: IO[bytes], length: int) -> None:
    """Copy `length` bytes from `source`'s position to `target`."""
    remaining = length
    while remaining:
        chunk = source.read(min(remaining, 1 << 20))
        if not chunk:
            raise CsvFormatError("changed while being merged")
        target.write(chunk)
        remaining -= len(chunk)


def iter_rows(handle: IO[bytes], start: int) -> Generator[list[str], None, None]:
    """Parse rows from byte offset `start` (a row boundary) to the end of the file."""
    handle.seek(start)
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
    try:
        yield from csv.reader(text)
    except UnicodeDecodeError:
        raise not_utf8(handle, start) from None
    except csv.Error as error:
        raise CsvFormatError(f"cannot be read as CSV ({error})") from None
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


def row_starts_backwards(fd: int, data_start: int, end: int) -> Iterator[int]:
    """Byte offsets where the rows in [data_start, end) begin, the last row first.

    `end` is the end of the last row's content (before its line end). A newline followed
    by an even number of quote characters up to `end` lies outside any quoted value (every
    quoted value holds an even number of quotes), so the row after it begins there.
    """
    quotes = 0
    position = end
    while position > data_start:
        block_start = max(data_start, position - _BLOCK)
        block = os.pread(fd, position - block_start, block_start)
        stop = len(block)
        while (newline := block.rfind(b"\n", 0, stop)) >= 0:
            quotes += block.count(b'"', newline + 1, stop)
            if quotes % 2 == 0:
                yield block_start + newline + 1
            stop = newline
        quotes += block.count(b'"', 0, stop)
        position = block_start
    yield data_start


def content_end(fd: int, data_start: int) -> int:
    """The end of the last row's content: the file's size, less a final line end."""
    size = os.fstat(fd).st_size
    if size > data_start and os.pread(fd, 1, size - 1) == b"\n":
        return size - 1
    return size


def find_tail_start(handle: IO[bytes], header_end: int, time_index: int, min_time: str) -> int:
    """Byte offset of the first row whose time key is >= `min_time`.

    Rows before it are the untouched history: they are copied as bytes, never parsed.
    Returns `header_end` (merge everything) when the tail would exceed TAIL_LIMIT_BYTES.
    """
    fd = handle.fileno()
    size = os.fstat(fd).st_size
    if size <= header_end or time_key(_lead_value(fd, header_end, time_index)) >= min_time:
        return header_end
    next_row_start = size
    for row_start in row_starts_backwards(fd, header_end, content_end(fd, header_end)):
        if size - row_start > TAIL_LIMIT_BYTES:
            return header_end
        if time_key(_lead_value(fd, row_start, time_index)) < min_time:
            return next_row_start
        next_row_start = row_start
    return header_end  # not reached: the first row is older than min_time (checked above)


def holds_any(fd: int, end: int, needles: Collection[bytes]) -> bool:
    """Whether one of `needles` stands whole in the file's bytes before `end`.

    Read a block at a time (each reaching past the next by the longest needle less one,
    so no needle is missed where two meet): a mapping of the whole file would count its
    every page in the process's resident memory, megabytes for a long history.
    """
    if not needles:
        return False
    overlap = max(map(len, needles)) - 1
    for position in range(0, end, _SCAN):
        block = os.pread(fd, min(_SCAN + overlap, end - position), position)
        if any(needle in block for needle in needles):
            return True
    return False
