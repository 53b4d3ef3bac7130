"""`auth login`: the authorization-code flow, through a one-shot local listener or by pasting.

Instructions for the human go straight to stderr (they must be seen even under -q);
the authorization code and the tokens are never printed or logged.
"""

from __future__ import annotations

import html
import http.server
import logging
import secrets
import sys
import time
import webbrowser
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import requests

from oura_stats.auth.credentials import Credentials
from oura_stats.auth.defaults import LOGIN_TIMEOUT
from oura_stats.auth.oauth import (
    TokenEndpointError,
    bare_scope,
    categories_without,
    request_tokens,
)
from oura_stats.auth.portals import NEW, Portal, portal_of_token_url, wrong_portal_hint
from oura_stats.auth.seam import CredentialStore
from oura_stats.errors import AuthError, ConfigError
from oura_stats.scrub import remember

log = logging.getLogger(__name__)

CALLBACK_PATH = "/callback"


@dataclass(frozen=True)
class LoginRequest:
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...]
    port: int
    authorize_url: str
    token_urls: tuple[str, ...]  # the first, then others tried only if it never took the code
    portal: Portal = NEW
    api_base_url: str | None = None  # recorded for `auth status`, when not Oura's own
    state: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)

    @property
    def redirect_uri(self) -> str:
        return f"http://localhost:{self.port}{CALLBACK_PATH}"

    def authorization_url(self) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": " ".join(self.scopes),
                "state": self.state,
            },
            quote_via=quote,
        )
        separator = "&" if "?" in self.authorize_url else "?"
        return f"{self.authorize_url}{separator}{query}"


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _first(params: dict[str, list[str]], name: str) -> str:
    values = params.get(name)
    return values[0] if values else ""


class StateMismatch(AuthError):
    """A redirect that does not carry this login's state: not ours, never acted upon."""


def code_from_callback(params: dict[str, list[str]], state: str, portal: Portal = NEW) -> str:
    """The authorization code in a redirect's query, after checking its state.

    The state is checked before anything else: a redirect without it, even one saying
    `error=access_denied`, may come from anyone and must not end this login.
    """
    if not secrets.compare_digest(_first(params, "state").encode(), state.encode()):
        raise StateMismatch(
            "the redirect did not carry this login's state (an old or forged link?); "
            "run `oura-stats auth login` again"
        )
    error = _first(params, "error")
    if error:
        detail = _first(params, "error_description")
        raise AuthError(
            f"Oura did not authorise oura-stats: {error}{': ' + detail if detail else ''}"
            f"{wrong_portal_hint(portal, error)}"
        )
    code = _first(params, "code")
    if not code:
        raise AuthError("the redirect carried no authorization code")
    return code


def code_from_pasted(text: str, state: str, portal: Portal = NEW) -> str:
    """The code from a pasted redirect URL (state checked) or a bare code."""
    text = text.strip()
    if not text:
        raise ConfigError("nothing was pasted; run `oura-stats auth login --manual` again")
    if "code=" in text or "error=" in text:
        query = urlsplit(text).query if "?" in text else text
        return code_from_callback(parse_qs(query), state, portal)
    if any(ch.isspace() for ch in text) or "/" in text:
        raise ConfigError("that is neither the redirected URL nor an authorization code")
    return text


class _CallbackServer(http.server.HTTPServer):
    expected_state = ""
    portal = NEW
    outcome: str | AuthError | None = None


class _CallbackHandler(http.server.BaseHTTPRequestHandler):
    server: _CallbackServer
    # Browsers open speculative connections that never send a request: drop them soon,
    # or this one-at-a-time server would wait on them instead of the real redirect.
    timeout = 5

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        params = parse_qs(parts.query)
        if parts.path != CALLBACK_PATH or not ("code" in params or "error" in params):
            self._reply(404, "Not the oura-stats callback.")
            return
        try:
            self.server.outcome = code_from_callback(
                params, self.server.expected_state, self.server.portal
            )
        except StateMismatch:
            log.warning("ignored a redirect that did not carry this login's state; still waiting")
            self._reply(400, "Not a redirect for this oura-stats login: ignored.")
            return
        except AuthError as exc:
            self.server.outcome = exc
            self._reply(400, f"oura-stats login failed: {exc}")
            return
        self._reply(200, "oura-stats is authorised. You can close this tab.")

    def _reply(self, status: int, text: str) -> None:
        body = f"<!doctype html><title>oura-stats</title><p>{html.escape(text)}</p>\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the request line holds the authorization code."""


