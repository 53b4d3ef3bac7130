"""A live progress display on a terminal: per category requests, rows and days covered, and
an estimate of the time left on a long (first) backfill.

Drawn on stderr by rewriting its own lines with ANSI escapes, only when stderr is a
terminal and the run is not quiet; cron, journald and pipes see nothing of it. Log lines
written meanwhile go through `QuietlyAround`, which lifts the display out of their way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO

from oura_stats.api.categories import BY_NAME
from oura_stats.api.client import Document
from oura_stats.api.windows import Window
from oura_stats.monitor.observer import NO_OBSERVER, RunObserver

REDRAW_SECONDS = 0.25
FIRST_DRAW_SECONDS = 0.5  # runs shorter than this never show a display
LONG_WINDOW_DAYS = 90  # a window this long is a backfill: worth an estimate of time left
_UP = "\x1b[{}A"
_ERASE_DOWN = "\x1b[J"


@dataclass
class _Category:
    first: dt.date | None
    last: dt.date | None
    chunks: int
    chunks_done: int = 0
    requests: int = 0
    rows: int = 0
    started: float | None = None
    done: bool = False
    # per request range: (days it spans, days covered so far)
    spans: dict[tuple[tuple[str, str], ...], tuple[float, float]] = field(default_factory=dict)

    @property
    def window_days(self) -> int | None:
        if self.first is None or self.last is None:
            return None
        return (self.last - self.first).days + 1

    def covered_fraction(self) -> float | None:
        """How much of the window is fetched: request ranges weigh alike (they are cut to
        equal lengths), and one not yet begun counts as nothing."""
        if not self.spans:
            return 1.0 if self.done else None
        parts = sum(covered / span for span, covered in self.spans.values() if span > 0)
        return min(1.0, parts / max(self.chunks, len(self.spans)))


class ProgressDisplay:
    """A `RunObserver` that draws itself on a terminal stream."""

    def __init__(
        self,
        stream: IO[str],
        *,
        clock: Callable[[], float] = time.monotonic,
        size: Callable[[], tuple[int, int]] | None = None,
    ) -> None:
        self._stream = stream
        self._clock = clock
        self._size = size or (lambda: _terminal_size(stream))
        self._lock = threading.RLock()
        self._categories: dict[str, _Category] = {}
        self._began = clock()
        self._drawn = 0  # lines on screen now
        self._ticker: threading.Thread | None = None
        self._stopped = threading.Event()

    # RunObserver -------------------------------------------------------------------------

    def run_started(self) -> None:
        with self._lock:
            self._categories.clear()
            self._began = self._clock()
        self._stopped.clear()
        self._ticker = threading.Thread(target=self._tick, name="progress", daemon=True)
        self._ticker.start()

    def planned(self, category: str, window: Window | None, chunks: int) -> None:
        first, last = (window.start, window.end) if window else (None, None)
        with self._lock:
            self._categories[category] = _Category(first, last, chunks)

    def page(
        self, category: str, chunk: Mapping[str, str], documents: list[Document], requests: int
    ) -> None:
        rows, reached = len(documents), _reached(category, documents)
        with self._lock:
            entry = self._categories.get(category)
            if entry is None:
                return
            if entry.started is None:
                entry.started = self._clock()
            entry.rows += rows
            entry.requests = max(entry.requests, requests)
            span = _span(chunk)
            if span is not None:
                start, end = span
                days = max((end - start).days, 1)
                covered = _day(reached)
                done = 0.0 if covered is None else (covered - start).days + 1
                key = _key(chunk)
                old = entry.spans.get(key, (days, 0.0))[1]
                entry.spans[key] = (days, max(old, min(float(days), done)))

    def chunk_done(self, category: str, chunk: Mapping[str, str]) -> None:
        with self._lock:
            entry = self._categories.get(category)
            if entry is None:
                return
            entry.chunks_done += 1
            entry.done = entry.chunks_done >= entry.chunks  # then it is committed at once
            span = _span(chunk)
            if span is not None:
                days = max((span[1] - span[0]).days, 1)
                entry.spans[_key(chunk)] = (days, float(days))

    def run_finished(self) -> None:
        self._stopped.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        with self._lock:
            self._erase()

    # drawing -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def lifted(self) -> Iterator[None]:
        """Take the display off the screen while something else writes, then redraw it."""
        with self._lock:
            shown = self._drawn > 0
            self._erase()
            yield
            if shown:
                self._draw()

    def _tick(self) -> None:
        if self._stopped.wait(FIRST_DRAW_SECONDS):
            return
        while True:
            with self._lock:
                self._draw()
            if self._stopped.wait(REDRAW_SECONDS):
                return

    def _erase(self) -> None:
        if self._drawn:
            up = _UP.format(self._drawn - 1) if self._drawn > 1 else ""
            self._write(f"\r{up}{_ERASE_DOWN}")
            self._drawn = 0

    def _draw(self) -> None:
        columns, rows = self._size()
        lines = [line[: max(columns - 1, 10)] for line in self.lines(max(rows - 1, 2))]
        up = _UP.format(self._drawn - 1) if self._drawn > 1 else ""
        self._write(f"\r{up}{_ERASE_DOWN}" + "\n".join(lines))
        self._drawn = len(lines)

    def _write(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # a closed terminal ends the display
            self._stream.write(text)
            self._stream.flush()

    def lines(self, room: int) -> list[str]:
        """What the display shows: one line per category in flight, then a total line."""
        with self._lock:
            running = [
                (n, c) for n, c in self._categories.items() if c.started is not None and not c.done
            ]
            shown = running[: max(room - 1, 1)]
            width = max((len(n) for n, _ in shown), default=0)
            lines = [_category_line(name, entry, width) for name, entry in shown]
            if len(running) > len(shown):
                lines.append(f"… and {len(running) - len(shown)} more")
            lines.append(self._total_line())
        return lines

    def _total_line(self) -> str:
        done = sum(c.done for c in self._categories.values())
        elapsed = self._clock() - self._began
        text = f"{done} of {len(self._categories)} categories done, {_duration(elapsed)} elapsed"
        left = self._time_left()
        return text + (f", about {_duration(left)} left" if left is not None else "")

    def _time_left(self) -> float | None:
        """The slowest backfilling category's time left, at its pace so far."""
        now, estimates = self._clock(), []
        for entry in self._categories.values():
            fraction, window = entry.covered_fraction(), entry.window_days
            if entry.done or entry.started is None or window is None or window < LONG_WINDOW_DAYS:
                continue
            if fraction is None or fraction <= 0.01 or now - entry.started < 2:
                continue
            estimates.append((now - entry.started) * (1 - fraction) / fraction)
        return max(estimates) if estimates else None


