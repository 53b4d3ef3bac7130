"""Revoking a grant at Oura, the way each portal wants it.

The legacy endpoint takes the access token as a URL parameter (so urllib3's debug log of
the request line is muted while it is sent); the new portal's endpoint is a standard
OAuth2 revocation endpoint (RFC 7009): the refresh token, posted with the client's
credentials, which ends the whole grant without refreshing first.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from urllib.parse import urlsplit

import requests

from oura_stats.auth.credentials import Credentials
from oura_stats.auth.oauth import HEADERS, TIMEOUT, TokenEndpointUnreachable
from oura_stats.auth.portals import NEW


@contextlib.contextmanager
def _urllib3_quiet() -> Iterator[None]:
    """Oura wants the token in the legacy revoke URL, which urllib3 logs at DEBUG: mute it."""
    logger = logging.getLogger("urllib3")
    previous = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)


def revoke(
    session: requests.Session, url: str, credentials: Credentials, access_token: str
) -> bool:
    """Ask Oura to revoke the grant; False when it does not know the token (already revoked).

    Raises TokenEndpointUnreachable for network errors and other answers. Exception texts
    from requests could contain the URL, and so the token: they are never passed on.
    """
    host = urlsplit(url).netloc
    with _urllib3_quiet():
        try:
            if credentials.portal is NEW:
                response = session.post(
                    url,
                    data={
                        "token": credentials.refresh_token,
                        "token_type_hint": "refresh_token",
                        "client_id": credentials.client_id,
                        "client_secret": credentials.client_secret,
                    },
                    headers=HEADERS,
                    timeout=TIMEOUT,
                )
            else:
                response = session.get(
                    url, params={"access_token": access_token}, headers=HEADERS, timeout=TIMEOUT
                )
        except requests.RequestException as exc:
            problem = f"{type(exc).__name__} talking to {host}"
            raise TokenEndpointUnreachable(f"could not revoke the token: {problem}") from None
    if response.ok:
        return True
    # RFC 7009 answers 200 for an unknown token; its 401 means the client was refused.
    refused_client = response.status_code == 401 and credentials.portal is NEW
    if response.status_code in (400, 401, 404) and not refused_client:
        return False
    raise TokenEndpointUnreachable(
        f"could not revoke the token: {host} answered {response.status_code}"
    )
