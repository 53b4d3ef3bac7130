"""A CSV's rows for the database mirror, in batches of about a megabyte, streamed."""

from __future__ import annotations

import itertools
import logging
import operator
from collections.abc import Iterator
from typing import IO

from oura_stats.api.categories import Category
from oura_stats.store.csvfile import check_widths, iter_rows
from oura_stats.store.keys import time_key

log = logging.getLogger(__name__)

BATCH_ROWS = 5000  # at most, and about BATCH_BYTES of CSV text (documents hold long lists)
BATCH_BYTES = 1 << 20
FIRST_BATCH_ROWS = 100


def csv_batches(
    category: Category,
    handle: IO[bytes],
    header: list[str],
    span: tuple[int, int],
    since: str | None,
) -> Iterator[list[list[str]]]:
    """The CSV's rows from `span`'s start (the header's end, or where the tail search
    found the run's oldest row) in batches, streamed; rows lacking a key value are left
    out, and rows older than `since` when the tail search gave up. A row whose width is
    not the header's raises CsvFormatError: a shifted file fails its table."""
    (header_end, start), width = span, len(header)
    time_index = header.index(category.time_field) if category.time_field in header else None
    if since is None:
        time_index = None
    keys = [operator.itemgetter(header.index(k)) for k in category.key if k in header]
    reader = check_widths(iter_rows(handle, start), width)
    skipped, size = 0, FIRST_BATCH_ROWS
    try:
        while batch := list(itertools.islice(reader, size)):
            size = _batch_rows(batch)
            if time_index is not None and start == header_end:  # the tail was too long
                floor = since or ""
                batch = [row for row in batch if time_key(row[time_index]) >= floor]
            if any("" in map(key, batch) for key in keys):
                kept = [row for row in batch if all(key(row) for key in keys)]
                skipped, batch = skipped + len(batch) - len(kept), kept
            yield batch
    finally:
        reader.close()
    if skipped:
        log.warning(
            "%s: %d rows without a value for the key %s are not in the database",
            category.name,
            skipped,
            ", ".join(category.key),
        )


def _batch_rows(batch: list[list[str]]) -> int:
    """How many rows like these make about BATCH_BYTES: memory stays bounded whatever a
    row holds (a day of per-minute samples is 10 kB, a heart-rate sample 40 bytes)."""
    sample = batch[:FIRST_BATCH_ROWS]
    row_bytes = sum(len(cell) for row in sample for cell in row) / len(sample) + 1
    return max(1, min(BATCH_ROWS, int(BATCH_BYTES / row_bytes)))
