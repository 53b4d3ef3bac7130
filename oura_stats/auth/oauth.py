"""Oura's OAuth2 endpoints: token requests (with the new-portal fallback), revoke, scopes.

Facts (oura-api.md §9): apps from the new developer portal must use the moi.ouraring.com
token endpoint, older apps the documented api.ouraring.com one. A failed code exchange
burns the single-use code, so the code exchange tries the new-portal endpoint first and
falls back on 400/401/403/404; the endpoint that worked is remembered by the caller.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from oura_stats import __version__
from oura_stats.api.categories import CATEGORIES, Category
from oura_stats.errors import AuthError, ConfigError

log = logging.getLogger(__name__)

AUTHORIZE_URL = "https://cloud.ouraring.com/oauth/authorize"
LEGACY_TOKEN_URL = "https://api.ouraring.com/oauth/token"  # noqa: S105 - a URL, not a secret
NEW_PORTAL_TOKEN_URL = "https://moi.ouraring.com/oauth/v2/ext/oauth-token"  # noqa: S105
DEFAULT_TOKEN_URLS = (NEW_PORTAL_TOKEN_URL, LEGACY_TOKEN_URL)
REVOKE_URL = "https://api.ouraring.com/oauth/revoke"

CLASSIC_SCOPES = ("email", "personal", "daily", "heartrate", "workout", "tag", "session", "spo2")
NEW_PORTAL_SCOPES = ("stress", "heart_health", "ring_configuration")
ALL_SCOPES = CLASSIC_SCOPES + NEW_PORTAL_SCOPES

TIMEOUT = (10.0, 30.0)  # connect, read
FALLBACK_STATUSES = frozenset({400, 401, 403, 404})
RETRY_DELAYS: tuple[float, ...] = (1.0, 3.0)  # network errors, 429 and 5xx only
HEADERS = {
    "Accept": "application/json",
    "User-Agent": f"oura-stats/{__version__}",
    "Authorization": None,  # drop any bearer a shared session carries
}


class TokenEndpointError(AuthError):
    """The token endpoint answered with an OAuth2 error (or something that is not a token)."""

    def __init__(self, message: str, *, status: int, error: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error


class TokenEndpointUnreachable(AuthError):
    """Network errors, 429 or 5xx persisted: nothing is known to be wrong with the grant."""


@dataclass(frozen=True)
class TokenResponse:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_in: float
    scopes: tuple[str, ...] | None  # None: the endpoint did not say


def split_scopes(text: str) -> list[str]:
    """Scope names separated by spaces and/or commas."""
    return [part for part in re.split(r"[\s,]+", text) if part]


def bare_scope(name: str) -> str:
    """`extapi:daily` → `daily`: granted scopes are compared without the portal's prefix."""
    return name.rsplit(":", 1)[-1]


def requested_scopes(spec: str | None, prefix: str = "") -> tuple[str, ...]:
    """The scope names to request: `spec` lists names, or `all`; None means the classic 8."""
    names: list[str] = []
    for name in split_scopes(spec) if spec else list(CLASSIC_SCOPES):
        expanded = ALL_SCOPES if name.lower() == "all" else (bare_scope(name),)
        names.extend(n for n in expanded if n not in names)
    if not names:
        raise ConfigError("--scopes named no scope")
    for unknown in (n for n in names if n not in ALL_SCOPES):
        log.warning("scope %r is not one oura-stats knows; requesting it anyway", unknown)
    return tuple(prefix + name for name in names)


def categories_without(scopes: Iterable[str]) -> list[Category]:
    """Categories whose scope is not among `scopes` (prefixed or bare names)."""
    have = {bare_scope(scope) for scope in scopes}
    return [category for category in CATEGORIES if category.scope not in have]


def revoke_url_for(token_url: str, override: str | None = None) -> str:
    """The revoke endpoint: the override, Oura's own, or /oauth/revoke on the token URL's host."""
    if override:
        return override
    if token_url in DEFAULT_TOKEN_URLS:
        return REVOKE_URL
    parts = urlsplit(token_url)
    return f"{parts.scheme}://{parts.netloc}/oauth/revoke"


