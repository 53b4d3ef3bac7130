"""`oura-stats enroll`: the pages a participant opens from their invitation link.

The link (`/enroll/SECRET`) shows whom it enrols; "Continue" (`/enroll/SECRET/start`)
binds a fresh OAuth `state` to the link, sets it in a cookie and sends the browser to
Oura's consent page; Oura sends it back to `/callback`, where the state must match both
the cookie (so nobody can complete a login they did not start in this browser) and a
usable link. Only then is the code exchanged, the Oura user identified, and the link used
up together with the enrolment and the tokens, in one transaction. Nothing secret is ever
put in a page or a log line, and no page can be framed or leak its address as a referrer.
"""

from __future__ import annotations

import html
import http.server
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import requests

from oura_stats.auth.oauth import TokenResponse, request_tokens
from oura_stats.db.participants import AlreadyEnrolled, LinkUsed, Registry
from oura_stats.errors import OuraStatsError

log = logging.getLogger(__name__)

COOKIE = "oura_stats_enrol"
CALLBACK_PATH = "/callback"
HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'none'; frame-ancestors 'none'",
}
STYLE = "body{font:16px/1.5 system-ui,sans-serif;max-width:34em;margin:3em auto;padding:0 1em}"

# Stores a new participant's tokens inside the enrolment's transaction (cursor, name, tokens).
TokenSink = Callable[[Any, str, TokenResponse], None]
# The Oura user id an access token belongs to (personal_info's id).
Identify = Callable[[str], str]


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment pages need: the app's OAuth settings and the public address."""

    public_url: str  # as the participant's browser reaches this server, without a trailing /
    client_id: str
    client_secret: str = field(repr=False)
    authorize_url: str
    token_urls: tuple[str, ...]
    scopes: tuple[str, ...]

    @property
    def redirect_uri(self) -> str:
        return self.public_url + CALLBACK_PATH

    def consent_url(self, state: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": " ".join(self.scopes),
                "state": state,
            },
            quote_via=quote,
        )
        separator = "&" if "?" in self.authorize_url else "?"
        return f"{self.authorize_url}{separator}{query}"


@dataclass
class Page:
    status: int
    title: str
    text: str
    headers: dict[str, str] = field(default_factory=dict)


def page_bytes(page: Page) -> bytes:
    return (
        f"<!doctype html><html lang=en><meta charset=utf-8>"
        f'<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(page.title)}</title><style>{STYLE}</style>"
        f"<h1>{html.escape(page.title)}</h1>{page.text}\n"
    ).encode()


NOT_VALID = Page(
    404,
    "This link does not work",
    "<p>It was already used, has expired, or was copied incompletely. Nothing was stored. "
    "Please ask the study team for a new link.</p>",
)


