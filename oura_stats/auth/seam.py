"""Where the OAuth2 credentials are kept: the small interface, and the file implementation.

A refresh spends a single-use refresh token, so it runs inside `refreshing()`: the store
is held (an flock, or a database row `FOR UPDATE`), the credentials are re-read there, and
the new pair is saved before the context ends and before anyone uses it. The PostgreSQL
store is `db/pgcredentials.py`; `run/homes.py` picks one, nothing else asks which.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from oura_stats.auth.credentials import (
    LOCK_TIMEOUT,
    Credentials,
    credentials_lock,
    file_signature,
    load_credentials,
    save_credentials,
)
from oura_stats.auth.reserve import CredentialsNotSaved, reserved_save


@dataclass
class Refresh:
    """The credentials as re-read under the store's lock, and how to save their successor
    (durably, before returning; CredentialsNotSaved when it cannot be)."""

    current: Credentials
    commit: Callable[[Credentials], None]


class CredentialStore(Protocol):
    where: str  # how messages name it: "credentials file ~/x.json", "database postgresql://…"

    def load(self) -> Credentials:
        """AuthError when none are saved; ConfigError when they cannot be read."""

    def marker(self) -> object:
        """Cheap; changes whenever another process saved new credentials."""

    def exists(self) -> bool: ...

    def save(self, credentials: Credentials) -> None:
        """Store a new grant (a login), under the store's lock."""

    def delete(self) -> bool:
        """Forget the grant; False when there was none."""

    def refreshing(self, *, timeout: float = LOCK_TIMEOUT) -> AbstractContextManager[Refresh]:
        """Hold the credentials for a refresh (see the module's docstring)."""


class FileCredentials:
    """The 0600 JSON file, its flock beside it, room reserved before a refresh."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = f"credentials file {path}"

    def load(self) -> Credentials:
        return load_credentials(self.path)

    def marker(self) -> object:
        return file_signature(self.path)

    def exists(self) -> bool:
        return self.path.exists()

    def save(self, credentials: Credentials) -> None:
        with credentials_lock(self.path):
            save_credentials(self.path, credentials)

    def delete(self) -> bool:
        if not self.path.exists():
            return False
        with credentials_lock(self.path), contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        return True

    @contextlib.contextmanager
    def refreshing(self, *, timeout: float = LOCK_TIMEOUT) -> Iterator[Refresh]:
        with credentials_lock(self.path, timeout=timeout):
            current = load_credentials(self.path)
            # The room to save the new pair is taken before the old refresh token is spent.
            with reserved_save(self.path, current) as reservation:

                def commit(rotated: Credentials) -> None:
                    try:
                        reservation.commit(rotated)
                    except OSError as exc:
                        raise CredentialsNotSaved(
                            f"the refreshed tokens could not be saved to {self.path}: {exc}"
                        ) from None

                yield Refresh(current, commit)
