"""Where the client gets its bearer token from, without knowing how it was obtained."""

from __future__ import annotations

from typing import Protocol


class TokenProvider(Protocol):
    """Supplies the access token; may be able to replace one the API rejected."""

    def access_token(self) -> str:
        """The token to send now (refreshing first if it is about to expire)."""
        ...

    def renew_after_rejection(self, rejected: str) -> bool:
        """The API answered 401 to `rejected`: get a new token if possible.

        Returns True when `access_token()` now returns a different, usable token.
        """
        ...


class StaticToken:
    """A token given on the command line or in the environment: it cannot be renewed."""

    def __init__(self, token: str) -> None:
        self._token = token

    def access_token(self) -> str:
        return self._token

    def renew_after_rejection(self, rejected: str) -> bool:
        return False

    def __repr__(self) -> str:  # never show the secret, even in a debugger or a traceback
        return "StaticToken(<redacted>)"
