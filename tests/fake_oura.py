"""A local fake of the Oura Cloud API v2 that behaves like the real one (see docs in /work/shared).

It serves `/v2/usercollection/<category>` (and the sandbox twins) from an in-memory data set,
with the real API's paging, date semantics and quirks, and lets tests inject faults: error
statuses, truncated bodies, dropped connections, permanent 403s, rate limits and a server
that keeps handing out the same `next_token`.

Modelled quirks (beyond the obvious):
- daily_activity, sleep and workout treat a bare-date `end_date` as exclusive (the record's
  instant is its day at 04:00, a bare date means midnight); a datetime `end_date` such as
  `2024-11-12T23:59:59` includes the 12th. workout filters on the UTC date of
  `start_datetime`, not on its local `day`.
- Datetime values given to the daily routes are compared by their wall-clock value (the
  offset is dropped: the API interprets dates in the user's local zone).
- A digits-only date (`start_date=1`) is read as a Unix timestamp, as pydantic does, so it is
  accepted and usually matches nothing.
- Time series ignore `start_date`/`end_date`, default to the last 24 hours, refuse windows
  wider than `series_max_days` with 400, and honour `latest=true` (newest sample in the window).
- `fields` projects documents (unknown names dropped; an entirely unknown list returns whole
  documents); daily_resilience, enhanced_tag and tag ignore it, as does the sandbox.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import contextlib
import datetime as dt
import hashlib
import http
import json
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

UTC = dt.UTC
USER_PREFIX = "/v2/usercollection/"
SANDBOX_PREFIX = "/v2/sandbox/usercollection/"
ACTIVITY_DAY_START = dt.time(4, 0)


@dataclass(frozen=True)
class Route:
    """How one collection is queried and filtered."""

    kind: str  # "daily" | "series" | "undated" | "single"
    time_field: str | None = None
    exclusive_end: bool = False  # a bare-date end_date drops the last day
    utc_field: str | None = None  # filter on the UTC date of this field instead of time_field
    fields_param: bool = True  # whether `fields` projects the documents


ROUTES: dict[str, Route] = {
    "daily_activity": Route("daily", "day", exclusive_end=True),
    "daily_cardiovascular_age": Route("daily", "day"),
    "daily_readiness": Route("daily", "day"),
    "daily_resilience": Route("daily", "day", fields_param=False),
    "daily_sleep": Route("daily", "day"),
    "daily_spo2": Route("daily", "day"),
    "daily_stress": Route("daily", "day"),
    "enhanced_tag": Route("daily", "start_day", fields_param=False),
    "heartrate": Route("series", "timestamp"),
    "personal_info": Route("single"),
    "rest_mode_period": Route("daily", "start_day"),
    "ring_battery_level": Route("series", "timestamp"),
    "ring_configuration": Route("undated"),
    "session": Route("daily", "day"),
    "sleep": Route("daily", "day", exclusive_end=True),
    "sleep_time": Route("daily", "day"),
    "tag": Route("daily", "day", fields_param=False),
    "vO2_max": Route("daily", "day"),
    "workout": Route("daily", "day", exclusive_end=True, utc_field="start_datetime"),
}


def document_key(category: str, doc: dict[str, Any]) -> Any:
    """The identity of a document within its category (what upsert replaces by)."""
    if category == "heartrate":
        return (doc.get("timestamp"), doc.get("source"))
    if category == "ring_battery_level":
        return doc.get("timestamp")
    if category == "daily_cardiovascular_age" and doc.get("id") is None:
        return ("day", doc.get("day"))
    return doc.get("id")


@dataclass
class RecordedRequest:
    method: str
    path: str  # URL path without query
    category: str | None
    params: dict[str, str]
    status: int  # 0 when the connection was dropped without a response
    sandbox: bool
    authorization: str | None


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the socket without answering


@dataclass
class _Fault:
    category: str
    remaining: int
    make: Callable[[Response], Response]  # turns the would-be response into the faulty one


@dataclass
class _Index:
    """A category's documents sorted by their filter key, plus those keys (for bisect)."""

    source_id: int
    source_len: int
    docs: list[dict[str, Any]]
    keys: list[Any]