def _listen(port: int) -> _CallbackServer:
    try:
        return _CallbackServer(("127.0.0.1", port), _CallbackHandler)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on localhost:{port} ({exc.strerror}); pick another --port "
            "and register the matching redirect URI"
        ) from None


def code_via_listener(request: LoginRequest, *, open_browser: bool, timeout: float) -> str:
    with _listen(request.port) as server:
        server.expected_state = request.state
        server.portal = request.portal
        server.timeout = 0.5
        url = request.authorization_url()
        say(f"Open this URL in a browser to authorise oura-stats:\n\n  {url}\n")
        if open_browser and not webbrowser.open(url):
            say("(Could not start a browser: open the URL yourself.)")
        say(f"Waiting up to {timeout:.0f} s for Oura to redirect to {request.redirect_uri} …")
        deadline = time.monotonic() + timeout
        while server.outcome is None:
            if time.monotonic() >= deadline:
                raise AuthError(f"no redirect arrived within {timeout:.0f} s; run the login again")
            server.handle_request()
        if isinstance(server.outcome, AuthError):
            raise server.outcome
        return server.outcome


def code_via_paste(request: LoginRequest, stdin: IO[str]) -> str:
    say(
        "Open this URL in a browser on any computer and approve:\n\n"
        f"  {request.authorization_url()}\n\n"
        f"The browser is then sent to {request.redirect_uri}?code=… — on a headless server that\n"
        "page fails to load, which is expected. Copy the whole address from the address bar\n"
        "(or just the code) and paste it here, then press Enter:"
    )
    return code_from_pasted(stdin.readline(), request.state, request.portal)


def exchange_code(
    request: LoginRequest, code: str, *, session: requests.Session, clock: float
) -> Credentials:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": request.redirect_uri,
        "client_id": request.client_id,
        "client_secret": request.client_secret,
    }
    try:
        tokens, url = request_tokens(session, request.token_urls, form)
    except TokenEndpointError as exc:
        raise AuthError(
            f"exchanging the authorization code failed: {exc}"
            f"{wrong_portal_hint(request.portal, exc.error) or '; run the login again'}"
        ) from None
    remember(tokens.access_token)
    remember(tokens.refresh_token)
    if tokens.refresh_token is None:
        raise AuthError(f"{url} issued no refresh token; unattended refresh is impossible")
    return Credentials(
        client_id=request.client_id,
        client_secret=request.client_secret,
        token_url=url,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        obtained_at=clock,
        expires_at=clock + tokens.expires_in,
        scopes=tokens.scopes if tokens.scopes is not None else request.scopes,
        portal_name=(
            request.portal if url == request.token_urls[0] else portal_of_token_url(url)
        ).name,
        api_base_url=request.api_base_url,
    )


def report_scopes(requested: Sequence[str], granted: Sequence[str]) -> None:
    """Say which categories the grant does not cover, and that only a new consent helps."""
    asked = {bare_scope(scope) for scope in requested}
    have = {bare_scope(scope) for scope in granted}
    declined = sorted(asked - have)
    missing = categories_without(granted)
    unticked = [c.name for c in missing if c.scope in declined]
    if declined:
        log.warning(
            "the grant lacks the scope(s) %s: these categories will fail: %s. A refresh "
            "cannot add scopes; only a new consent does: run `oura-stats auth login` again "
            "and tick them",
            ", ".join(declined),
            ", ".join(unticked) or "none",
        )
    not_asked = [c.name for c in missing if c.scope not in asked]
    if not_asked:
        log.info("not requested, so probably unavailable: %s (see --scopes)", ", ".join(not_asked))


def login(
    request: LoginRequest,
    store: CredentialStore,
    *,
    session: requests.Session,
    manual: bool,
    open_browser: bool,
    stdin: IO[str],
    timeout: float = LOGIN_TIMEOUT,
) -> Credentials:
    say(f"Redirect URI to register in the Oura developer portal (exactly): {request.redirect_uri}")
    remember(request.client_secret)
    if manual:
        code = code_via_paste(request, stdin)
    else:
        code = code_via_listener(request, open_browser=open_browser, timeout=timeout)
    remember(code)
    credentials = exchange_code(request, code, session=session, clock=time.time())
    # Under the lock so that a refresh running in another process cannot overwrite us.
    store.save(credentials)
    log.info(
        "logged in (%s portal); credentials saved in the %s (token endpoint %s)",
        credentials.portal.name,
        store.where,
        credentials.token_url,
    )
    report_scopes(request.scopes, credentials.scopes)
    return credentials
