"""The rules of the synthetic Oura Cloud API v2: routes, query parameters, paging tokens.

The server (`server.py`) serves `/v2/usercollection/<category>` (and the sandbox twins) from
an in-memory data set, with the real API's paging, date semantics and quirks.

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
import datetime as dt
import hashlib
import http
import json
from dataclasses import dataclass, field
from typing import Any

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
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the socket without answering


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


def as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def as_datetime(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time())


def epoch(timestamp: str) -> float:
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


def parse_path(path: str) -> tuple[str | None, bool]:
    """(category, sandbox) for a collection route; (None, False) otherwise."""
    for prefix, sandbox in ((USER_PREFIX, False), (SANDBOX_PREFIX, True)):
        if path.startswith(prefix):
            name = path[len(prefix) :].rstrip("/")
            if name and "/" not in name:
                return name, sandbox
            return None, sandbox
    return None, False