class ApiFailure(Exception):
    """Raised while handling a request: answer with this status and JSON detail."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(status, detail)
        self.status = status
        self.detail = detail


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, body, {"Content-Type": "application/json", **(headers or {})})


def detail_response(
    status: int, detail: Any = None, headers: dict[str, str] | None = None
) -> Response:
    if detail is None:
        detail = http.HTTPStatus(status).phrase
    return json_response(status, {"detail": detail}, headers)


# --- parameter parsing --------------------------------------------------------------------


def _validation_error(name: str, value: str, error_type: str, msg: str) -> ApiFailure:
    item = {"type": error_type, "loc": ["query", name], "msg": msg, "input": value}
    return ApiFailure(422, [item])


def parse_date_param(name: str, value: str) -> dt.date | dt.datetime:
    """A `start_date`/`end_date` value: a date, or a naive wall-clock datetime."""
    if value.isdigit():  # pydantic reads a number as a Unix timestamp
        return dt.datetime.fromtimestamp(int(value), UTC).date()
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        if " " not in value and "T" in value:
            return dt.datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        pass
    msg = "Input should be a valid date or datetime, invalid date separator, expected `-`"
    raise _validation_error(name, value, "date_from_datetime_parsing", msg)


def parse_datetime_param(name: str, value: str) -> dt.datetime:
    """A `start_datetime`/`end_datetime` value as an aware datetime (naive means UTC).

    A raw `+` in the offset arrives as a space after URL decoding, which is invalid.
    """
    if value.isdigit():
        return dt.datetime.fromtimestamp(int(value), UTC)
    try:
        if " " not in value:
            parsed = dt.datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError:
        pass
    msg = "Input should be a valid datetime or date, unexpected extra characters at the end"
    raise _validation_error(name, value, "datetime_from_date_parsing", msg)


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _as_datetime(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time())


def _epoch(timestamp: str) -> float:
    parsed = dt.datetime.fromisoformat(timestamp)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


# --- paging tokens ------------------------------------------------------------------------


def query_fingerprint(category: str, sandbox: bool, params: dict[str, str]) -> str:
    canonical = sorted((k, v) for k, v in params.items() if k != "next_token")
    raw = json.dumps([category, sandbox, canonical]).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def encode_token(fingerprint: str, offset: int) -> str:
    raw = json.dumps({"q": fingerprint, "o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, fingerprint: str) -> int:
    """The offset a token stands for; 400 when it is garbled or belongs to another query."""
    if token == "":
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
        offset = payload["o"]
        valid = payload["q"] == fingerprint and isinstance(offset, int) and offset >= 0
    except (binascii.Error, ValueError, TypeError, KeyError):
        valid = False
    if not valid:
        raise ApiFailure(400, "Invalid next_token")
    return int(offset)


# --- the HTTP layer -----------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    fake: FakeOura

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client killed mid-response (the crash tests do this on purpose) is not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 60

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and
        # delayed ACKs add ~40 ms to every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.fake._track(self.connection, add=True)

    def finish(self) -> None:
        self.server.fake._track(self.connection, add=False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        response = self.server.fake._respond(
            self.command, self.path, self.headers.get("Authorization")
        )
        if response.drop:
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)


class FakeOura:
    """The fake API server. Use as a context manager or call start()/stop()."""

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        *,
        token: str = "test-token",
        token_check: Callable[[str], bool] | None = None,
        doc_page_size: int = 100,
        series_page_size: int = 1000,
        series_max_days: int = 30,
        latency: float = 0.0,
        today: dt.date | None = None,
    ) -> None:
        self.data: dict[str, Any] = dict(data) if data else {}
        self.token = token
        self.token_check = token_check
        self.doc_page_size = doc_page_size
        self.series_page_size = series_page_size
        self.series_max_days = series_max_days
        self.latency = latency
        self.today = today
        self.lock = threading.Lock()
        self.url = ""
        self._requests: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._forbidden: set[str] = set()
        self._cycling: set[str] = set()
        self._rate: tuple[int, float, int] | None = None
        self._admitted: deque[float] = deque()
        self._indexes: dict[str, _Index] = {}
        self._key_maps: dict[str, tuple[int, dict[Any, int]]] = {}
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---

    def start(self) -> FakeOura:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        with self.lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._server = None

    def __enter__(self) -> FakeOura:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self.lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    # --- data ---

    def set_documents(self, category: str, docs: list[dict[str, Any]]) -> None:
        with self.lock:
            self.data[category] = list(docs)
            self._invalidate(category)

    def upsert_document(self, category: str, doc: dict[str, Any]) -> None:
        """Replace the document with the same key, or add it."""
        with self.lock:
            if category == "personal_info":
                self.data[category] = dict(doc)
                return
            docs = self.data.setdefault(category, [])
            keys = self._key_map(category, docs)
            key = document_key(category, doc)
            if key in keys:
                docs[keys[key]] = doc
            else:
                keys[key] = len(docs)
                docs.append(doc)
            self._key_maps[category] = (id(docs), keys)
            self._indexes.pop(category, None)

    def invalidate(self, category: str | None = None) -> None:
        """Forget cached indexes after mutating `data` directly."""
        with self.lock:
            if category is None:
                self._indexes.clear()
                self._key_maps.clear()
            else:
                self._invalidate(category)

    def _invalidate(self, category: str) -> None:
        self._indexes.pop(category, None)
        self._key_maps.pop(category, None)

    def _key_map(self, category: str, docs: list[dict[str, Any]]) -> dict[Any, int]:
        cached = self._key_maps.get(category)
        if cached is not None and cached[0] == id(docs) and len(cached[1]) <= len(docs):
            return cached[1]
        return {document_key(category, doc): i for i, doc in enumerate(docs)}

    # --- recorded requests ---

    @property
    def requests(self) -> list[RecordedRequest]:
        with self.lock:
            return list(self._requests)

    def requests_for(self, category: str) -> list[RecordedRequest]:
        with self.lock:
            return [r for r in self._requests if r.category == category]

    def clear_requests(self) -> None:
        with self.lock:
            self._requests.clear()

    # --- faults ---

    def fail(
        self,
        category: str,
        status: int,
        *,
        times: int = 1,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `times` requests for `category` ("*" = any) with `status`."""
        if headers is None:
            headers = {"Retry-After": "1"} if status == 429 else {}
        if body is None:
            failure = detail_response(status, None, headers)
        elif isinstance(body, bytes | str):
            raw = body.encode() if isinstance(body, str) else body
            failure = Response(status, raw, {"Content-Type": "text/plain", **headers})
        else:
            failure = json_response(status, body, headers)
        self._add_fault(category, times, lambda _normal: failure)

    def truncate(self, category: str, *, times: int = 1) -> None:
        """Answer 200 with valid headers but only the first half of the JSON body."""

        def cut(normal: Response) -> Response:
            return Response(200, normal.body[: len(normal.body) // 2], dict(normal.headers))

        self._add_fault(category, times, cut)

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

    def _add_fault(self, category: str, times: int, make: Callable[[Response], Response]) -> None:
        with self.lock:
            self._faults.append(_Fault(category, times, make))

    def _take_fault(self, category: str) -> _Fault | None:
        for fault in self._faults:
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

    # --- request handling ---

    def _respond(self, method: str, target: str, authorization: str | None) -> Response:
        if self.latency:
            time.sleep(self.latency)
        split = urlsplit(target)
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        category, sandbox = _parse_path(split.path)
        response = self._decide(method, category, sandbox, params, authorization)
        with self.lock:
            self._requests.append(
                RecordedRequest(
                    method=method,
                    path=split.path,
                    category=category,
                    params=params,
                    status=0 if response.drop else response.status,
                    sandbox=sandbox,
                    authorization=authorization,
                )
            )
        return response

    def _decide(
        self,
        method: str,
        category: str | None,
        sandbox: bool,
        params: dict[str, str],
        authorization: str | None,
    ) -> Response:
        if category is None or category not in ROUTES:
            return detail_response(404, "Not Found")
        if sandbox and category == "personal_info":
            return detail_response(404, "Not Found")
        if method != "GET":
            return detail_response(405, "Method Not Allowed")
        with self.lock:
            limited = self._rate_limited()
            fault = None if limited else self._take_fault(category)
            forbidden = category in self._forbidden
        if limited:
            return limited
        if fault is not None:
            return fault.make(self._normal(category, sandbox, params, authorization, forbidden))
        return self._normal(category, sandbox, params, authorization, forbidden)

    def _normal(
        self,
        category: str,
        sandbox: bool,
        params: dict[str, str],
        authorization: str | None,
        forbidden: bool,
    ) -> Response:
        if not self._authorized(authorization, sandbox):
            detail = "Not authenticated" if not authorization else "Invalid or expired token"
            return detail_response(401, detail, {"WWW-Authenticate": "Bearer"})
        if forbidden:
            detail = "Access to this data type is forbidden: missing scope or inactive membership"
            return detail_response(403, detail)
        try:
            payload = self._payload(category, sandbox, params)
        except ApiFailure as failure:
            return detail_response(failure.status, failure.detail)
        return json_response(200, payload)

    def _authorized(self, authorization: str | None, sandbox: bool) -> bool:
        if not authorization:
            return False
        if sandbox:
            return True
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return False
        if self.token_check is not None:
            return self.token_check(token)
        return token == self.token

    def _payload(self, category: str, sandbox: bool, params: dict[str, str]) -> Any:
        route = ROUTES[category]
        if route.kind == "single":
            with self.lock:
                info = self.data.get("personal_info")
            if info is None:
                raise ApiFailure(404, "Document not found.")
            return info
        fingerprint = query_fingerprint(category, sandbox, params)
        offset = decode_token(params.get("next_token", ""), fingerprint)
        with self.lock:
            docs, page_size = self._select(category, route, sandbox, params)
            cycling = category in self._cycling
        page = docs[offset : offset + page_size]
        more = offset + page_size < len(docs)
        if cycling:
            next_token: str | None = encode_token(fingerprint, page_size)
        else:
            next_token = encode_token(fingerprint, offset + page_size) if more else None
        if route.fields_param and not sandbox and params.get("fields"):
            page = _project(page, params["fields"], route)
        return {"data": page, "next_token": next_token}

    def _select(
        self, category: str, route: Route, sandbox: bool, params: dict[str, str]
    ) -> tuple[list[dict[str, Any]], int]:
        """The full, sorted result of the query (a list slice) and its page size."""
        index = self._index(category, route)
        if route.kind == "undated":
            return index.docs, self.doc_page_size
        if route.kind == "series":
            lo, hi = self._series_bounds(index, params)
            if params.get("latest", "").lower() == "true" and not sandbox and hi > lo:
                lo = hi - 1
            return index.docs[lo:hi], self.series_page_size
        lo, hi = self._daily_bounds(index, route, params)
        return index.docs[lo:hi], self.doc_page_size

    def _today(self) -> dt.date:
        return self.today or dt.datetime.now(UTC).date()

    def _now(self) -> dt.datetime:
        """Now; with a fixed `today`, the end of that UTC day (deterministic)."""
        if self.today is not None:
            return dt.datetime.combine(self.today + dt.timedelta(days=1), dt.time(), UTC)
        return dt.datetime.now(UTC)

    def _daily_bounds(self, index: _Index, route: Route, params: dict[str, str]) -> tuple[int, int]:
        raw_start, raw_end = params.get("start_date"), params.get("end_date")
        end = parse_date_param("end_date", raw_end) if raw_end is not None else self._today()
        if raw_start is not None:
            start = parse_date_param("start_date", raw_start)
        else:
            start = _as_date(end) - dt.timedelta(days=1)
        if _as_datetime(start) > _as_datetime(end):
            raise ApiFailure(422, "Start date must be before end date")
        if route.exclusive_end:
            lo = bisect.bisect_left(index.keys, _as_datetime(start))
            hi = bisect.bisect_right(index.keys, _as_datetime(end))
        else:
            lo = bisect.bisect_left(index.keys, _as_date(start))
            hi = bisect.bisect_right(index.keys, _as_date(end))
        return lo, hi

    def _series_bounds(self, index: _Index, params: dict[str, str]) -> tuple[int, int]:
        raw_start, raw_end = params.get("start_datetime"), params.get("end_datetime")
        end = parse_datetime_param("end_datetime", raw_end) if raw_end is not None else self._now()
        if raw_start is not None:
            start = parse_datetime_param("start_datetime", raw_start)
        else:
            start = end - dt.timedelta(days=1)
        if start > end:
            raise ApiFailure(400, "Start datetime must be before end datetime")
        if end - start > dt.timedelta(days=self.series_max_days):
            detail = (
                f"The time range between start_datetime and end_datetime "
                f"must not exceed {self.series_max_days} days"
            )
            raise ApiFailure(400, detail)
        lo = bisect.bisect_left(index.keys, start.timestamp())
        hi = bisect.bisect_right(index.keys, end.timestamp())
        return lo, hi

    def _index(self, category: str, route: Route) -> _Index:
        """The sorted view of a category, rebuilt only when its data changed."""
        source = self.data.get(category) or []
        index = self._indexes.get(category)
        if index is not None and index.source_id == id(source) and index.source_len == len(source):
            return index
        keyed = sorted(
            ((_filter_key(route, doc), i) for i, doc in enumerate(source)),
            key=lambda pair: pair[0],
        )
        index = _Index(
            source_id=id(source),
            source_len=len(source),
            docs=[source[i] for _, i in keyed],
            keys=[key for key, _ in keyed],
        )
        self._indexes[category] = index
        return index


def _filter_key(route: Route, doc: dict[str, Any]) -> Any:
    """The value a document is sorted and filtered by (see the module docstring)."""
    if route.kind == "series":
        return _epoch(doc["timestamp"])
    if route.kind == "undated":
        return 0
    if route.utc_field is not None:
        day = dt.datetime.fromisoformat(doc[route.utc_field]).astimezone(UTC).date()
    else:
        day = dt.date.fromisoformat(doc[route.time_field or "day"])
    if route.exclusive_end:
        return dt.datetime.combine(day, ACTIVITY_DAY_START)
    return day


def _project(page: list[dict[str, Any]], fields: str, route: Route) -> list[dict[str, Any]]:
    wanted = {name.strip() for name in fields.split(",") if name.strip()}
    if not page or not wanted & set().union(*(doc.keys() for doc in page)):
        return page
    always = {"id", "timestamp", route.time_field or "day"}
    keep = wanted | always
    return [{k: v for k, v in doc.items() if k in keep} for doc in page]


def _parse_path(path: str) -> tuple[str | None, bool]:
    """(category, sandbox) for a collection route; (None, False) otherwise."""
    for prefix, sandbox in ((USER_PREFIX, False), (SANDBOX_PREFIX, True)):
        if path.startswith(prefix):
            name = path[len(prefix) :].rstrip("/")
            if name and "/" not in name:
                return name, sandbox
            return None, sandbox
    return None, False
