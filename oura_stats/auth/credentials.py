"""The OAuth2 credentials file: where it lives, its contents, atomic 0600 writes, its lock.

The file holds secrets (the token pair and the client secret), so it is only ever written
through `atomic_writer` with mode 0600: the temp file is 0600 from creation and replaces
the old file in one rename. Nothing in this module logs or prints a secret.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import logging
import os
import stat
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oura_stats.auth.defaults import CREDENTIALS_ENV
from oura_stats.auth.portals import PORTALS, Portal, portal_of_token_url
from oura_stats.errors import AuthError, ConfigError
from oura_stats.store.atomic import write_text_atomic
from oura_stats.store.lock import open_lock_file

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
FILE_NAME = "credentials.json"
LOCK_TIMEOUT = 120.0  # longer than one refresh with its retries; shorter than a cron period


@dataclass(frozen=True)
class Credentials:
    """One OAuth2 grant: whose app, which endpoint, the current token pair and its expiry."""

    client_id: str
    token_url: str
    expires_at: float  # Unix time
    obtained_at: float  # Unix time the current access token was issued
    scopes: tuple[str, ...]
    client_secret: str = field(repr=False)
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    # The portal the application belongs to; None in files saved before it was recorded.
    portal_name: str | None = None
    # The API these credentials were logged in for, when not Oura's own (`auth status` asks it).
    api_base_url: str | None = None

    @property
    def lifetime(self) -> float:
        return max(0.0, self.expires_at - self.obtained_at)

    @property
    def portal(self) -> Portal:
        """The saved portal, else the one the saved token endpoint belongs to."""
        if self.portal_name in PORTALS:
            return PORTALS[self.portal_name]
        return portal_of_token_url(self.token_url)

    def to_json(self) -> str:
        document: dict[str, Any] = {
            "version": FORMAT_VERSION,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "token_url": self.token_url,
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "obtained_at": _iso(self.obtained_at),
            "expires_at": _iso(self.expires_at),
            "scopes": list(self.scopes),
        }
        if self.portal_name:
            document["portal"] = self.portal_name
        if self.api_base_url:
            document["api_base_url"] = self.api_base_url
        return json.dumps(document, indent=2) + "\n"

    def replace(self, **changes: Any) -> Credentials:
        return dataclasses.replace(self, **changes)


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def _timestamp(text: Any, name: str) -> float:
    if not isinstance(text, str):
        raise ValueError(f"{name} is missing")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{name} has no UTC offset")
    return moment.timestamp()


def _text(document: Mapping[str, Any], name: str) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} is missing")
    return value


def parse_credentials(text: str) -> Credentials:
    """The credentials in `text`; ValueError (naming the field, never its value) if malformed."""
    document = json.loads(text)
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    if document.get("version") != FORMAT_VERSION:
        raise ValueError(f"unsupported version {document.get('version')!r}")
    scopes = document.get("scopes", [])
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise ValueError("scopes is not a list of names")
    portal = document.get("portal")
    if portal is not None and portal not in PORTALS:
        raise ValueError(f"portal is not one of {', '.join(PORTALS)}")
    api_base_url = document.get("api_base_url")
    if api_base_url is not None and not isinstance(api_base_url, str):
        raise ValueError("api_base_url is not text")
    return Credentials(
        client_id=_text(document, "client_id"),
        client_secret=_text(document, "client_secret"),
        token_url=_text(document, "token_url"),
        access_token=_text(document, "access_token"),
        refresh_token=_text(document, "refresh_token"),
        obtained_at=_timestamp(document.get("obtained_at"), "obtained_at"),
        expires_at=_timestamp(document.get("expires_at"), "expires_at"),
        scopes=tuple(scopes),
        portal_name=portal,
        api_base_url=api_base_url or None,
    )


def default_path(environ: Mapping[str, str] | None = None) -> Path:
    """$XDG_CONFIG_HOME/oura-stats/credentials.json, else ~/.config/oura-stats/…."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or ""
    # The XDG spec says to ignore a relative XDG_CONFIG_HOME.
    config_home = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return config_home / "oura-stats" / FILE_NAME


def resolve_path(flag: str | None, environ: Mapping[str, str] | None = None) -> tuple[Path, bool]:
    """The credentials path and whether the user named it (flag or env) explicitly."""
    env = os.environ if environ is None else environ
    named = flag or env.get(CREDENTIALS_ENV)
    if named:
        return Path(named).expanduser(), True
    return default_path(env), False


def load_credentials(path: Path) -> Credentials:
    """Read the credentials file; AuthError if it vanished, ConfigError if it is unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AuthError(
            f"credentials file {path} does not exist; run `oura-stats auth login`"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read credentials file {path}: {exc.strerror}") from None
    try:
        credentials = parse_credentials(text)
    except ValueError as exc:
        # json's messages quote positions, never content, and ours name only fields.
        raise ConfigError(
            f"credentials file {path} is not valid ({exc}); run `oura-stats auth login` again"
        ) from None
    _warn_if_exposed(path)
    return credentials


def _warn_if_exposed(path: Path) -> None:
    with contextlib.suppress(OSError):
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            log.warning("credentials file %s is readable by others: run chmod 600 on it", path)


def save_credentials(path: Path, credentials: Credentials) -> None:
    """Replace the file atomically; it is 0600 from the first byte written."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_text_atomic(path, credentials.to_json(), mode=0o600)


def file_signature(path: Path) -> tuple[int, int, int] | None:
    """Changes whenever the file is replaced (atomic writes make a new inode)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def credentials_lock(path: Path, *, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive flock on the lock file beside `path` (shared by every process).

    The lock file is never deleted: unlinking a flock-ed file lets two processes hold
    "the" lock on two different inodes.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = open_lock_file(lock_path(path), 0o600)  # never through a symbolic link
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise AuthError(
                        f"another oura-stats process has held {lock_path(path)} for over "
                        f"{timeout:.0f} s while refreshing the token; try again later"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the flock
