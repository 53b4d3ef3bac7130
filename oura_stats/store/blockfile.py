"""A time series' blocks on disk as CSV text, with only their index in memory.

Each page that qualifies as a block (see blocks.py; most come formatted as text already,
see pagetext.py) is written, as soon as it arrives, as the CSV rows it will become:
sorted, under the columns known so far (a prefix of the final header: columns are only
ever appended), into one temp file beside the CSV. Memory
holds one index entry per page. At commit the entries are taken in key order: a block
that overlaps no other is copied as bytes (its rows padded with empty cells for columns
that appeared after it was written); where blocks overlap, only the lines in the key
ranges they share are read back and merged, the rest copied as bytes too (overlaps.py;
what it cannot prove, such as a block holding a quote, is read back whole and merged as
blocks.py merges rows). The bytes are those `csv.writer` writes for the rows at commit,
as before; only when they are written changes.
"""

from __future__ import annotations

import csv
import io
import itertools
import operator
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from oura_stats.store.blocks import Block, Key, Values, reordered, without_overlaps
from oura_stats.store.csvfile import RowWriter
from oura_stats.store.overlaps import Entry, Part, spliced
from oura_stats.store.pagetext import PageText
from oura_stats.store.spool import Spool


def header_bytes(header: list[str]) -> bytes:
    text = io.StringIO()
    RowWriter(text).write(header)
    return text.getvalue().encode("utf-8")


def csv_bytes(rows: list[Values]) -> bytes:
    """The rows as `csv.writer` writes them (minimal quoting, `\n` line ends)."""
    plain = _plain_lines(rows)
    if plain is not None:
        return plain.encode("utf-8")
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    return text.getvalue().encode("utf-8")


def _plain_lines(rows: list[Values]) -> str | None:
    """The rows joined by commas, when that is what csv.writer writes: no value is None
    (csv writes "") and none holds a comma, quote, CR or LF (csv would quote it), which
    the counts of the result show. Three times as fast as the writer."""
    width = len(rows[0]) if rows else 0
    if width < 2:
        return None
    try:
        text = "".join(map(("%s," * (width - 1) + "%s\n").__mod__, rows))
    except TypeError:  # a row of another width
        return None
    return _as_written(text, len(rows), width)


def _as_written(text: str, rows: int, width: int) -> str | None:
    """The text, if it is what csv.writer writes for these rows of `width` cells: only
    the cells' own commas and line ends count, and nothing needs quoting."""
    if text.count("\n") != rows or text.count(",") != rows * (width - 1):
        return None
    # A None is formatted "None": without that text there is none (with it, perhaps
    # only a value holding the word; the writer then does the same, slower).
    return None if '"' in text or "\r" in text or "None" in text else text


def csv_bytes_under(rows: list[Values], columns: tuple[str, ...], header: list[str]) -> bytes:
    """The rows (cells under `columns`) as `csv_bytes` writes them under `header`, where
    columns the rows lack are empty: formatted in header order from each row as it is,
    without building the reordered rows first."""
    if len(header) > 1 and set(columns) <= set(header):
        places = [f"{{{columns.index(name)}}}" if name in columns else "" for name in header]
        try:
            text = "".join(itertools.starmap((",".join(places) + "\n").format, rows))
        except IndexError:  # a row of another width
            text = ""
        plain = _as_written(text, len(rows), len(header)) if text else None
        if plain is not None:
            return plain.encode("utf-8")
    return csv_bytes(reordered(rows, columns, header))