def request_tokens(
    session: requests.Session,
    urls: Sequence[str],
    form: dict[str, str],
    *,
    final_errors: frozenset[str] = frozenset(),
) -> tuple[TokenResponse, str]:
    """POST `form` to each URL in turn until one issues tokens; return them and that URL.

    Moves on to the next URL only on 400/401/403/404 whose OAuth2 error is not in
    `final_errors` (for a refresh, `invalid_grant` means the token is dead everywhere).
    """
    for position, url in enumerate(urls, start=1):
        try:
            return _post_for_tokens(session, url, form), url
        except TokenEndpointError as exc:
            last = position == len(urls)
            if last or exc.status not in FALLBACK_STATUSES or exc.error in final_errors:
                raise
            log.info("%s; trying the next token endpoint", exc)
    raise ConfigError("no token endpoint to ask")


def _post_for_tokens(session: requests.Session, url: str, form: dict[str, str]) -> TokenResponse:
    """One endpoint, retried (a few times, briefly) on network errors, 429 and 5xx."""
    delays = iter(RETRY_DELAYS)
    while True:
        try:
            response = session.post(url, data=form, headers=HEADERS, timeout=TIMEOUT)
        except requests.RequestException as exc:
            problem = f"{type(exc).__name__} talking to {url}"
        else:
            if response.status_code != 429 and response.status_code < 500:
                return _token_response(url, response)
            problem = f"{url} answered {response.status_code}"
        delay = next(delays, None)
        if delay is None:
            raise TokenEndpointUnreachable(f"could not reach the Oura token endpoint: {problem}")
        log.info("%s; retrying in %.0f s", problem, delay)
        time.sleep(delay)


def _token_response(url: str, response: requests.Response) -> TokenResponse:
    body = _json_object(response)
    token = body.get("access_token")
    if response.status_code == 200 and isinstance(token, str) and token:
        refresh = body.get("refresh_token")
        scope = body.get("scope")
        expires_in = body.get("expires_in")
        return TokenResponse(
            access_token=token,
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            expires_in=float(expires_in) if isinstance(expires_in, int | float) else 86400.0,
            scopes=tuple(split_scopes(scope)) if isinstance(scope, str) else None,
        )
    error = body.get("error")
    error = error if isinstance(error, str) else None
    raise TokenEndpointError(
        f"{url} answered {response.status_code} {error or '(no OAuth2 error)'}{_description(body)}",
        status=response.status_code,
        error=error,
    )


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _description(body: dict[str, Any]) -> str:
    text = body.get("error_description")
    if not isinstance(text, str) or not text.strip():
        return ""
    printable = "".join(ch for ch in text if ch.isprintable())[:200]
    return f": {printable}"


@contextlib.contextmanager
def _urllib3_quiet() -> Iterator[None]:
    """Oura wants the token in the revoke URL, which urllib3 logs at DEBUG: mute it."""
    logger = logging.getLogger("urllib3")
    previous = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)


def revoke(session: requests.Session, url: str, access_token: str) -> bool:
    """Ask Oura to revoke the grant; False when it does not know the token (already revoked).

    Raises TokenEndpointUnreachable for network errors and other answers. Exception texts
    from requests would contain the URL, and so the token: they are never passed on.
    """
    with _urllib3_quiet():
        try:
            response = session.get(
                url, params={"access_token": access_token}, headers=HEADERS, timeout=TIMEOUT
            )
        except requests.RequestException as exc:
            problem = f"{type(exc).__name__} talking to {urlsplit(url).netloc}"
            raise TokenEndpointUnreachable(f"could not revoke the token: {problem}") from None
    if response.ok:
        return True
    if response.status_code in (400, 401, 404):
        return False
    raise TokenEndpointUnreachable(
        f"could not revoke the token: {urlsplit(url).netloc} answered {response.status_code}"
    )
