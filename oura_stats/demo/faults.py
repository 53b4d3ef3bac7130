"""Fault injection for the synthetic API: error statuses, truncated or rewritten bodies,
dropped connections, permanent 403s, rate limits and a server that keeps handing out the same
`next_token`. Tests use it to drive the client's failure paths; the demo never does."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oura_stats.demo.api_rules import Response, detail_response, json_response


@dataclass
class Fault:
    """One injected fault: how many more requests it hits and what it answers instead."""

    category: str
    remaining: int
    make: Callable[[Response], Response]  # turns the would-be response into the faulty one
    when: Callable[[dict[str, str]], bool] | None = None  # only requests with such parameters


class FaultInjection:
    """The server's fault state and the methods tests call to inject faults (a mixin: the
    server holds `lock` and asks `_take_fault`, `_rate_limited` and `_is_forbidden`)."""

    lock: threading.Lock

    def _init_faults(self) -> None:
        self._faults: list[Fault] = []
        self._forbidden: set[str] = set()
        self._cycling: set[str] = set()
        self._rate: tuple[int, float, int] | None = None
        self._admitted: deque[float] = deque()

    # --- faults ---

    def fail(
        self,
        category: str,
        status: int,
        *,
        times: int = 1,
        body: Any = None,
        headers: dict[str, str] | None = None,
        when: Callable[[dict[str, str]], bool] | None = None,
    ) -> None:
        """Answer the next `times` requests for `category` ("*" = any) with `status`
        (only requests whose query parameters satisfy `when`, if given)."""
        if headers is None:
            headers = {"Retry-After": "1"} if status == 429 else {}
        if body is None:
            failure = detail_response(status, None, headers)
        elif isinstance(body, bytes | str):
            raw = body.encode() if isinstance(body, str) else body
            failure = Response(status, raw, {"Content-Type": "text/plain", **headers})
        else:
            failure = json_response(status, body, headers)
        self._add_fault(category, times, lambda _normal: failure, when)

    def truncate(self, category: str, *, times: int = 1) -> None:
        """Answer 200 with valid headers but only the first half of the JSON body."""

        def cut(normal: Response) -> Response:
            return Response(200, normal.body[: len(normal.body) // 2], dict(normal.headers))

        self._add_fault(category, times, cut)

    def rewrite(self, category: str, change: Callable[[bytes], bytes], *, times: int = 1) -> None:
        """Answer as usual, with the body's bytes changed (e.g. another spelling of a
        number, which the server's own encoder never writes)."""

        def changed(normal: Response) -> Response:
            return Response(normal.status, change(normal.body), dict(normal.headers))

        self._add_fault(category, times, changed)

    def drop_connection(self, category: str, *, times: int = 1) -> None:
        """Close the socket without sending any response."""
        self._add_fault(category, times, lambda _normal: Response(0, drop=True))

    def forbid(self, category: str) -> None:
        """Permanently answer 403 for `category` (scope not granted / membership lapsed)."""
        with self.lock:
            self._forbidden.add(category)

    def rate_limit(self, limit: int, window_seconds: float, *, retry_after: int = 1) -> None:
        """Refuse with 429 once more than `limit` requests were served in the sliding window."""
        with self.lock:
            self._rate = (limit, window_seconds, retry_after)
            self._admitted.clear()

    def cycle_next_token(self, category: str) -> None:
        """Buggy server: every page of `category` carries the same non-null next_token."""
        with self.lock:
            self._cycling.add(category)

    def clear_faults(self) -> None:
        """Remove every injected fault, forbidden category, rate limit and token cycle."""
        with self.lock:
            self._faults.clear()
            self._forbidden.clear()
            self._cycling.clear()
            self._rate = None

    def _add_fault(
        self,
        category: str,
        times: int,
        make: Callable[[Response], Response],
        when: Callable[[dict[str, str]], bool] | None = None,
    ) -> None:
        with self.lock:
            self._faults.append(Fault(category, times, make, when))

    def _take_fault(self, category: str, params: dict[str, str]) -> Fault | None:
        for fault in self._faults:
            if fault.when is not None and not fault.when(params):
                continue
            if fault.category in (category, "*") and fault.remaining > 0:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _rate_limited(self) -> Response | None:
        if self._rate is None:
            return None
        limit, window, retry_after = self._rate
        now = time.monotonic()
        while self._admitted and self._admitted[0] <= now - window:
            self._admitted.popleft()
        if len(self._admitted) < limit:
            self._admitted.append(now)
            return None
        reset = time.time() + (self._admitted[0] + window - now if self._admitted else window)
        headers = {
            "Retry-After": str(retry_after),
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Window": str(int(window) if window == int(window) else window),
            "X-RateLimit-Reset": str(int(reset) + 1),
            "X-RateLimit-Tier": "token",
        }
        return detail_response(429, "Rate limit exceeded", headers)

    def _is_forbidden(self, category: str) -> bool:
        return category in self._forbidden

    def _is_cycling(self, category: str) -> bool:
        return category in self._cycling
