"""What a collection run tells whoever watches it (the terminal progress display).

The collector calls these from its worker threads; an observer must be quick and
thread-safe, and must never raise. `NO_OBSERVER` ignores everything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Protocol


class RunObserver(Protocol):
    def run_started(self) -> None:
        """A run begins (before any category is planned)."""

    def planned(
        self, category: str, first: dt.date | None, last: dt.date | None, chunks: int
    ) -> None:
        """The category will be fetched over these days (None: undated) in `chunks` requests."""

    def page(
        self,
        category: str,
        chunk: Mapping[str, str],
        rows: int,
        requests: int,
        reached: str | None,
    ) -> None:
        """A page of `rows` documents arrived for `chunk`, reaching the time value `reached`;
        `requests` is the category's count so far."""

    def chunk_done(self, category: str, chunk: Mapping[str, str]) -> None:
        """One request range of the category is finished (fetched, failed or skipped)."""

    def finished(self, category: str, ok: bool) -> None:
        """The category is committed (ok) or abandoned."""

    def run_finished(self) -> None:
        """The run is over (before its summary is written)."""


class _Ignore:
    def run_started(self) -> None:
        pass

    def planned(
        self, category: str, first: dt.date | None, last: dt.date | None, chunks: int
    ) -> None:
        pass

    def page(
        self,
        category: str,
        chunk: Mapping[str, str],
        rows: int,
        requests: int,
        reached: str | None,
    ) -> None:
        pass

    def chunk_done(self, category: str, chunk: Mapping[str, str]) -> None:
        pass

    def finished(self, category: str, ok: bool) -> None:
        pass

    def run_finished(self) -> None:
        pass


NO_OBSERVER: RunObserver = _Ignore()
