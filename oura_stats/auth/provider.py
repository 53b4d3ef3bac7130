"""Bearer tokens from OAuth2 credentials that refresh themselves, safely across processes.

Oura's refresh tokens are single-use: spending one makes the old pair useless, so the new
pair is saved (atomically, 0600) before its access token is used, and refreshes are
serialised by an flock beside the credentials file. A process that takes the lock and
finds the file already rotated by another process simply adopts the new tokens.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

from oura_stats.auth.credentials import LOCK_TIMEOUT, Credentials
from oura_stats.auth.oauth import TokenEndpointError, TokenEndpointUnreachable, request_tokens
from oura_stats.auth.reserve import CredentialsNotSaved
from oura_stats.auth.seam import CredentialStore, FileCredentials
from oura_stats.errors import AuthError
from oura_stats.scrub import remember

log = logging.getLogger(__name__)

REFRESH_MARGIN = 300.0  # refresh this many seconds before expiry …
MARGIN_FRACTION = 0.5  # … or halfway through a token's life, if that is shorter


def relogin_message(where: Path | str, reason: str) -> str:
    return (
        f"the Oura credentials in {where} are no longer valid ({reason}); "
        "run `oura-stats auth login` again"
    )


class OAuthTokenProvider:
    """A `TokenProvider` backed by saved credentials (a file at a path, or any store).

    Thread-safe; cheap to call before every request (it re-reads the credentials only when
    another process replaced them).
    """

    def __init__(
        self,
        store: CredentialStore | Path,
        *,
        token_url: str | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        lock_timeout: float = LOCK_TIMEOUT,
    ) -> None:
        self._store: CredentialStore = FileCredentials(store) if isinstance(store, Path) else store
        self._token_url_override = token_url
        self._session = session or requests.Session()
        self._clock = clock
        self._lock_timeout = lock_timeout
        self._mutex = threading.RLock()
        self._dead_refresh_token: str | None = None
        self._credentials: Credentials
        self._signature: object
        marker = self._store.marker()
        self._adopt(self._store.load(), marker)

    def __repr__(self) -> str:
        return f"OAuthTokenProvider({self._store.where!r})"

    @property
    def store(self) -> CredentialStore:
        return self._store

    def credentials(self) -> Credentials:
        """The current credentials, re-read if another process replaced them."""
        with self._mutex:
            marker = self._store.marker()
            if marker != self._signature:
                self._adopt(self._store.load(), marker)
            return self._credentials

    def access_token(self) -> str:
        current = self.credentials()
        if not self._due(current):
            return current.access_token
        try:
            return self._refresh(stale=current.access_token).access_token
        except TokenEndpointUnreachable as exc:
            if self._clock() < current.expires_at:
                log.warning("%s; using the current access token until it expires", exc)
                return current.access_token
            raise

    def renew_after_rejection(self, rejected: str) -> bool:
        renewed = self._refresh(stale=rejected)
        return renewed.access_token != rejected

    def _due(self, credentials: Credentials) -> bool:
        margin = min(REFRESH_MARGIN, credentials.lifetime * MARGIN_FRACTION)
        return self._clock() >= credentials.expires_at - margin

    def _adopt(self, credentials: Credentials, signature: object) -> None:
        for secret in (credentials.access_token, credentials.refresh_token):
            remember(secret)
        remember(credentials.client_secret)
        self._credentials = credentials
        self._signature = signature

    def _refresh(self, *, stale: str) -> Credentials:
        """Replace the `stale` access token, unless another process already did."""
        with self._mutex, self._store.refreshing(timeout=self._lock_timeout) as held:
            current = held.current
            self._adopt(current, None)
            if current.access_token != stale and not self._due(current):
                log.debug("access token was already refreshed by another process")
                return current
            if current.refresh_token == self._dead_refresh_token:
                raise AuthError(relogin_message(self._store.where, "refresh token refused earlier"))
            rotated = self._rotate(current)
            try:  # saved before anyone uses it: the old refresh token is already spent
                held.commit(rotated)
            except CredentialsNotSaved as exc:
                raise CredentialsNotSaved(relogin_message(self._store.where, str(exc))) from None
        self._adopt(rotated, self._store.marker())
        log.info(
            "refreshed the Oura access token; valid for %.0f more minutes",
            rotated.lifetime / 60,
        )
        return rotated

    def _rotate(self, current: Credentials) -> Credentials:
        url = self._token_url_override or current.token_url
        form = {
            "grant_type": "refresh_token",
            "refresh_token": current.refresh_token,
            "client_id": current.client_id,
            "client_secret": current.client_secret,
        }
        try:
            tokens, used_url = request_tokens(self._session, [url], form)
        except TokenEndpointError as exc:
            if exc.status in (400, 401) and exc.error in ("invalid_grant", "invalid_client"):
                self._dead_refresh_token = current.refresh_token
                raise AuthError(
                    relogin_message(self._store.where, exc.error or "refused")
                ) from None
            raise AuthError(
                f"refreshing the Oura access token failed: {exc} "
                "(a different endpoint can be given with --token-url)"
            ) from None
        now = self._clock()
        return current.replace(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token or current.refresh_token,
            obtained_at=now,
            expires_at=now + tokens.expires_in,
            scopes=tokens.scopes if tokens.scopes is not None else current.scopes,
            token_url=used_url,
        )
