"""One CSV per category: upsert rows by key, keep the file sorted, replace it atomically.

Rows for a run are gathered with `add` (from several threads if need be), kept sorted in
bounded memory (spilling sorted runs to disk), then merged into the existing file by
`commit`. When only recent rows change, the untouched history is copied as bytes and the
recent tail alone is parsed and merged; when nothing changed, the file is not rewritten.
A first backfill keeps a row as its CSV line under the columns seen so far: the new file
takes it as it is (an empty cell appended per column seen later), and one string costs
less to hold and to spill than a row of cells.
"""

from __future__ import annotations

import csv
import heapq
import io
import itertools
import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from oura_stats.api.categories import Category, Kind
from oura_stats.errors import StorageError
from oura_stats.store.atomic import atomic_binary_writer, atomic_writer, write_text_atomic
from oura_stats.store.blockfile import BlockBuffer, header_bytes
from oura_stats.store.blocks import page_block
from oura_stats.store.csvfile import (
    TAIL_LIMIT_BYTES,
    CsvFormatError,
    RowWriter,
    check_widths,
    copy_bytes,
    find_tail_start,
    first_row_width,
    holds_any,
    iter_rows,
    plain_line,
    read_header,
    written_as_we_write,
)
from oura_stats.store.flatten import Row, cell, flatten
from oura_stats.store.keys import Ident, describe_keyless, has_key, row_identity, time_key
from oura_stats.store.merge import Merged, Merger, MergeResult
from oura_stats.store.pagetext import page_text
from oura_stats.store.spool import Spool

Document = dict[str, Any]
Line = tuple[str, int]  # a row's CSV line under the first `width` columns, and that width
Item = tuple[str, Ident, int, Row | Line]  # (time key, identity, arrival sequence, row)

SPOOL_BYTES = 4 << 20
_MAX_KEYS_SEARCHED = 1000
_EMPTY = itertools.repeat("")  # the default of row.get for every column
_ROW_OVERHEAD = 400  # measured: dict, tuples and str headers of one buffered row
_FIELD_OVERHEAD = 60


