"""Blocks that overlap, merged only where they overlap: every other row copied as bytes.

Consecutive requests of a time series share their boundary sample, so the last page of
one overlaps the first page of the next, often in a single key. Blocks on disk are CSV
lines in key order (blockfile.py), so a key range two or more blocks cover is found by
reading the keys of a few lines near its ends (a galloping search), and only the lines in
such ranges are merged: of one key, the line of the latest arrival. A line is written as
it was read, padded with empty cells for columns that appeared after its block: without
a quote in a block every line is one row of plain cells, which `csv.writer` writes again
exactly as they are. Where that cannot be shown (a quote, or a block whose columns are
not a prefix of the header) the caller merges the rows in full (blocks.py).
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Callable

from oura_stats.store.blocks import Key

# (first key, arrival, last key, columns, offset, length, rows): ordered by key, then age.
Entry = tuple[Key, int, Key, tuple[str, ...], int, int, int]
KeyOf = Callable[[list[str]], Key]
# Rows in output order: merged lines as bytes, or (offset, length, missing columns) of
# lines to copy from the blocks' file.
Part = bytes | tuple[int, int, int]

_FIRST_PROBE = 256  # bytes from an end: a handful of lines


def spliced(
    group: list[Entry],
    read: Callable[[Entry], bytes],
    header: list[str],
    key_columns: tuple[str, ...],
) -> tuple[list[Part], int] | None:
    """The group's rows under `header` in key order, one per key (the latest arrival
    wins), as parts to write, and how many rows; None when the group needs the full merge.

    `group` is a run of entries in key order whose ranges overlap (each begins at or
    before the furthest end so far).
    """
    if not all(list(entry[3]) == header[: len(entry[3])] for entry in group):
        return None  # a layout other than a prefix of the header: cells move by name
    splice = _Splice(shared_ranges(group))
    for entry in group:
        data = read(entry)
        if b'"' in data:
            return None  # a newline may sit inside a quoted cell
        key = _key_getter([entry[3].index(column) for column in key_columns])
        splice.cut(entry, data, key, len(header) - len(entry[3]))
    return splice.parts()


def shared_ranges(group: list[Entry]) -> list[tuple[Key, Key]]:
    """The closed key ranges, disjoint and in order, that two or more entries cover."""
    ranges: list[tuple[Key, Key]] = []
    reach = group[0][2]
    for first, _, last, *_ in group[1:]:
        end = min(reach, last)  # it overlaps the entries before it from `first` to here
        if ranges and first <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], end))
        else:
            ranges.append((first, end))
        reach = max(reach, last)
    return ranges


class _Splice:
    """The shared ranges' lines from every block (keyed, padded), and the runs of lines
    between them, by the gap between ranges they fall in (gap i precedes range i)."""

    def __init__(self, ranges: list[tuple[Key, Key]]) -> None:
        self.ranges = ranges
        self.lows = [low for low, _ in ranges]
        self.highs = [high for _, high in ranges]
        self.gaps: list[list[Part]] = [[] for _ in range(len(ranges) + 1)]
        self.pools: list[list[tuple[Key, int, bytes]]] = [[] for _ in ranges]
        self.copied = 0

    def cut(self, entry: Entry, data: bytes, key: KeyOf, missing: int) -> None:
        """Split one block's lines (entries come in key order, so within a gap the runs
        of different blocks come in order too: their ranges cannot interleave there)."""
        first, arrival, last, offset = entry[0], entry[1], entry[2], entry[4]
        start = bisect.bisect_left(self.highs, first)
        stop = bisect.bisect_right(self.lows, last)
        pad = b"," * missing + b"\n"
        position = 0
        for index in range(start, stop):
            low, high = self.ranges[index]
            begin = position if low <= first else _bound(data, position, low, key, from_end=True)
            end = len(data) if high >= last else _bound(data, begin, high, key, after=True)
            self._copy(index, data, (position, begin), offset, missing)
            for line in data[begin:end].split(b"\n")[:-1]:
                row_key = key(line.decode("utf-8").split(","))
                self.pools[index].append((row_key, arrival, line + pad))
            position = end
        self._copy(stop, data, (position, len(data)), offset, missing)

    def _copy(
        self, gap: int, data: bytes, span: tuple[int, int], offset: int, missing: int
    ) -> None:
        begin, end = span
        if begin < end:
            self.gaps[gap].append((offset + begin, end - begin, missing))
            self.copied += data.count(b"\n", begin, end)

    def parts(self) -> tuple[list[Part], int]:
        """Everything in key order: gap 0, range 0, gap 1, ...; and the rows."""
        parts: list[Part] = list(self.gaps[0])
        rows = self.copied
        for pool, gap in zip(self.pools, self.gaps[1:], strict=True):
            lines = _latest_lines(pool)
            parts.append(b"".join(lines))
            parts.extend(gap)
            rows += len(lines)
        return parts, rows


def _bound(
    data: bytes, low: int, target: Key, key: KeyOf, *, after: bool = False, from_end: bool = False
) -> int:
    """The offset of the first line from `low` on whose key is at least `target` (above
    it, if `after`). Lines are in key order; the first probes are near the end named
    (where the answer usually is), the rest halve the span left."""
    high, span = len(data), _FIRST_PROBE
    while low < high:
        if span < high - low:
            probe = high - span if from_end else low + span
            span *= 4
        else:
            probe = (low + high) // 2
        newline = data.rfind(b"\n", low, probe)
        start = low if newline < 0 else newline + 1  # the line holding the probe
        end = data.index(b"\n", start)
        line_key = key(data[start:end].decode("utf-8").split(","))
        if line_key < target or (after and line_key == target):
            low = end + 1
        else:
            high = start
    return low


def _latest_lines(pool: list[tuple[Key, int, bytes]]) -> list[bytes]:
    """One line per key in key order: of one key, the latest arrival's."""
    pool.sort(key=operator.itemgetter(0, 1))
    lines = {row_key: line for row_key, _, line in pool}  # a later arrival replaces
    return list(lines.values())


def _key_getter(positions: list[int]) -> KeyOf:
    # As blocks.py forms keys: a one-part key is the part twice.
    return (
        operator.itemgetter(*positions)
        if len(positions) > 1
        else operator.itemgetter(*positions * 2)
    )