class EnrolPages:
    """The three pages, as functions of the request: the HTTP layer only sends them."""

    def __init__(
        self, settings: Enrolment, registry: Registry, save: TokenSink, identify: Identify
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.save = save
        self.identify = identify
        self._lock = threading.Lock()  # one registry connection: one request at a time
        self._session = requests.Session()

    def answer(self, path: str, cookie_header: str | None) -> Page:
        parts = urlsplit(path)
        segments = [s for s in parts.path.split("/") if s]
        with self._lock:
            try:
                if len(segments) == 2 and segments[0] == "enroll":
                    return self.landing(segments[1])
                if len(segments) == 3 and segments[0] == "enroll" and segments[2] == "start":
                    return self.start(segments[1])
                if parts.path == CALLBACK_PATH:
                    return self.callback(parse_qs(parts.query), _cookie(cookie_header))
            except OuraStatsError as error:
                log.error("enrolment failed: %s", error)
                return Page(
                    500,
                    "Something went wrong",
                    "<p>Nothing was stored. Please try "
                    "your link again later, or tell the study team.</p>",
                )
        return Page(404, "Not found", "<p>There is nothing here.</p>")

    def landing(self, secret: str) -> Page:
        name = self.registry.open_invite(secret)
        if name is None:
            return NOT_VALID
        start = f"/enroll/{quote(secret)}/start"
        return Page(
            200,
            "Share your Oura data with the study",
            f"<p>This link enrols you as participant <b>{html.escape(name)}</b>. Oura will ask "
            "you to sign in and to approve which data the study may read.</p>"
            f'<p><a href="{html.escape(start)}">Continue to Oura</a></p>',
        )

    def start(self, secret: str) -> Page:
        state = secrets.token_urlsafe(24)
        if self.registry.start_login(secret, state) is None:
            return NOT_VALID
        secure = "; Secure" if self.settings.public_url.startswith("https:") else ""
        return Page(
            302,
            "Continuing to Oura",
            "<p>Continuing to Oura's consent page…</p>",
            {
                "Location": self.settings.consent_url(state),
                "Set-Cookie": f"{COOKIE}={state}; Path=/; HttpOnly; SameSite=Lax; "
                f"Max-Age=3600{secure}",
            },
        )

    def callback(self, params: dict[str, list[str]], cookie: str) -> Page:
        state = _first(params, "state")
        if not state or not cookie or not secrets.compare_digest(state, cookie):
            log.warning("enrolment: refused a callback whose state this browser did not start")
            return Page(
                400,
                "This page was not opened from your enrolment link",
                "<p>Nothing was stored. Open the link the study team sent you, in this browser, "
                "and start again.</p>",
            )
        name = self.registry.login_name(state)
        if name is None:
            return NOT_VALID
        if _first(params, "error"):
            log.info("enrolment of %s: consent was not given", name)
            return Page(
                200,
                "No data is shared",
                "<p>You did not approve access, so nothing was stored. If that was a mistake, "
                "open your link again.</p>",
            )
        tokens = self.exchange(_first(params, "code"))
        if tokens is None:
            return Page(
                502,
                "Oura did not confirm",
                "<p>Nothing was stored. Please open your link again in a few minutes.</p>",
            )
        user_id = self.identify(tokens.access_token)
        try:
            with self.registry.completing(state) as (name, cursor):
                self.registry.enrol(name, user_id, cursor)
                self.save(cursor, name, tokens)
        except LinkUsed:
            return NOT_VALID
        except AlreadyEnrolled:
            log.warning("enrolment of %s refused: that Oura user is enrolled already", name)
            return Page(
                409,
                "You are already enrolled",
                "<p>This Oura account is already enrolled in the study under another name, "
                "so nothing was changed. Please tell the study team.</p>",
            )
        log.info("enrolled participant %s", name)
        return Page(
            200,
            "Thank you: you are enrolled",
            f"<p>Participant <b>{html.escape(name)}</b>: the study can now read the Oura data "
            "you approved. You can close this page. To stop sharing, tell the study team or "
            "remove the application in your Oura account.</p>",
        )

    def exchange(self, code: str) -> TokenResponse | None:
        if not code:
            return None
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.settings.redirect_uri,
            "client_id": self.settings.client_id,
            "client_secret": self.settings.client_secret,
        }
        try:
            tokens, _ = request_tokens(self._session, self.settings.token_urls, form)
        except OuraStatsError as error:
            log.error("enrolment: the code exchange failed: %s", error)
            return None
        return tokens


def _first(params: dict[str, list[str]], name: str) -> str:
    values = params.get(name)
    return values[0] if values else ""


def _cookie(header: str | None) -> str:
    if not header:
        return ""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return ""
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None else ""


class _Handler(http.server.BaseHTTPRequestHandler):
    server: EnrolServer
    timeout = 30

    def do_GET(self) -> None:
        page = self.server.pages.answer(self.path, self.headers.get("Cookie"))
        body = page_bytes(page)
        self.send_response(page.status)
        for name, value in {**HEADERS, **page.headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.send_response(405)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Silent: request lines carry link secrets and authorization codes."""


class EnrolServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], pages: EnrolPages) -> None:
        super().__init__(address, _Handler)
        self.pages = pages