class BlockBuffer:
    """One category's blocks, written to the spool's file as they arrive."""

    def __init__(self, spool: Spool) -> None:
        self._spool = spool
        self._path: Path | None = None
        self._end = 0
        self._index: list[Entry] = []
        self.oldest: Key | None = None
        self.newest: Key | None = None

    def add(self, block: Block, columns: tuple[str, ...]) -> None:
        """Write the block's rows under `columns` (every column known so far, in order)."""
        first, arrival, last, own_columns, rows = block
        data = (
            csv_bytes(rows)
            if own_columns == columns
            else csv_bytes_under(rows, own_columns, list(columns))
        )
        self._append((first, arrival, last, columns, self._end, len(data), len(rows)), data)

    def add_text(self, page: PageText, arrival: int) -> None:
        """Write a page already formatted under its header (see pagetext.py)."""
        data = page.text.encode("utf-8")
        entry = (page.first, arrival, page.last, page.header, self._end, len(data), page.rows)
        self._append(entry, data)

    def _append(self, entry: Entry, data: bytes) -> None:
        if self._path is None:
            self._path = self._spool.new_file()
        with self._path.open("ab") as file:  # no handle left open between pages
            file.write(data)
        self._index.append(entry)
        self._end += len(data)
        first, last = entry[0], entry[2]
        self.oldest = first if self.oldest is None else min(self.oldest, first)
        self.newest = last if self.newest is None else max(self.newest, last)

    def drain(self) -> Iterator[Block]:
        """Every block read back, in order of arrival (so that rows taken from them in turn
        keep the rule that the later arrival of a key wins); empties the index."""
        entries, self._index = sorted(self._index, key=operator.itemgetter(1)), []
        for entry in entries:
            yield entry[0], entry[1], entry[2], entry[3], self._rows(entry)

    def write(self, header: list[str], key_columns: tuple[str, ...], out: IO[bytes]) -> int:
        """Write every block's rows under `header`, one row per key (the newest arrival
        wins); returns the rows written. Blocks that overlap no other are copied as they
        are; overlapping ones are spliced (overlaps.py), or merged row by row."""
        written = 0
        for group in _overlapping(sorted(self._index)):
            if len(group) == 1:
                out.write(self._aligned_bytes(group[0], header))
                written += group[0][6]
                continue
            plan = spliced(group, self._bytes, header, key_columns)
            if plan is None:  # see overlaps.py: only what it cannot prove
                written += self._write_merged(group, header, key_columns, out)
            else:
                self._write_parts(plan[0], out)
                written += plan[1]
        self._index = []
        return written

    def _write_parts(self, parts: list[Part], out: IO[bytes]) -> None:
        """Write the merged lines as they are, and the copied ones read back and padded."""
        assert self._path is not None
        with self._path.open("rb") as file:
            for part in parts:
                if isinstance(part, bytes):
                    out.write(part)
                else:
                    offset, length, missing = part
                    file.seek(offset)
                    out.write(_padded(file.read(length), missing))

    def _write_merged(
        self, group: list[Entry], header: list[str], key_columns: tuple[str, ...], out: IO[bytes]
    ) -> int:
        """Every row of the group read back and merged (blocks.py), then formatted."""
        written = 0
        blocks = ((*entry[:4], self._rows(entry)) for entry in group)
        for columns, rows in without_overlaps(blocks, key_columns):
            if list(columns) != header:
                rows = reordered(rows, columns, header)  # noqa: PLW2901 - header order
            out.write(csv_bytes(rows))
            written += len(rows)
        return written

    def _bytes(self, entry: Entry) -> bytes:
        assert self._path is not None
        with self._path.open("rb") as file:
            file.seek(entry[4])
            return file.read(entry[5])

    def _rows(self, entry: Entry) -> list[Values]:
        text = io.StringIO(self._bytes(entry).decode("utf-8"), newline="")
        return list(map(tuple, csv.reader(text)))

    def _aligned_bytes(self, entry: Entry, header: list[str]) -> bytes:
        """The entry's rows as written, under `header`."""
        columns, data = entry[3], self._bytes(entry)
        missing = len(header) - len(columns)
        if not missing and list(columns) == header:
            return data
        if list(columns) == header[: len(columns)] and b'"' not in data:
            # Columns that appeared later are empty cells at each row's end; without a
            # quote, every newline ends a row.
            return _padded(data, missing)
        return csv_bytes(reordered(self._rows(entry), columns, header))


def _padded(lines: bytes, missing: int) -> bytes:
    """Lines (without a quote) with `missing` empty cells at each one's end."""
    return lines.replace(b"\n", b"," * missing + b"\n") if missing else lines


def _overlapping(entries: list[Entry]) -> Iterator[list[Entry]]:
    """Entries (in key order) grouped where their key ranges overlap."""
    group: list[Entry] = []
    last: Key | None = None
    for entry in entries:
        if group and last is not None and entry[0] > last:
            yield group
            group = []
        last = entry[2] if not group or last is None else max(last, entry[2])
        group.append(entry)
    if group:
        yield group
