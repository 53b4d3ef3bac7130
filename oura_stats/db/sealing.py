"""Tokens at rest in a database: sealed with a key from OURA_STATS_SECRET_KEY (Fernet:
AES-128-CBC with HMAC-SHA256, encrypt-then-MAC, from the `cryptography` library of the
`postgres` extra), or stored plain only when the user said so (--plain-tokens).

The key may be any text (a Kubernetes Secret): a 32-byte key is derived from it with
scrypt, so a short or non-random value is still costly to guess from a stolen row.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from typing import Any

from oura_stats.errors import ConfigError

KEY_ENV = "OURA_STATS_SECRET_KEY"
_SALT = b"oura-stats credentials v1"
_SEALED, _PLAIN = "fernet:", "plain:"


@dataclass(frozen=True)
class Sealer:
    """Seals and opens the credentials text; `key` None means plain (only if allowed)."""

    key: bytes | None
    plain_allowed: bool = False

    @classmethod
    def from_environment(cls, *, plain_allowed: bool) -> Sealer:
        secret = os.environ.get(KEY_ENV, "")
        return cls(derive_key(secret) if secret else None, plain_allowed)

    def check(self) -> None:
        """Refuse, before anything is spent, to store tokens it could not seal."""
        if self.key is None and not self.plain_allowed:
            raise ConfigError(
                f"refusing to store tokens in the database unencrypted: set {KEY_ENV} "
                "(any long random text, kept secret), or pass --plain-tokens"
            )
        if self.key is not None:
            _fernet(self.key)  # the library is there

    def seal(self, text: str) -> str:
        self.check()
        if self.key is None:
            return _PLAIN + text
        token: bytes = _fernet(self.key).encrypt(text.encode())
        return _SEALED + token.decode("ascii")

    def open(self, sealed: str, where: str) -> str:
        if sealed.startswith(_PLAIN):
            return sealed.removeprefix(_PLAIN)
        if self.key is None:
            raise ConfigError(
                f"the credentials in the {where} are encrypted: set {KEY_ENV} to the key "
                "they were stored with"
            )
        from cryptography.fernet import InvalidToken  # noqa: PLC0415 - optional dependency

        try:
            opened: bytes = _fernet(self.key).decrypt(sealed.removeprefix(_SEALED).encode())
        except (InvalidToken, ValueError):
            raise ConfigError(
                f"{KEY_ENV} does not open the credentials in the {where} (a wrong key?); "
                "set the key they were stored with, or log in again with `auth login --db`"
            ) from None
        return opened.decode()


def derive_key(secret: str) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=_SALT, n=1 << 14, r=8, p=1, dklen=32)


def _fernet(key: bytes) -> Any:
    try:
        from cryptography.fernet import Fernet  # noqa: PLC0415 - optional dependency
    except ImportError as error:
        raise ConfigError(
            "encrypting tokens needs the postgres extra: pip install 'oura-stats[postgres]'"
        ) from error
    return Fernet(base64.urlsafe_b64encode(key))
