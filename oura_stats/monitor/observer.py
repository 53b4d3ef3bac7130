"""What a collection run tells whoever watches it (the terminal progress display).

The collector calls these from its worker threads; an observer must be quick and
thread-safe, and must never raise. `NO_OBSERVER` ignores everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from oura_stats.api.client import Document
from oura_stats.api.windows import Window


class RunObserver(Protocol):
    def run_started(self) -> None:
        """A run begins (before any category is planned)."""

    def planned(self, category: str, window: Window | None, chunks: int) -> None:
        """The category will be fetched over `window` (None: undated) in `chunks` requests."""

    def page(
        self, category: str, chunk: Mapping[str, str], documents: list[Document], requests: int
    ) -> None:
        """A page of documents (oldest first) arrived for the request range `chunk`;
        `requests` is the category's count so far."""

    def chunk_done(self, category: str, chunk: Mapping[str, str]) -> None:
        """One request range of the category is over (fetched, failed or skipped); after the
        last one the category is committed or abandoned."""

    def run_finished(self) -> None:
        """The run is over (before its summary is written)."""


class _Ignore:
    def run_started(self) -> None:
        pass

    def planned(self, category: str, window: Window | None, chunks: int) -> None:
        pass

    def page(
        self, category: str, chunk: Mapping[str, str], documents: list[Document], requests: int
    ) -> None:
        pass

    def chunk_done(self, category: str, chunk: Mapping[str, str]) -> None:
        pass

    def run_finished(self) -> None:
        pass


NO_OBSERVER: RunObserver = _Ignore()
