"""The fast path of a time series' first backfill: whole pages kept as sorted blocks.

A five-year heart-rate history is half a million samples, and per-row Python work is what
makes a backfill slow. The API returns each page sorted by time and pages of different
requests barely overlap (a sample on a 30-day boundary is in both), so a page can stay
one block of plain tuples: sorted and checked with C-level calls, and written at once as
CSV text (blockfile.py). Only the lines in a key range two blocks share are merged one by
one (overlaps.py; this module's merge where that cannot be shown). A page as the API
sends it is not even made tuples: pagetext.py formats its text straight from the
documents and checks the text; this module takes the pages that check cannot prove.

A page qualifies when its documents are flat and hold only strings, numbers, booleans
and nulls (written exactly as `flatten` writes them), with canonical UTC timestamps, finite
numbers, and ASCII text without carriage returns, quotes or NULs. Anything else takes the
general path.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from oura_stats.api.decode import NumberText
from oura_stats.store.keys import all_canonical
from oura_stats.store.names import plain_parts

Values = tuple[Any, ...]
Key = tuple[Any, ...]
# (first key, arrival sequence, last key, columns, rows): tuples order by first key, then age.
Block = tuple[Key, int, Key, tuple[str, ...], list[Values]]

_SCALARS = frozenset({str, int, float, type(None), NumberText})  # NumberText: its CSV text
_PLAIN_TEXT = {str}
_TEXT = {True: "true", False: "false"}
_MISSING = frozenset({None, ""})


def page_block(
    documents: Sequence[dict[str, Any]], key_columns: tuple[str, ...], sequence: int
) -> Block | None:
    """The page as one sorted block, or None when it must take the general path."""
    if not documents:
        return None
    columns = tuple(documents[0])
    # Every document's fields in one sequence equal to the first's repeated: no tuple per
    # document. (A document with more fields would repeat one, so each has these fields.)
    if list(itertools.chain.from_iterable(documents)) == list(columns) * len(documents):
        rows: list[Values] = list(map(tuple, map(dict.values, documents)))
    else:  # fields differ within the page (a field new since some day): align them
        columns = tuple(dict.fromkeys(itertools.chain.from_iterable(documents)))
        rows = [tuple(map(document.get, columns)) for document in documents]
    if not plain_parts(columns):
        return None  # an odd field name: flatten names its column
    kinds = set(map(type, itertools.chain.from_iterable(rows)))
    if bool in kinds:  # csv would write True/False; the API's text is true/false
        kinds.discard(bool)
        rows = _booleans_as_text(rows)
    if not kinds <= _SCALARS:
        return None
    try:
        positions = [columns.index(column) for column in key_columns]
    except ValueError:
        return None
    times = list(map(operator.itemgetter(positions[0]), rows))
    if not all_canonical(times):
        return None  # another spelling of an instant: the general path gives it its key
    texts = "".join(filter(str.__instancecheck__, itertools.chain.from_iterable(rows)))
    if "\r" in texts or '"' in texts or "\x00" in texts or not texts.isascii():
        return None  # text the general path may have to escape (see flatten.py)
    if float in kinds and not _finite(rows):
        return None
    if len(positions) > 1 and not _text_parts(rows, positions[1:]):
        return None  # a key part is missing, or not text (blocks are read back as text)
    key = _key_getter(positions)
    rows = _in_key_order(rows, times, key)
    return (key(rows[0]), sequence, key(rows[-1]), columns, rows)


def _in_key_order(
    rows: list[Values], times: list[str], key: Callable[[Values], Key]
) -> list[Values]:
    """The rows sorted by key, one per key (the later one wins).

    The API's pages come sorted, so first a check that needs no key tuple per row:
    times (the first key part) never falling, and where two neighbours share a time
    (rare: heart rate from two sources), their whole keys rising.
    """
    if keys_rise(times, lambda i: key(rows[i])):
        return rows
    rows.sort(key=key)  # stable: of two rows with one key, the later one stays later
    if len(set(map(key, rows))) != len(rows):
        rows = list({key(row): row for row in rows}.values())
    return rows


def _text_parts(rows: list[Values], positions: list[int]) -> bool:
    """Whether these key parts are all text and never empty (the time part, canonical,
    is both)."""
    return all(plain_text_part(list(map(operator.itemgetter(p), rows))) for p in positions)


def plain_text_part(parts: Sequence[Any]) -> bool:
    """Whether every value of a key part is plain text, never empty (a NumberText is a
    number; blocks are read back as text)."""
    return set(map(type, parts)) == _PLAIN_TEXT and all(parts)


def keys_rise(times: Sequence[str], key_of: Callable[[int], Key]) -> bool:
    """Whether rows are in rising key order, checked with a key only where needed: times
    (the first key part) never falling, and where two neighbours share a time (rare:
    heart rate from two sources), their whole keys (`key_of(row index)`) rising."""
    if not all(map(operator.le, times, itertools.islice(times, 1, None))):
        return False
    same = map(operator.eq, times, itertools.islice(times, 1, None))
    return all(key_of(i) < key_of(i + 1) for i in itertools.compress(itertools.count(), same))


def _finite(rows: list[Values]) -> bool:
    """Whether every float is finite (a sum is not finite when a term is not, or when it
    overflows: then the general path merely does the same work slower)."""
    floats = filter(float.__instancecheck__, itertools.chain.from_iterable(rows))
    return math.isfinite(sum(floats))


def _booleans_as_text(rows: list[Values]) -> list[Values]:
    """Rewrite only the columns that hold booleans (column-wise: few columns do)."""
    columns = list(zip(*rows, strict=True))
    for index, values in enumerate(columns):
        if bool in set(map(type, values)):
            columns[index] = tuple(_TEXT.get(v, v) if type(v) is bool else v for v in values)
    return list(zip(*columns, strict=True))


def _key_getter(positions: list[int]) -> Callable[[Values], Key]:
    if len(positions) > 1:
        return operator.itemgetter(*positions)
    (position,) = positions
    return operator.itemgetter(position, position)  # a 1-tuple would need a Python lambda


def reordered(rows: list[Values], columns: tuple[str, ...], header: list[str]) -> list[Values]:
    """Rows under `header`; columns the block lacks read as empty (index of an appended "")."""
    missing = len(columns)
    getter = operator.itemgetter(*[columns.index(c) if c in columns else missing for c in header])
    padded = map(operator.add, rows, itertools.repeat(("",)))
    return list(map(getter, padded))


@dataclass
class _Run:
    """Rows in key order, possibly merged from several blocks: each row keeps the arrival
    number of the page it came from (`arrivals`: one number for all, or one per row)."""

    first: Key
    last: Key
    columns: tuple[str, ...]
    rows: list[Values]
    arrivals: int | list[int]

    def arrivals_from(self, index: int) -> Iterable[int]:
        if isinstance(self.arrivals, int):
            return itertools.repeat(self.arrivals, len(self.rows) - index)
        return self.arrivals[index:]

    def aligned(self, header: list[str]) -> _Run:
        rows = reordered(self.rows, self.columns, header)
        return _Run(self.first, self.last, tuple(header), rows, self.arrivals)


def without_overlaps(
    blocks: Iterator[Block], key_columns: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], list[Values]]]:
    """Blocks in key order; where two overlap, their shared range is merged row by row."""
    current: _Run | None = None
    for first, arrival, last, columns, rows in blocks:
        block = _Run(first, last, columns, rows, arrival)
        if current is None:
            current = block
        elif first > current.last:
            yield current.columns, current.rows
            current = block
        else:
            before, current = _merge_overlap(current, block, key_columns)
            if before:
                yield current.columns, before
    if current is not None:
        yield current.columns, current.rows


def _merge_overlap(
    older: _Run, newer: _Run, key_columns: tuple[str, ...]
) -> tuple[list[Values], _Run]:
    """Split `older` (the run so far) where `newer` (a block) begins; merge the rest of
    both row by row: of two rows with one key, the one that arrived later wins."""
    if newer.columns != older.columns:  # rare: two field layouts meet; align both
        header = list(dict.fromkeys(older.columns + newer.columns))
        older, newer = older.aligned(header), newer.aligned(header)
    key = _key_getter([older.columns.index(column) for column in key_columns])
    split = bisect.bisect_left(list(map(key, older.rows)), newer.first)
    before, shared_old = older.rows[:split], older.rows[split:]
    # Only `newer`'s rows up to `older`'s last key can collide; the rest stay as they are.
    cut = bisect.bisect_right(list(map(key, newer.rows)), older.last)
    shared_new, after = newer.rows[:cut], newer.rows[cut:]
    tail = list(zip(map(key, shared_old), older.arrivals_from(split), shared_old, strict=True))
    fresh = list(zip(map(key, shared_new), newer.arrivals_from(0), shared_new, strict=False))
    rows: list[Values] = []
    arrivals: list[int] = []
    last_key: Key | None = None
    for row_key, arrival, row in heapq.merge(tail, fresh, key=operator.itemgetter(0, 1)):
        if row_key == last_key:  # same key, later arrival: it replaces the earlier row
            rows[-1], arrivals[-1] = row, arrival
        else:
            rows.append(row)
            arrivals.append(arrival)
            last_key = row_key
    rows.extend(after)
    arrivals.extend(newer.arrivals_from(cut))
    first = min(newer.first, tail[0][0]) if tail else newer.first
    return before, _Run(first, max(older.last, newer.last), older.columns, rows, arrivals)