class CategoryStore:
    """Collects one category's rows during a run and merges them into `<dir>/<name>.csv`."""

    def __init__(self, category: Category, directory: Path, *, spool_bytes: int = SPOOL_BYTES):
        self.category = category
        self.path = directory / f"{category.name}.csv"
        self._spool = Spool(directory, self.path.name)
        self._spool_bytes = spool_bytes
        self._lock = threading.Lock()
        self._buffer: list[Item] = []
        self._buffer_bytes = 0
        self._sequence = 0
        self._header = list(dict.fromkeys(category.lead_columns))  # every column so far
        self._column_set = set(self._header)  # the same, for membership
        self._latest: dict[Ident, int] = {}  # id-keyed categories only: newest arrival per key
        self.newest_time: str | None = None  # largest time key added this run
        self.oldest_time: str | None = None
        self._identity = row_identity(category)
        self.keyless = 0  # documents without their key this run: skipped, never stored
        self.keyless_example: str | None = None
        # A time series' first backfill keeps whole pages as blocks (see blocks.py).
        self._block_spool = Spool(directory, self.path.name)
        self._blocks: BlockBuffer | None = None
        self._as_lines = not self.path.exists()
        if category.kind is Kind.SERIES and category.time_in_key and self._as_lines:
            self._blocks = BlockBuffer(self._block_spool)

    def add_page(self, documents: list[Document]) -> bool:
        """Take a page of documents as one block (see blocks.py), if it qualifies.

        Returns False when the caller must flatten the page and `add` its rows instead.
        """
        if not documents:
            return True
        with self._lock:
            if self._blocks is None:
                return False
            page = page_text(documents, self.category.key, tuple(self._header))
            if page is not None:
                self._sequence += 1
                self._add_columns(page.header)
                self._blocks.add_text(page, self._sequence)
                return True
            block = page_block(documents, self.category.key, self._sequence + 1)
            if block is None:
                keyed = self._keyed(documents)  # documents without their key are skipped
                if keyed is None:
                    self._demote_blocks()
                    return False
                if not keyed:
                    return True
                block = page_block(keyed, self.category.key, self._sequence + 1)
                if block is None:
                    self._demote_blocks()
                    self._add_locked(map(flatten, keyed))
                    return True
            self._sequence += 1
            self._add_columns(block[3])
            self._blocks.add(block, tuple(self._header))
            return True

    def _keyed(self, documents: list[Document]) -> list[Document] | None:
        """The page without its documents that lack their key (skipped), if it had any."""
        key = self.category.key
        keyed = [doc for doc in documents if has_key(doc, key)]
        if len(keyed) == len(documents):
            return None
        for doc in documents:
            if not has_key(doc, key):
                self._skip_keyless(flatten(doc))
        return keyed

    def _demote_blocks(self) -> None:
        """A page did not qualify: the blocks so far join the general path as rows."""
        blocks, self._blocks = self._blocks, None
        if blocks is None:
            return
        for _, _, _, columns, rows in blocks.drain():
            self._add_locked(
                {c: cell(v) for c, v in zip(columns, row, strict=True)} for row in rows
            )
        self._block_spool.close()

    def add(self, rows: Iterable[Row]) -> None:
        """Take rows (flattened documents) for this run; the newest arrival of a key wins."""
        with self._lock:
            self._demote_blocks()  # rows and blocks never mix: blocks become rows
            self._add_locked(rows)

    def _add_locked(self, rows: Iterable[Row]) -> None:
        # A hot loop (every heart-rate sample passes here): names are bound locally.
        time_field = self.category.time_field or ""
        latest = None if self.category.time_in_key else self._latest
        identity, columns = self._identity, self._column_set
        header = self._header if self._as_lines else None
        append = self._buffer.append
        sequence, size = self._sequence, self._buffer_bytes
        for row in rows:
            order = time_key(row.get(time_field, ""))
            ident = identity(row, order)
            if ident is None:
                self._skip_keyless(row)
                continue
            if not row.keys() <= columns:
                self._add_columns(row)
            sequence += 1
            if latest is not None:
                latest[ident] = sequence
            if header and (line := plain_line(list(map(row.get, header, _EMPTY)))):
                append((order, ident, sequence, (line, len(header))))
                size += _ROW_OVERHEAD + len(line)
            else:
                append((order, ident, sequence, row))
                size += _ROW_OVERHEAD + _FIELD_OVERHEAD * len(row) + sum(map(len, row.values()))
            if size > self._spool_bytes:
                self._spill()
                append, size = self._buffer.append, 0
        self._sequence, self._buffer_bytes = sequence, size

    def _skip_keyless(self, row: Row) -> None:
        self.keyless += 1
        if self.keyless_example is None:
            self.keyless_example = describe_keyless(self.category, row)

    def _add_columns(self, names: Iterable[str]) -> None:
        for name in names:
            if name not in self._column_set:
                self._column_set.add(name)
                self._header.append(name)

    def _spill(self) -> None:
        self._sort_buffer()
        self._spool.write_run(self._buffer, size=self._buffer_bytes)
        self._buffer = []
        self._buffer_bytes = 0

    def _sort_buffer(self) -> None:
        buffer = self._buffer
        buffer.sort()
        if buffer:
            first, last = buffer[0][0], buffer[-1][0]
            self.oldest_time = first if self.oldest_time is None else min(self.oldest_time, first)
            self.newest_time = last if self.newest_time is None else max(self.newest_time, last)

    def discard(self) -> None:
        """Forget this run's rows; the CSV is untouched."""
        with self._lock:
            self._buffer = []
            self._blocks = None
            self._spool.close()
            self._block_spool.close()

    def commit(self) -> MergeResult:
        """Merge this run's rows into the CSV (atomically) and report what changed."""
        with self._lock:
            try:
                if self._sequence == 0:
                    if not self.path.exists():  # no data yet: still one file per category
                        write_text_atomic(self.path, ",".join(self.category.lead_columns) + "\n")
                    return MergeResult()
                if self._blocks is not None:
                    return self._write_blocks(self._blocks)
                self._sort_buffer()
                if not self.path.exists():
                    return self._write_new_file()
                with self.path.open("rb") as handle:
                    return self._merge_into(handle)
            except OSError as error:  # disk full, read-only: the old file is untouched
                raise StorageError(error.strerror or str(error)) from error
            finally:
                self._buffer = []
                self._blocks = None
                self._spool.close()
                self._block_spool.close()

    def _new_items(self) -> Iterator[Item]:
        """This run's items in order, one per key (its latest arrival)."""
        runs = self._spool.runs()
        merged: Iterator[Item] = heapq.merge(self._buffer, *runs) if runs else iter(self._buffer)
        if self.category.time_in_key:  # duplicates are neighbours: keep the last of each
            pending: Item | None = None
            for item in merged:
                if pending is not None and pending[1] != item[1]:
                    yield pending
                pending = item
            if pending is not None:
                yield pending
            return
        latest = self._latest
        yield from (item for item in merged if latest[item[1]] == item[2])

    def _new_rows(self, header: list[str]) -> Iterator[Merged]:
        """This run's rows in order as values under `header` (a missing column gives an
        empty cell), one per key."""
        for order, ident, _, row in self._new_items():
            if isinstance(row, tuple):  # a line (the file appeared meanwhile): its values
                row = dict(zip(self._header, next(csv.reader([row[0]])), strict=False))  # noqa: PLW2901
            yield order, ident, list(map(row.get, header, _EMPTY))

    def _write_new_file(self) -> MergeResult:
        header = list(self._header)
        result = MergeResult(written=True)
        width = len(header)
        with atomic_writer(self.path) as handle:
            writer = RowWriter(handle)
            writer.write(header)
            for _, _, _, row in self._new_items():
                if isinstance(row, tuple):  # a line: one empty cell per column seen later
                    handle.write(row[0] + "," * (width - row[1]) + "\n")
                else:
                    writer.write(list(map(row.get, header, _EMPTY)))
                result.new += 1
        return result

    def _write_blocks(self, blocks: BlockBuffer) -> MergeResult:
        assert blocks.oldest is not None and blocks.newest is not None
        self.oldest_time, self.newest_time = blocks.oldest[0], blocks.newest[0]
        header = list(self._header)
        with atomic_binary_writer(self.path) as handle:
            handle.write(header_bytes(header))
            written = blocks.write(header, self.category.key, handle)
        return MergeResult(new=written, written=True)

    def _merge_into(self, handle: IO[bytes]) -> MergeResult:
        old_header, header_end = read_header(handle)
        missing = [column for column in self.category.key if column not in old_header]
        if missing:
            raise CsvFormatError(f"{self.path} lacks the key column(s) {', '.join(missing)}")
        known = set(old_header)
        header = old_header + [column for column in self._header if column not in known]
        lead = list(self.category.lead_columns)
        ours = written_as_we_write(handle)  # else rewrite it whole: LF, no byte order mark
        first_row_width(handle, header_end, len(old_header))
        tail_start = header_end
        if (
            ours
            and header == old_header
            and old_header[: len(lead)] == lead
            and self.category.time_field
        ):
            tail_start = self._tail_start(handle, old_header, header_end)
        merger = Merger(self.category, old_header, header, set(self._latest))
        old_rows = check_widths(iter_rows(handle, tail_start), len(old_header))
        merged = merger.merge(old_rows, self._new_rows(header))
        size = os.fstat(handle.fileno()).st_size
        if not ours or header != old_header or size - tail_start > TAIL_LIMIT_BYTES:
            self._write(handle, header, 0, merged)  # streaming, whole file
            return merger.result(written=True)
        tail = list(merged)  # bounded by TAIL_LIMIT_BYTES
        if not merger.changed:
            return merger.result(written=False)
        self._write(handle, None, tail_start, iter(tail))  # the history's bytes, then the tail
        return merger.result(written=True)

    def _tail_start(self, handle: IO[bytes], header: list[str], header_end: int) -> int:
        assert self.category.time_field is not None and self.oldest_time is not None
        time_index = header.index(self.category.time_field)
        start = find_tail_start(handle, header_end, time_index, self.oldest_time)
        if start > header_end and not self.category.time_in_key and self._ids_before(handle, start):
            return header_end
        return start

    def _ids_before(self, handle: IO[bytes], end: int) -> bool:
        """Could a key of this run stand in the bytes before `end` (a document whose day moved)?"""
        if len(self._latest) > _MAX_KEYS_SEARCHED:
            return True
        parts = {part.encode() for ident in self._latest for part in ident if part}
        return holds_any(handle.fileno(), end, parts)

    def _write(
        self, source: IO[bytes], header: list[str] | None, prefix_end: int, rows: Iterator[Merged]
    ) -> None:
        """Write `header` (or the source's bytes up to `prefix_end`), then `rows`."""
        with atomic_binary_writer(self.path) as raw:
            if header is None:
                source.seek(0)
                copy_bytes(source, raw, prefix_end)
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            writer = RowWriter(text)
            if header is not None:
                writer.write(header)
            for _, _, values in rows:
                writer.write(values)
            text.flush()
            text.detach()
