"""One exception hierarchy; `cli.py` turns each into one stderr line and an exit code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report a command ended by SIGINT


class OuraStatsError(Exception):
    """Base of every error this tool reports to the user as one line."""

    exit_code = EXIT_FAILED


class ConfigError(OuraStatsError):
    """Bad arguments, environment or files: the user must change something before rerunning."""

    exit_code = EXIT_USAGE


class WrongSourceError(ConfigError):
    """The output directory, state file or database holds another source's data; nothing
    was written (a service stops: no later round can do better)."""


class LockBusyError(OuraStatsError):
    """Another oura-stats run holds the lock on the state file."""


class StorageError(OuraStatsError):
    """A file could not be written (disk full, read-only file system): the old file stands."""


class StopRequested(OuraStatsError):
    """SIGTERM/SIGINT arrived; work in flight is abandoned without touching finished files."""


class ApiError(OuraStatsError):
    """The API refused or failed a request for one category (400/404/422/426, retries exhausted)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class UnreachableError(ApiError):
    """The API could not be reached at all (network, DNS, refused connections), retries spent."""


class ForbiddenError(ApiError):
    """403: the token lacks the scope for this category, or the Oura membership has lapsed."""


class AuthError(OuraStatsError):
    """The access token is invalid, expired or revoked and cannot be refreshed: stop the run."""


class DatabaseError(OuraStatsError):
    """The database mirror could not be written; the CSVs are unaffected."""
