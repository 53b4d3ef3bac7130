"""The Oura API v2 over HTTP: paging, retries with backoff, rate limits, typed errors.

The client yields documents page by page and knows nothing about CSV files or state.
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter

from oura_stats import __version__
from oura_stats.api.decode import number_texts, shared_floats
from oura_stats.api.defaults import ATTEMPTS, DEFAULT_BASE_URL, READ_TIMEOUT
from oura_stats.api.neterrors import describe as _describe
from oura_stats.api.ratelimit import Pacer, Pacing
from oura_stats.api.tokens import TokenProvider
from oura_stats.errors import (
    ApiError,
    AuthError,
    ConfigError,
    ForbiddenError,
    StopRequested,
    UnreachableError,
)
from oura_stats.scrub import scrub

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0  # seconds; the read timeout is the client's `timeout`
MAX_PAGES = 100_000  # far beyond any real history; guards against a server that never ends
_TRANSIENT = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)

Document = dict[str, Any]


@dataclass
class RequestStats:
    """Requests sent for one category (thread-safe counter)."""

    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self) -> None:
        with self._lock:
            self.requests += 1


@dataclass
class _Attempts:
    """What one request has been through so far."""

    failures: int = 0  # 5xx, network errors, bad bodies
    rate_limited: int = 0
    renewed: bool = False  # the token was replaced once after a 401


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = ATTEMPTS  # tries per request for 5xx, network errors and bad bodies
    backoff_base: float = 1.0  # seconds; doubles each attempt, with full jitter
    backoff_cap: float = 60.0
    rate_limit_retries: int = 20  # 429s tolerated for one request
    longest_wait: float = 900.0  # a Retry-After beyond this fails the category instead


class OuraClient:
    """One `requests.Session` against the API, shared by every worker thread."""

    def __init__(
        self,
        base_url: str,
        tokens: TokenProvider,
        *,
        pacer: Pacing | None = None,
        retry: RetryPolicy | None = None,
        stop: threading.Event | None = None,
        pool_size: int = 10,
        timeout: float = READ_TIMEOUT,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(
                f"invalid API base URL {base_url!r}; expected e.g. {DEFAULT_BASE_URL}"
            )
        self.base_url = base_url.rstrip("/")
        self._tokens = tokens
        self._pacer: Pacing = pacer or Pacer()
        self._retry = retry or RetryPolicy()
        self._timeout = (min(CONNECT_TIMEOUT, timeout), timeout)
        self._stop = stop or threading.Event()
        self._session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1))
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers["User-Agent"] = f"oura-stats/{__version__}"
        _settle_environment(self._session, self.base_url)

    def close(self) -> None:
        self._session.close()

    def iter_pages(
        self, path: str, params: Mapping[str, str], stats: RequestStats
    ) -> Generator[list[Document], None, None]:
        """Each page's documents, following `next_token` to the end. Numbers with a fraction
        or exponent (and NaN, ±Infinity) come as their canonical text (`NumberText`, see
        decode.py)."""
        query = dict(params)
        seen_tokens: set[str] = set()
        for _ in range(MAX_PAGES):
            body = self._get(path, query, stats, expected=_is_listing, numbers=number_texts)
            page, token = body["data"], body.get("next_token")
            del body  # nothing of a page outlives its turn: the next one is not fetched yet
            yield page
            del page
            if not token:
                return
            if token in seen_tokens:
                raise ApiError(f"{path} returned the same next_token twice; stopped paging")
            seen_tokens.add(token)
            query["next_token"] = token
        raise ApiError(f"{path} returned more than {MAX_PAGES} pages; stopped paging")

    def get_object(self, path: str, stats: RequestStats) -> Document:
        """A single bare document (personal_info), its numbers plain floats."""
        body: Document = self._get(path, {}, stats, expected=_is_object, numbers=shared_floats)
        return body

    def _get(
        self,
        path: str,
        params: Mapping[str, str],
        stats: RequestStats,
        *,
        expected: Callable[[Any], bool],
        numbers: Callable[[], Callable[[str], Any]],
    ) -> Any:
        """The decoded body of a 200 that has the `expected` shape, after retries (numbers
        with a fraction or exponent, and NaN/Infinity, decoded by a fresh `numbers()`)."""
        attempts = _Attempts()
        while True:
            if self._stop.is_set():
                raise StopRequested("stopped")
            self._pacer.acquire(self._stop)
            token = self._tokens.access_token()
            response = self._send(path, params, token, attempts)
            if response is None:
                continue
            stats.count()
            if response.status_code != 200:
                self._handle_refusal(response, token, attempts)
                continue
            try:
                decode = numbers()  # also for NaN and ±Infinity, which JSON lacks but some send
                body = response.json(parse_float=decode, parse_constant=decode)
            except ValueError:
                body = None
            if body is not None and expected(body):
                return body
            attempts.failures += 1
            self._give_up_or_wait(
                attempts.failures, f"the Oura API sent an unexpected body for {path}"
            )

    def _send(
        self, path: str, params: Mapping[str, str], token: str, attempts: _Attempts
    ) -> requests.Response | None:
        """One GET; None after a transient network failure (already waited out)."""
        try:
            return self._session.get(
                self.base_url + path,
                # Encoded here, once: requests' own encoding of a dict costs more per request.
                # quote_plus turns the "+" of a UTC offset into %2B, as the API needs.
                params=urlencode(params),
                headers={"Authorization": f"Bearer {token}"},
                timeout=self._timeout,
            )
        except _TRANSIENT as error:
            attempts.failures += 1
            unreachable = isinstance(error, requests.ConnectionError)
            problem = f"cannot connect to the Oura API at {self.base_url}: {self._explain(error)}"
            self._give_up_or_wait(attempts.failures, problem, unreachable=unreachable)
            return None
        except requests.RequestException as error:
            raise ApiError(f"request to {path} failed: {self._explain(error)}") from error

    def _explain(self, error: Exception) -> str:
        return _describe(error, self._timeout[1])

    def _handle_refusal(self, response: requests.Response, token: str, attempts: _Attempts) -> None:
        """Raise the error a non-200 answer means, or wait so the caller can retry."""
        status = response.status_code
        if status == 401:
            if "scope" in response.text.lower():
                raise ForbiddenError(_forbidden_message(response), status=status)
            if not attempts.renewed and self._tokens.renew_after_rejection(token):
                attempts.renewed = True
                return
            raise AuthError(
                "the Oura API rejected the access token (invalid, expired or revoked): "
                "run `oura-stats auth login`, or pass a new --token"
            )
        if status == 403:
            raise ForbiddenError(_forbidden_message(response), status=status)
        if status == 429:
            attempts.rate_limited += 1
            self._wait_for_rate_limit(response, attempts.rate_limited)
            return
        if status >= 500:
            attempts.failures += 1
            self._give_up_or_wait(attempts.failures, f"the Oura API answered {status}")
            return
        raise ApiError(_error_message(response), status=status)

    def _give_up_or_wait(self, failures: int, problem: str, *, unreachable: bool = False) -> None:
        policy = self._retry
        if failures >= policy.attempts:
            error = UnreachableError if unreachable else ApiError
            raise error(f"{problem}; gave up after {failures} attempts")
        delay = min(policy.backoff_cap, policy.backoff_base * 2 ** (failures - 1))
        delay *= random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not cryptography
        log.debug("%s; retrying in %.1f s", problem, delay)
        self._sleep(delay)

    def _wait_for_rate_limit(self, response: requests.Response, count: int) -> None:
        policy = self._retry
        wait = _retry_after(response)
        if wait is None:
            wait = min(policy.backoff_cap, policy.backoff_base * 2 ** min(count, 10))
        if count > policy.rate_limit_retries or wait > policy.longest_wait:
            raise ApiError(
                f"rate limited by the Oura API (retry after {wait:.0f} s); "
                "try again later or fetch fewer categories at once",
                status=429,
            )
        log.info("rate limited by the Oura API; waiting %.1f s", wait)
        self._pacer.pause(wait)  # every worker waits, not just this one

    def _sleep(self, seconds: float) -> None:
        if self._stop.wait(seconds):
            raise StopRequested("stopped")


def _is_listing(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("data"), list)


def _is_object(body: Any) -> bool:
    return isinstance(body, dict)


def _settle_environment(session: requests.Session, url: str) -> None:
    """Read proxy and CA-bundle variables once, not on every request.

    requests re-reads the environment for each request when `trust_env` is on; a backfill
    sends hundreds of requests, and that re-reading was measured at 0.5 ms each.
    """
    session.proxies.update(requests.utils.get_environ_proxies(url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False


def _retry_after(response: requests.Response) -> float | None:
    """Seconds to wait from Retry-After (seconds or HTTP date) or X-RateLimit-Reset (epoch)."""
    header = response.headers.get("Retry-After")
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            try:
                moment = email.utils.parsedate_to_datetime(header)
            except (TypeError, ValueError):
                moment = None
            if moment is not None:
                return max(0.0, moment.timestamp() - time.time())
    reset = response.headers.get("X-RateLimit-Reset")
    if reset:
        try:
            return max(0.0, float(reset) - time.time())
        except ValueError:
            return None
    return None


def _api_detail(response: requests.Response) -> str:
    """The API's own explanation: FastAPI `detail` (text or validation list), else the text."""
    try:
        body = response.json()
    except ValueError:
        return " ".join(response.text.split())[:200]
    detail = (
        body.get("detail", body.get("message", body.get("title")))
        if isinstance(body, dict)
        else body
    )
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                where = ".".join(str(p) for p in item.get("loc", []) if p != "query")
                parts.append(f"{where}: {item.get('msg', '')}".strip(": "))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return str(detail)[:300] if detail is not None else ""


def _error_message(response: requests.Response) -> str:
    detail = scrub(_api_detail(response))
    status = response.status_code
    if status == 426:
        return (
            f"the Oura API answered 426 ({detail or 'upgrade required'}): update the Oura app "
            "on your phone and open it once, then rerun"
        )
    return f"the Oura API answered {status}: {detail or response.reason}"


def _forbidden_message(response: requests.Response) -> str:
    detail = scrub(_api_detail(response))
    return (
        f"access denied ({response.status_code}{': ' + detail if detail else ''}): the token lacks "
        "the scope for this data, or the Oura membership is inactive; grant the scope with "
        "`oura-stats auth login` or leave the category out with --exclude NAME"
    )
