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

from oura_stats.auth.credentials import (
    LOCK_TIMEOUT,
    Credentials,
    credentials_lock,
    file_signature,
    load_credentials,
)
from oura_stats.auth.oauth import TokenEndpointError, TokenEndpointUnreachable, request_tokens
from oura_stats.auth.reserve import CredentialsNotSaved, Reservation, reserved_save
from oura_stats.errors import AuthError
from oura_stats.scrub import remember

log = logging.getLogger(__name__)

REFRESH_MARGIN = 300.0  # refresh this many seconds before expiry …
MARGIN_FRACTION = 0.5  # … or halfway through a token's life, if that is shorter


def relogin_message(path: Path, reason: str) -> str:
    return (
        f"the Oura credentials in {path} are no longer valid ({reason}); "
        "run `oura-stats auth login` again"
    )


class OAuthTokenProvider:
    """A `TokenProvider` backed by the credentials file at `path`.

    Thread-safe; cheap to call before every request (it re-reads the file only when
    another process replaced it).
    """

    def __init__(
        self,
        path: Path,
        *,
        token_url: str | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        lock_timeout: float = LOCK_TIMEOUT,
    ) -> None:
        self._path = path
        self._token_url_override = token_url
        self._session = session or requests.Session()
        self._clock = clock
        self._lock_timeout = lock_timeout
        self._mutex = threading.RLock()
        self._dead_refresh_token: str | None = None
        self._credentials: Credentials
        self._signature: tuple[int, int, int] | None
        self._adopt(load_credentials(path), file_signature(path))

    def __repr__(self) -> str:
        return f"OAuthTokenProvider(path={str(self._path)!r})"

    @property
    def path(self) -> Path:
        return self._path

    def credentials(self) -> Credentials:
        """The current credentials, re-read if another process replaced the file."""
        with self._mutex:
            signature = file_signature(self._path)
            if signature != self._signature:
                self._adopt(load_credentials(self._path), signature)
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

    def _adopt(self, credentials: Credentials, signature: tuple[int, int, int] | None) -> None:
        for secret in (credentials.access_token, credentials.refresh_token):
            remember(secret)
        remember(credentials.client_secret)
        self._credentials = credentials
        self._signature = signature

    def _refresh(self, *, stale: str) -> Credentials:
        """Replace the `stale` access token, unless another process already did."""
        with self._mutex, credentials_lock(self._path, timeout=self._lock_timeout):
            signature = file_signature(self._path)
            current = load_credentials(self._path)
            self._adopt(current, signature)
            if current.access_token != stale and not self._due(current):
                log.debug("access token was already refreshed by another process")
                return current
            if current.refresh_token == self._dead_refresh_token:
                raise AuthError(relogin_message(self._path, "refresh token refused earlier"))
            # The room to save the new pair is taken before the old refresh token is spent.
            with reserved_save(self._path, current) as reservation:
                rotated = self._rotate(current)
                # Saved before anyone uses it: the old refresh token is already spent.
                self._commit(reservation, rotated)
            self._adopt(rotated, file_signature(self._path))
        log.info(
            "refreshed the Oura access token; valid for %.0f more minutes",
            rotated.lifetime / 60,
        )
        return rotated

    def _commit(self, reservation: Reservation, rotated: Credentials) -> None:
        try:
            reservation.commit(rotated)
        except OSError as exc:
            raise CredentialsNotSaved(
                relogin_message(self._path, f"the refreshed tokens could not be saved: {exc}")
            ) from None

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
                raise AuthError(relogin_message(self._path, exc.error or "refused")) from None
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
