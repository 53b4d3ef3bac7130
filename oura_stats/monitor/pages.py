"""The report as the service (and `report --serve`) serves it: one page held in memory,
replaced whole after each build, answered with its Content-Security-Policy, an `ETag` and a
`Last-Modified` so that a reload costs a 304. Nothing is ever read from disk to answer a
request, so no path can reach another file."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import threading
from dataclasses import dataclass

PAGE_PATHS = frozenset({"/", "/report.html"})
NOT_BUILT = "no report yet"


@dataclass(frozen=True)
class Page:
    """One built page, as bytes, with what its responses say about it."""

    body: bytes
    policy: str  # the Content-Security-Policy the page carries in its <meta> too
    etag: str
    modified: dt.datetime  # UTC, whole seconds


@dataclass(frozen=True)
class Response:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class LivePage:
    """The newest page (thread-safe); a failed build keeps the last good one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._page: Page | None = None
        self._problem = "the first build has not finished"

    def publish(self, html: str, policy: str, when: dt.datetime | None = None) -> Page:
        body = html.encode("utf-8")
        moment = (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
        etag = '"' + hashlib.sha256(body).hexdigest()[:24] + '"'
        page = Page(body, policy, etag, moment)
        with self._lock:
            self._page = page
        return page

    def fail(self, problem: str) -> None:
        """Remember why the newest build failed (shown while there is no page at all)."""
        with self._lock:
            self._problem = problem

    def current(self) -> Page | None:
        with self._lock:
            return self._page

    def respond(self, request_headers: dict[str, str]) -> Response:
        """The answer to a GET of the page, given the request's headers (lower-case names)."""
        page = self.current()
        if page is None:
            with self._lock:
                problem = self._problem
            body = f"{NOT_BUILT}: {problem}\n".encode()
            text = (("Content-Type", "text/plain; charset=utf-8"), ("Retry-After", "60"))
            return Response(503, text, body)
        headers = (
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Security-Policy", page.policy),
            ("ETag", page.etag),
            ("Last-Modified", email.utils.format_datetime(page.modified, usegmt=True)),
            ("Cache-Control", "no-cache"),  # keep it, but ask each time: a 304 is cheap
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
        )
        if not_modified(page, request_headers):
            return Response(304, headers[2:], b"")
        return Response(200, headers, page.body)


def not_modified(page: Page, request_headers: dict[str, str]) -> bool:
    """RFC 9110: If-None-Match decides when present, else If-Modified-Since."""
    tags = request_headers.get("if-none-match")
    if tags is not None:
        wanted = {t.strip().removeprefix("W/") for t in tags.split(",")}
        return "*" in wanted or page.etag in wanted
    since = request_headers.get("if-modified-since")
    if since is None:
        return False
    try:
        moment = email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return page.modified <= moment
