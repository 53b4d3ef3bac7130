"""`auth status` and `auth logout`: inspect or remove the saved OAuth2 credentials."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import IO, Any

import requests

from oura_stats.auth.oauth import HEADERS, TIMEOUT, TokenEndpointUnreachable, categories_without
from oura_stats.auth.portals import NEW, sibling_revoke_url
from oura_stats.auth.provider import OAuthTokenProvider
from oura_stats.auth.revoke import revoke
from oura_stats.auth.seam import CredentialStore
from oura_stats.errors import AuthError

log = logging.getLogger(__name__)


def show_status(provider: OAuthTokenProvider, base_url: str, out: IO[str]) -> None:
    """Who is logged in (asked of personal_info, refreshing if needed), scopes, expiry.

    Never shows a token or the client secret.
    """
    user = _whoami(provider, base_url.rstrip("/"))
    credentials = provider.credentials()
    portal = credentials.portal
    recorded = "" if credentials.portal_name else " (inferred from the token endpoint)"
    kind, _, where = provider.store.where.partition(" file ")
    lines = [
        f"credentials file: {where}" if where else f"stored in:        {kind}",
        f"user:             {user}",
        f"portal:           {portal.name}{recorded}",
        f"client id:        {credentials.client_id}",
        f"token endpoint:   {credentials.token_url}",
        f"scopes:           {' '.join(credentials.scopes) or '(none reported)'}",
        f"access token:     expires {_when(credentials.expires_at)} (refreshed automatically)",
    ]
    # Only what the portal is asked for by default: other scopes may not be offered at all.
    missing = [
        c for c in categories_without(credentials.scopes) if c.scope in portal.default_scopes
    ]
    if missing:
        lines.append(
            f"not covered:      {', '.join(c.name for c in missing)} will fail (no "
            f"{'/'.join(sorted({c.scope for c in missing}))} scope); only a new consent, "
            "`oura-stats auth login`, adds scopes"
        )
    out.write("\n".join(lines) + "\n")


def _whoami(provider: OAuthTokenProvider, base_url: str) -> str:
    url = f"{base_url}/v2/usercollection/personal_info"
    token = provider.access_token()
    with requests.Session() as session:
        for attempt in range(2):
            try:
                response = session.get(
                    url, headers={**HEADERS, "Authorization": f"Bearer {token}"}, timeout=TIMEOUT
                )
            except requests.RequestException as exc:
                return f"unknown ({type(exc).__name__} reaching {base_url})"
            if response.status_code != 401 or attempt == 1:
                break
            if not provider.renew_after_rejection(token):
                break
            token = provider.access_token()
    if response.status_code == 401:
        raise AuthError("Oura rejects these credentials; run `oura-stats auth login` again")
    if not response.ok:
        return f"unknown (personal_info answered {response.status_code})"
    return _describe_user(response)


def _describe_user(response: requests.Response) -> str:
    try:
        info: Any = response.json()
    except ValueError:
        return "unknown (personal_info was not JSON)"
    if not isinstance(info, dict):
        return "unknown"
    email, user_id = info.get("email"), info.get("id")
    if email and user_id:
        return f"{email} (id {user_id})"
    return str(email or (f"id {user_id}" if user_id else "unknown"))


def _when(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    minutes = round((timestamp - time.time()) / 60)
    if minutes >= 0:
        return f"{moment}, in {minutes // 60} h {minutes % 60} min"
    return f"{moment}, {-minutes // 60} h {-minutes % 60} min ago"


def logout(
    store: CredentialStore, *, token_url: str | None, revoke_url: str | None, revoke_first: bool
) -> None:
    """Revoke the grant at Oura (unless told not to), then delete the credentials file.

    If Oura cannot be reached the file is kept: deleting it would leave a live grant
    that nobody can revoke any more.
    """
    if not store.exists():
        log.info("not logged in: no credentials in the %s", store.where)
        return
    if revoke_first:
        with requests.Session() as session:
            provider = OAuthTokenProvider(store, token_url=token_url, session=session)
            revoke_grant(provider, session, revoke_url)
    store.delete()
    log.info("logged out: deleted the credentials in the %s", store.where)


def revoke_grant(
    provider: OAuthTokenProvider,
    session: requests.Session,
    revoke_url: str | None,
    *,
    kept: str = "the credentials file was kept (retry, or run `auth logout --no-revoke`)",
) -> None:
    """Ask Oura to end the grant; AuthError (saying what was `kept`) when it cannot be asked."""
    keep = f"; {kept}"
    credentials = provider.credentials()
    token = ""
    if credentials.portal is not NEW:  # legacy revokes an access token: a live one
        try:
            token = provider.access_token()
        except TokenEndpointUnreachable as exc:
            raise AuthError(f"{exc}{keep}") from None
        except AuthError:
            log.warning("the saved credentials no longer work: there is no grant left to revoke")
            return
        credentials = provider.credentials()
    url = revoke_url or sibling_revoke_url(credentials.token_url, credentials.portal)
    try:
        revoked = revoke(session, url, credentials, token)
    except TokenEndpointUnreachable as exc:
        raise AuthError(f"{exc}{keep}") from None
    if revoked:
        log.info("revoked the grant at Oura")
    else:
        log.warning("Oura did not recognise the access token; it was probably revoked already")