def _category_line(name: str, entry: _Category, width: int) -> str:
    text = f"{name:<{width}}  {entry.requests:>6,} requests  {entry.rows:>10,} rows"
    window, fraction = entry.window_days, entry.covered_fraction()
    if window is not None and fraction is not None:
        text += f"  {round(window * fraction):>6,} of {window:,} days"
    return text


def _reached(category: str, documents: list[Document]) -> str | None:
    """The time value of the page's newest (last) document."""
    described = BY_NAME.get(category)
    field_name = described.time_field if described else None
    if not documents or field_name is None:
        return None
    return str(documents[-1].get(field_name) or "") or None


def _key(chunk: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(chunk.items()))


def _span(chunk: Mapping[str, str]) -> tuple[dt.date, dt.date] | None:
    first = _day(chunk.get("start_date") or chunk.get("start_datetime"))
    last = _day(chunk.get("end_date") or chunk.get("end_datetime"))
    return None if first is None or last is None else (first, last)


def _day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class QuietlyAround(logging.Handler):
    """A handler that lifts the progress display out of the way of each log line."""

    def __init__(self, inner: logging.Handler, display: ProgressDisplay) -> None:
        super().__init__(inner.level)
        self._inner = inner
        self._display = display

    def emit(self, record: logging.LogRecord) -> None:
        with self._display.lifted():
            self._inner.handle(record)


def progress_for(stream: IO[str], *, quiet: bool) -> RunObserver:
    """A display on a terminal stream unless quiet; else an observer that ignores all.

    Log lines then pass through the display, so they never tear it.
    """
    if quiet or not _is_terminal(stream):
        return NO_OBSERVER
    display = ProgressDisplay(stream)
    root = logging.getLogger()
    root.handlers[:] = [QuietlyAround(handler, display) for handler in root.handlers]
    return display


def _terminal_size(stream: IO[str]) -> tuple[int, int]:
    """(columns, rows) of the terminal the display is drawn on; 80x24 when it does not say."""
    try:
        columns, rows = os.get_terminal_size(stream.fileno())
    except (AttributeError, ValueError, OSError):
        columns, rows = 0, 0
    return (columns or 80, rows or 24)


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
