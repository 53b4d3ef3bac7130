"""Merging a run's sorted new rows into a file's sorted old rows: new rows replace old
rows with the same key, and the merge counts what was new, updated or unchanged."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass

from oura_stats.api.categories import Category
from oura_stats.store.keys import Ident, time_key, values_identity

Merged = tuple[str, Ident, list[str]]  # (time key, identity, values under the header)
_NO_KEY: Ident = ("",)


@dataclass
class MergeResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = False


class Merger:
    """Merges sorted old rows and sorted new rows; new rows replace old rows with their key."""

    def __init__(
        self, category: Category, old_header: list[str], header: list[str], new_keys: set[Ident]
    ) -> None:
        self._pad = [""] * (len(header) - len(old_header))
        self._time_index = (
            old_header.index(category.time_field) if category.time_field in old_header else None
        )
        self._identity = values_identity(category, old_header)
        self._time_in_key = category.time_in_key
        self._new_keys = new_keys
        self._old_hashes: dict[Ident, int] = {}
        self._new_hashes: dict[Ident, int] = {}
        self._counts = MergeResult()
        self.header_changed = bool(self._pad)

    @property
    def changed(self) -> bool:
        counts = self.result(written=False)
        return self.header_changed or counts.new > 0 or counts.updated > 0

    def result(self, *, written: bool) -> MergeResult:
        counts = MergeResult(self._counts.new, self._counts.updated, self._counts.unchanged)
        for ident, new_hash in self._new_hashes.items():
            old_hash = self._old_hashes.get(ident)
            if old_hash is None:
                counts.new += 1
            elif old_hash == new_hash:
                counts.unchanged += 1
            else:
                counts.updated += 1
        counts.written = written
        return counts

    def _old_items(self, rows: Iterator[list[str]]) -> Iterator[Merged]:
        pad, index = self._pad, self._time_index
        for values in rows:
            if pad:
                values = values + pad  # noqa: PLW2901 - widened copy of the same row
            order = time_key(values[index]) if index is not None else ""
            # A row stored without its key by an older version keeps its place, matching none.
            yield order, self._identity(values, order) or _NO_KEY, values

    def merge(self, old_rows: Iterator[list[str]], new_rows: Iterator[Merged]) -> Iterator[Merged]:
        old = self._old_items(old_rows)
        if self._time_in_key:
            return self._merge_adjacent(old, new_rows)
        return self._merge_by_key(old, new_rows)

    def _merge_by_key(self, old: Iterator[Merged], new: Iterator[Merged]) -> Iterator[Merged]:
        new_keys = self._new_keys

        def kept_old() -> Iterator[Merged]:
            for item in old:
                if item[1] in new_keys:
                    self._old_hashes[item[1]] = hash(tuple(item[2]))
                else:
                    yield item

        def hashed_new() -> Iterator[Merged]:
            for item in new:
                self._new_hashes[item[1]] = hash(tuple(item[2]))
                yield item

        return heapq.merge(kept_old(), hashed_new(), key=_order)

    def _merge_adjacent(self, old: Iterator[Merged], new: Iterator[Merged]) -> Iterator[Merged]:
        """Keys contain the time, so an old row and its replacement meet side by side."""
        counts = self._counts
        pending: Merged | None = None
        pending_is_new = False
        # heapq.merge is stable: on equal keys the new row (first iterable) comes first.
        for item in heapq.merge(_tagged(new, 0), _tagged(old, 1), key=_tagged_order):
            merged, is_old = item[0], item[1]
            if is_old and pending_is_new and pending is not None and pending[1] == merged[1]:
                counts.new -= 1
                if pending[2] == merged[2]:
                    counts.unchanged += 1
                else:
                    counts.updated += 1
                pending_is_new = False
                continue  # the old row is replaced by `pending`
            if pending is not None:
                yield pending
            pending, pending_is_new = merged, not is_old
            if pending_is_new:
                counts.new += 1
        if pending is not None:
            yield pending


def _tagged(items: Iterator[Merged], tag: int) -> Iterator[tuple[Merged, int]]:
    for item in items:
        yield item, tag


def _tagged_order(item: tuple[Merged, int]) -> tuple[str, Ident]:
    return item[0][0], item[0][1]


def _order(item: Merged) -> tuple[str, Ident]:
    return item[0], item[1]
