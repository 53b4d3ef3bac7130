"""A local fake of Oura's OAuth2 servers over real HTTP (127.0.0.1, a free port).

It serves both portals on one host, at their real paths:
- legacy: `/oauth/authorize`, `/oauth/token`, `/oauth/revoke?access_token=…`;
- new (moi): `/oauth/v2/ext/oauth-authorize`, `/oauth/v2/ext/oauth-token`,
  `/oauth/v2/ext/oauth-revoke` (RFC 7009: POST `token` with the client's credentials).

The authorize pages auto-approve: 302 to `redirect_uri` with a code and the caller's
state (an error redirect for an unknown client or when `deny` is set). The scopes granted
are those requested, minus any the test "unticks" via `user_grants`. Like Oura's:
- a client belongs to one portal (`portal=`; None: accepted by both, as older tests
  assume); the other portal's endpoints answer `invalid_client` (the new portal's consent
  page by an error redirect, the legacy one by dropping the scopes, then its token
  endpoint refuses);
- the new portal grants only `extapi:` scope names (plain ones are silently not granted);
  the legacy consent page answers `invalid_scope` to prefixed names.
Token endpoints take form-encoded `authorization_code` (single-use codes bound to client
and redirect URI) and `refresh_token` (rotating single-use refresh tokens; an old one gets
400 `invalid_grant`); a wrong client secret gets 401 `invalid_client`. Access tokens live
`expires_in` seconds. Any path can be made to refuse everything (`refusing`).

`is_valid_access_token` lets the API fake (`FakeOura(token_check=…)`) accept what this
server issued. Counters and `calls` let tests assert exactly how many refreshes happened.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/token"
REVOKE_PATH = "/oauth/revoke"
NEW_AUTHORIZE_PATH = "/oauth/v2/ext/oauth-authorize"
NEW_PORTAL_TOKEN_PATH = "/oauth/v2/ext/oauth-token"
NEW_REVOKE_PATH = "/oauth/v2/ext/oauth-revoke"
NEW_PATHS = (NEW_AUTHORIZE_PATH, NEW_PORTAL_TOKEN_PATH, NEW_REVOKE_PATH)
CODE_LIFETIME = 600.0

CLIENT_ID = "test-client"
CLIENT_SECRET = "client-secret-7f3a9c"  # the fake's own test credential


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    expires_at: float
    user: str | None = None


@dataclass
class _Grant:
    client_id: str
    scopes: tuple[str, ...]
    refresh_token: str
    revoked: bool = False
    user: str | None = None  # who signed in on the consent page (a cohort's participant)
    access_tokens: dict[str, float] = field(default_factory=dict)  # token → expiry


@dataclass(frozen=True)
class TokenCall:
    path: str
    grant_type: str
    status: int
    error: str | None


class FakeOAuth:
    def __init__(
        self,
        *,
        clients: dict[str, str] | None = None,
        expires_in: float = 3600,
        user_grants: set[str] | None = None,
        deny: bool = False,
        refresh_delay: float = 0.0,
        portal: str | None = None,
    ) -> None:
        self.clients = dict(clients) if clients is not None else {CLIENT_ID: CLIENT_SECRET}
        # client id → the portal it was created in; absent: both accept it
        self.client_portals: dict[str, str] = dict.fromkeys(self.clients, portal) if portal else {}
        self.expires_in = expires_in
        self.user_grants = user_grants  # None: the user ticks every scope asked for
        self.deny = deny
        self.refresh_delay = refresh_delay  # widens race windows in concurrency tests
        # path → (status, OAuth2 error) answered to every token request there
        self.refusing: dict[str, tuple[int, str]] = {}
        self.failures_left = 0  # token requests still to answer 503
        self.lock = threading.Lock()
        self.url = ""
        self.calls: list[TokenCall] = []
        self.authorize_requests: list[dict[str, str]] = []
        self.code_exchanges = 0
        self.refreshes = 0
        self.rejected_refreshes = 0
        self.revocations = 0
        self._codes: dict[str, _Code] = {}
        self._grants: list[_Grant] = []
        self.signed_in_user: str | None = None  # the Oura user the consent page acts for
        self._issued: list[str] = list(self.clients.values())
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeOAuth:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOAuth:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def authorize_url(self) -> str:
        return self.url + AUTHORIZE_PATH

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    @property
    def new_portal_token_url(self) -> str:
        return self.url + NEW_PORTAL_TOKEN_PATH

    @property
    def revoke_url(self) -> str:
        return self.url + REVOKE_PATH

    @property
    def new_authorize_url(self) -> str:
        return self.url + NEW_AUTHORIZE_PATH

    @property
    def new_revoke_url(self) -> str:
        return self.url + NEW_REVOKE_PATH

    def url_env(self, portal: str = "new") -> dict[str, str]:
        """The URL environment variables that send a portal's endpoints to this host."""
        from oura_stats.auth.portals import PORTALS

        real = PORTALS[portal]
        return {
            name: self.url + urlsplit(url).path
            for name, url in (
                ("OURA_AUTH_URL", real.authorize_url),
                ("OURA_TOKEN_URL", real.token_url),
                ("OURA_REVOKE_URL", real.revoke_url),
            )
        }

    # --- what tests look at and change ----------------------------------------------------

    def is_valid_access_token(self, token: str) -> bool:
        now = time.time()
        with self.lock:
            return any(
                not grant.revoked and grant.access_tokens.get(token, 0.0) > now
                for grant in self._grants
            )

    def user_of(self, token: str) -> str | None:
        """The user a valid access token was issued for (None: invalid, or no user)."""
        now = time.time()
        with self.lock:
            for grant in self._grants:
                if not grant.revoked and grant.access_tokens.get(token, 0.0) > now:
                    return grant.user
        return None

    def revoke_user(self, user: str) -> None:
        """That user removed the app in Oura: their tokens stop working, refreshes fail."""
        with self.lock:
            for grant in self._grants:
                if grant.user == user:
                    grant.revoked = True

    def is_current_refresh_token(self, token: str) -> bool:
        with self.lock:
            return any(g.refresh_token == token and not g.revoked for g in self._grants)

    def secrets(self) -> list[str]:
        """Every secret this server knows or issued: none may ever appear in output."""
        with self.lock:
            return list(self._issued)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working now (the API answers 401)."""
        with self.lock:
            for grant in self._grants:
                grant.access_tokens = dict.fromkeys(grant.access_tokens, 0.0)

    def revoke_all(self) -> None:
        """The user revoked the app in Oura's settings: refreshing gets `invalid_grant`."""
        with self.lock:
            for grant in self._grants:
                grant.revoked = True

    def grant(
        self, scopes: tuple[str, ...] = ("daily", "personal"), user: str | None = None
    ) -> dict[str, Any]:
        """A token response for a new grant, as if a login had just happened."""
        with self.lock:
            grant = _Grant(CLIENT_ID, scopes, self._new("rt"), user=user)
            self._grants.append(grant)
            return self._tokens(grant)

    def refreshes_at(self, path: str) -> int:
        return sum(1 for c in self.calls if c.path == path and c.grant_type == "refresh_token")

    # --- internals ------------------------------------------------------------------------

    def _new(self, kind: str) -> str:
        token = f"{kind}-{secrets.token_urlsafe(18)}"
        self._issued.append(token)
        return token

    def _tokens(self, grant: _Grant) -> dict[str, Any]:
        access = self._new("at")
        grant.access_tokens[access] = time.time() + self.expires_in
        return {
            "token_type": "bearer",
            "access_token": access,
            "refresh_token": grant.refresh_token,
            "expires_in": self.expires_in,
            "scope": " ".join(grant.scopes),
        }

    def _foreign(self, client_id: str, path: str) -> bool:
        """True when `client_id` was created in the other portal than `path`'s."""
        portal = self.client_portals.get(client_id)
        return portal is not None and portal != ("new" if path in NEW_PATHS else "legacy")

    def authorize(
        self, params: dict[str, str], path: str = AUTHORIZE_PATH
    ) -> tuple[int, dict[str, str], str]:
        """(status, headers, text) for GET on either portal's authorize path."""
        self.authorize_requests.append(params)
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri:
            return 400, {}, "redirect_uri missing"
        if urlsplit(redirect_uri).hostname == "127.0.0.1" and path == NEW_AUTHORIZE_PATH:
            return 400, {}, "invalid_request: redirect_uri"  # moi wants localhost
        reply = {"state": params["state"]} if "state" in params else {}
        client_id = params.get("client_id", "")
        asked = tuple(params.get("scope", "").split())
        new_portal = path == NEW_AUTHORIZE_PATH
        if client_id not in self.clients:
            reply["error"] = "unauthorized_client"
        elif new_portal and self._foreign(client_id, path):
            reply["error"] = "invalid_client"
        elif not new_portal and any(":" in name for name in asked):
            reply["error"] = "invalid_scope"
        elif self.deny:
            reply["error"] = "access_denied"
        else:
            ticked = self.user_grants
            scopes = tuple(s for s in asked if ticked is None or s.split(":")[-1] in ticked)
            if new_portal:
                scopes = tuple(s for s in scopes if s.startswith("extapi:"))
            elif self._foreign(client_id, path):
                scopes = ()  # the legacy page passes a new-portal app on, scopes dropped
            with self.lock:
                code = self._new("code")
                self._codes[code] = _Code(
                    client_id,
                    redirect_uri,
                    scopes,
                    time.time() + CODE_LIFETIME,
                    self.signed_in_user,
                )
            reply["code"] = code
        location = f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode(reply)}"
        return 302, {"Location": location}, ""

    def token(self, path: str, form: dict[str, str], basic: str | None) -> tuple[int, Any]:
        grant_type = form.get("grant_type", "")
        if grant_type == "refresh_token" and self.refresh_delay:
            time.sleep(self.refresh_delay)  # before the atomic check-and-rotate below
        with self.lock:
            status, body = self._token_locked(path, form, basic, grant_type)
            error = body.get("error") if isinstance(body, dict) else None
            self.calls.append(TokenCall(path, grant_type, status, error))
        return status, body

    def _token_locked(
        self, path: str, form: dict[str, str], basic: str | None, grant_type: str
    ) -> tuple[int, dict[str, Any]]:
        if path in self.refusing:
            status, error = self.refusing[path]
            return status, {"error": error}
        if self.failures_left > 0:
            self.failures_left -= 1
            return 503, {"error": "temporarily_unavailable"}
        client_id, secret = _client_credentials(form, basic)
        if self.clients.get(client_id) != secret or not secret or self._foreign(client_id, path):
            return 401, {"error": "invalid_client", "error_description": "Invalid client"}
        if grant_type == "authorization_code":
            return self._exchange(client_id, form)
        if grant_type == "refresh_token":
            return self._refresh(client_id, form.get("refresh_token", ""))
        return 400, {"error": "unsupported_grant_type"}

    def _exchange(self, client_id: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        code = self._codes.pop(form.get("code", ""), None)  # single use, even when refused
        if (
            code is None
            or code.expires_at < time.time()
            or code.client_id != client_id
            or code.redirect_uri != form.get("redirect_uri")
        ):
            return 400, {"error": "invalid_grant"}
        grant = _Grant(client_id, code.scopes, self._new("rt"), user=code.user)
        self._grants.append(grant)
        self.code_exchanges += 1
        return 200, self._tokens(grant)

    def _refresh(self, client_id: str, token: str) -> tuple[int, dict[str, Any]]:
        for grant in self._grants:
            if grant.refresh_token == token and grant.client_id == client_id and token:
                if grant.revoked:
                    break
                grant.refresh_token = self._new("rt")  # the old one is dead from now on
                self.refreshes += 1
                return 200, self._tokens(grant)
        self.rejected_refreshes += 1
        return 400, {"error": "invalid_grant", "error_description": "refresh token is invalid"}

    def revoke_rfc7009(self, form: dict[str, str], basic: str | None) -> tuple[int, Any]:
        """The new portal's revocation: either token of a grant ends it; 200 for unknown ones."""
        client_id, secret = _client_credentials(form, basic)
        if self.clients.get(client_id) != secret or not secret:
            return 401, {"error": "invalid_client"}
        token = form.get("token", "")
        with self.lock:
            for grant in self._grants:
                mine = token == grant.refresh_token or token in grant.access_tokens
                if token and mine and not grant.revoked and grant.client_id == client_id:
                    grant.revoked = True
                    self.revocations += 1
        return 200, {}

    def revoke(self, token: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            for grant in self._grants:
                if token in grant.access_tokens and not grant.revoked:
                    grant.revoked = True
                    self.revocations += 1
                    return 200, {}
        return 400, {"error": "invalid_token"}


def _client_credentials(form: dict[str, str], basic: str | None) -> tuple[str, str]:
    if basic and basic.lower().startswith("basic "):
        decoded = base64.b64decode(basic[6:]).decode()
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return form.get("client_id", ""), form.get("client_secret", "")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeOAuth


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request lines carry codes and tokens."""

    def do_GET(self) -> None:
        self._serve({})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        self._serve({k: v[0] for k, v in parse_qs(body).items()})

    def _serve(self, form: dict[str, str]) -> None:
        parts = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        fake = self.server.fake
        if parts.path in (AUTHORIZE_PATH, NEW_AUTHORIZE_PATH) and self.command == "GET":
            status, headers, text = fake.authorize(params, parts.path)
            self._send(status, text.encode(), "text/plain", headers)
        elif parts.path == NEW_REVOKE_PATH and self.command == "POST":
            status, payload = fake.revoke_rfc7009(form, self.headers.get("Authorization"))
            self._send(status, json.dumps(payload).encode(), "application/json")
        elif parts.path in (TOKEN_PATH, NEW_PORTAL_TOKEN_PATH) and self.command == "POST":
            status, payload = fake.token(parts.path, form, self.headers.get("Authorization"))
            self._send(status, json.dumps(payload).encode(), "application/json")
        elif parts.path == REVOKE_PATH:
            status, payload = fake.revoke(
                params.get("access_token") or form.get("access_token", "")
            )
            self._send(status, json.dumps(payload).encode(), "application/json")
        else:
            self._send(404, b'{"error":"not_found"}', "application/json")

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


# --- helpers for the auth tests ---------------------------------------------------------


def logged_in(
    fake: FakeOAuth,
    path: Any,
    *,
    token_url: str | None = None,
    scopes: tuple[str, ...] = ("daily", "personal"),
    portal: str | None = None,
) -> Any:
    """Write the credentials file a successful `auth login` against `fake` would write.

    Without `portal`, the file has no portal field, like those saved before it existed.
    """
    from oura_stats.auth.credentials import Credentials, save_credentials

    tokens = fake.grant(scopes)
    now = time.time()
    credentials = Credentials(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_url=token_url or fake.token_url,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        obtained_at=now,
        expires_at=now + float(tokens["expires_in"]),
        scopes=scopes,
        portal_name=portal,
    )
    save_credentials(path, credentials)
    return credentials


def age_credentials(path: Any, seconds: float) -> None:
    """Pretend `seconds` have passed since the file's access token was issued."""
    from oura_stats.auth.credentials import load_credentials, save_credentials

    current = load_credentials(path)
    save_credentials(
        path,
        current.replace(
            obtained_at=current.obtained_at - seconds, expires_at=current.expires_at - seconds
        ),
    )
