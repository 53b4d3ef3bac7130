"""`--db TARGET`: which database, from a URL or a path, and how to name it without secrets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from oura_stats.errors import ConfigError
from oura_stats.scrub import remember

SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
_RESERVED = frozenset("@/?#[]")  # characters a URL's user name or password must encode
NO_CSV_NEEDS_POSTGRESQL = (
    "--no-csv keeps everything in a PostgreSQL database: add --db postgresql://user@host/dbname"
)
_EXAMPLES = "use sqlite:///path/to/oura.db, a path ending in .db, or postgresql://user@host/dbname"


@dataclass(frozen=True)
class Target:
    """A parsed --db: `kind` is "sqlite" (with `path`) or "postgresql" (with `url`)."""

    kind: str
    path: Path | None = None
    url: str | None = None

    @property
    def display(self) -> str:
        """The target as it may appear in messages: never with a password."""
        if self.path is not None:
            return str(self.path)
        assert self.url is not None
        return redact(self.url)


def parse_target(text: str) -> Target:
    """Read --db (or OURA_STATS_DB); a target that is neither form is a usage error."""
    value = text.strip()
    if value.startswith("sqlite:"):
        return Target("sqlite", path=_sqlite_path(value))
    if value.startswith(("postgresql:", "postgres:")):
        _check_userinfo(value)
        if not urlsplit(redact(value)).path.strip("/") and "dbname=" not in value:
            raise ConfigError(f"--db {redact(value)} names no database; {_EXAMPLES}")
        return Target("postgresql", url=value)
    if "://" not in value and value.lower().endswith(SQLITE_SUFFIXES):
        return Target("sqlite", path=Path(value).expanduser())
    raise ConfigError(f"--db {redact(value)!r} is not a database this tool knows; {_EXAMPLES}")


def usable_target(text: str) -> Target:
    """`parse_target`, and for PostgreSQL its driver looked up (missing: a usage error)."""
    target = parse_target(text)
    if target.kind == "postgresql":
        from oura_stats.db.postgres import require_driver  # noqa: PLC0415 - no cycle

        require_driver()
    return target


def _sqlite_path(value: str) -> Path:
    """As SQLAlchemy reads it: sqlite:///relative.db, sqlite:////absolute/path.db."""
    rest = value.removeprefix("sqlite:")
    if rest.startswith("//") and not rest.startswith("///"):
        name = rest[2:]  # a host's place: sqlite://oura.db
        raise ConfigError(
            f"--db {value}: a file needs three slashes: sqlite:///{name} for ./{name}, "
            f"or four for an absolute path (sqlite:////path/to/{Path(name).name or 'oura.db'})"
        )
    path = unquote(rest.removeprefix("///"))
    if not path:
        raise ConfigError(f"--db {value!r} names no file; {_EXAMPLES}")
    return Path(path)


def _userinfo(url: str) -> tuple[str, str, str] | None:
    """(`scheme://`, user[:password], what follows the `@`), split at the last `@` before
    the path: a password may hold `@`, `/`, `?`, `#` that a URL parser reads otherwise."""
    scheme, sep, rest = url.partition("://")
    at = rest.rfind("@")
    if not sep or at < 0:
        return None
    return scheme + sep, rest[:at], rest[at + 1 :]


def _check_userinfo(url: str) -> None:
    """A user or password a URL cannot carry as written is one line, without the secret."""
    parts = _userinfo(url)
    if parts is None:
        return
    remember(parts[1].partition(":")[2])  # masked in every later line, when long enough
    bad = sorted({c for c in parts[1] if c in _RESERVED})
    if re.search(r"%(?![0-9A-Fa-f]{2})", parts[1]):
        bad.append("% not followed by two hex digits")
    if bad:
        raise ConfigError(
            f"--db {redact(url)}: the user name or password holds {', '.join(bad)}, which a "
            "URL must percent-encode (@ as %40, / as %2F, ? as %3F, # as %23, % as %25)"
        )


def redact(url: str) -> str:
    """The URL with any password (in the authority or the query) replaced by ***."""
    parts = _userinfo(url)
    if parts is not None:
        scheme, userinfo, rest = parts
        user, colon, _ = userinfo.partition(":")
        url = f"{scheme}{user}{':***' if colon else ''}@{rest}"
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", url)
