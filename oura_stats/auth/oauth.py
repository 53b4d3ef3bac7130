"""Oura's OAuth2 endpoints: token requests, revocation, scope names.

Facts (oura-api.md §9, §9a): each portal has its own endpoints (see `portals`). Codes and
refresh tokens are single-use and a failed request may have spent one, so a token request
moves on to another endpoint only when the first clearly never took it: the endpoint does
not exist (404) or no connection could be made at all. Anything else is final.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
import urllib3

from oura_stats import __version__
from oura_stats.api.categories import CATEGORIES, Category
from oura_stats.auth.portals import KNOWN_SCOPES, Portal
from oura_stats.errors import AuthError, ConfigError

log = logging.getLogger(__name__)

TIMEOUT = (10.0, 30.0)  # connect, read
NOT_TAKEN_STATUSES = frozenset({404})  # the request never reached a token endpoint
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

    def __init__(self, message: str, *, never_connected: bool = False) -> None:
        super().__init__(message)
        self.never_connected = never_connected  # no request ever reached the server


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


def requested_scopes(
    spec: str | None, portal: Portal, prefix: str | None = None
) -> tuple[str, ...]:
    """The scope names to ask `portal` for: `spec` lists names, or `all`; None: its defaults.

    Names are given bare or prefixed; each gets the portal's prefix (or `prefix`).
    """
    names: list[str] = []
    for name in split_scopes(spec) if spec else list(portal.default_scopes):
        expanded = portal.all_scopes if name.lower() == "all" else (bare_scope(name),)
        names.extend(n for n in expanded if n not in names)
    if not names:
        raise ConfigError("--scopes named no scope")
    for unknown in (n for n in names if n not in KNOWN_SCOPES):
        log.warning("scope %r is not one oura-stats knows; requesting it anyway", unknown)
    chosen = portal.scope_prefix if prefix is None else prefix
    return tuple(chosen + name for name in names)


def categories_without(scopes: Iterable[str]) -> list[Category]:
    """Categories whose scope is not among `scopes` (prefixed or bare names)."""
    have = {bare_scope(scope) for scope in scopes}
    return [category for category in CATEGORIES if category.scope not in have]


def request_tokens(
    session: requests.Session, urls: Sequence[str], form: dict[str, str]
) -> tuple[TokenResponse, str]:
    """POST `form` to the first URL, and to the next only if the first never took it.

    "Never took it": a 404 (no token endpoint there) or not a single connection made.
    Any other failure may have spent the single-use code or refresh token in `form`, and
    sending it again elsewhere would only hide the real error.
    """
    for position, url in enumerate(urls, start=1):
        last = position == len(urls)
        try:
            return _post_for_tokens(session, url, form), url
        except TokenEndpointError as exc:
            if last or exc.status not in NOT_TAKEN_STATUSES:
                raise
            log.warning("%s; trying %s", exc, urls[position])
        except TokenEndpointUnreachable as exc:
            if last or not exc.never_connected:
                raise
            log.warning("%s; trying %s", exc, urls[position])
    raise ConfigError("no token endpoint to ask")


def _post_for_tokens(session: requests.Session, url: str, form: dict[str, str]) -> TokenResponse:
    """One endpoint, retried (a few times, briefly) on network errors, 429 and 5xx."""
    delays = iter(RETRY_DELAYS)
    never_connected = True
    while True:
        try:
            response = session.post(url, data=form, headers=HEADERS, timeout=TIMEOUT)
        except requests.RequestException as exc:
            problem = f"{type(exc).__name__} talking to {url}"
            never_connected = never_connected and _not_connected(exc)
        else:
            if response.status_code != 429 and response.status_code < 500:
                return _token_response(url, response)
            problem = f"{url} answered {response.status_code}"
            never_connected = False
        delay = next(delays, None)
        if delay is None:
            raise TokenEndpointUnreachable(
                f"could not reach the Oura token endpoint: {problem}",
                never_connected=never_connected,
            )
        log.info("%s; retrying in %.0f s", problem, delay)
        time.sleep(delay)


def _not_connected(exc: requests.RequestException) -> bool:
    """True when no connection was made (refused, name not resolved, connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(
        reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError
    )


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
