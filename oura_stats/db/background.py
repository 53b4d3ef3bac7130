"""One worker thread that runs a store's writes in order, so fetching the next pages and
sending the last ones to the database overlap. The queue is short (memory stays bounded:
a full queue makes the producer wait); the first error is kept and raised to the
producer, at its next submit or at `finish`."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

QUEUED = 2  # batches waiting besides the one being written


class Background:
    def __init__(self, name: str) -> None:
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue(QUEUED)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, work: Callable[[], None]) -> None:
        self.check()
        self._queue.put(work)

    def check(self) -> None:
        """Raise the error a write met, if any (the writes after it were skipped)."""
        if self._error is not None:
            raise self._error

    def finish(self) -> None:
        """Wait for every write; raise the first error."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self.check()

    def _run(self) -> None:
        while (work := self._queue.get()) is not None:
            if self._error is None:
                try:
                    work()
                except BaseException as error:  # noqa: BLE001 - handed to the producer
                    self._error = error
