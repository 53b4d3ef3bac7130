"""The synthetic Oura API v2 server on 127.0.0.1: serves an in-memory history over real HTTP
with the real API's paging and quirks (see `api_rules`), records every request and accepts
injected faults (see `faults`). Tests and the demo command both run it."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from oura_stats.demo.api_query import (
    SortedIndex,
    build_index,
    daily_bounds,
    project,
    series_bounds,
)
from oura_stats.demo.api_rules import (
    ROUTES,
    UTC,
    ApiFailure,
    Response,
    Route,
    decode_token,
    detail_response,
    document_key,
    encode_token,
    json_response,
    parse_path,
    query_fingerprint,
)
from oura_stats.demo.faults import FaultInjection
from oura_stats.demo.httpd import Served

__all__ = ["ROUTES", "FakeOura", "RecordedRequest", "document_key"]


@dataclass
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str  # URL path without query
    category: str | None
    params: dict[str, str]
    status: int  # 0 when the connection was dropped without a response
    sandbox: bool
    authorization: str | None


class FakeOura(FaultInjection, Served):
    """The synthetic API server. Use as a context manager or call start()/stop()."""

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        *,
        token: str = "test-token",  # noqa: S107 - the synthetic account's token
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
        self._init_served()
        self._requests: list[RecordedRequest] = []
        self._init_faults()
        self._indexes: dict[str, SortedIndex] = {}
        self._key_maps: dict[str, tuple[int, dict[Any, int]]] = {}

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

    # --- request handling ---

    def respond(self, method: str, target: str, authorization: str | None) -> Response:
        """Answer one HTTP request (called by the HTTP layer) and record it."""
        if self.latency:
            time.sleep(self.latency)
        split = urlsplit(target)
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        category, sandbox = parse_path(split.path)
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
            fault = None if limited else self._take_fault(category, params)
            forbidden = self._is_forbidden(category)
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
            cycling = self._is_cycling(category)
        page = docs[offset : offset + page_size]
        more = offset + page_size < len(docs)
        if cycling:
            next_token: str | None = encode_token(fingerprint, page_size)
        else:
            next_token = encode_token(fingerprint, offset + page_size) if more else None
        if route.fields_param and not sandbox and params.get("fields"):
            page = project(page, params["fields"], route)
        return {"data": page, "next_token": next_token}

    def _select(
        self, category: str, route: Route, sandbox: bool, params: dict[str, str]
    ) -> tuple[list[dict[str, Any]], int]:
        """The full, sorted result of the query (a list slice) and its page size."""
        index = self._index(category, route)
        if route.kind == "undated":
            return index.docs, self.doc_page_size
        if route.kind == "series":
            lo, hi = series_bounds(index, params, self._now(), self.series_max_days)
            if params.get("latest", "").lower() == "true" and not sandbox and hi > lo:
                lo = hi - 1
            return index.docs[lo:hi], self.series_page_size
        lo, hi = daily_bounds(index, route, params, self._today())
        return index.docs[lo:hi], self.doc_page_size

    def _today(self) -> dt.date:
        return self.today or dt.datetime.now(UTC).date()

    def _now(self) -> dt.datetime:
        """Now; with a fixed `today`, the end of that UTC day (deterministic)."""
        if self.today is not None:
            return dt.datetime.combine(self.today + dt.timedelta(days=1), dt.time(), UTC)
        return dt.datetime.now(UTC)

    def _index(self, category: str, route: Route) -> SortedIndex:
        """The sorted view of a category, rebuilt only when its data changed."""
        source = self.data.get(category) or []
        index = self._indexes.get(category)
        if index is None or not index.is_for(source):
            index = self._indexes[category] = build_index(route, source)
        return index
