"""`--db TARGET`: which database, from a URL or a path, and how to name it without secrets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from oura_stats.errors import ConfigError

SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
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
        # As SQLAlchemy reads it: sqlite:///relative.db, sqlite:////absolute/path.db
        rest = value.removeprefix("sqlite:")
        path = unquote(rest.removeprefix("///") if rest.startswith("///") else rest)
        if not path:
            raise ConfigError(f"--db {value!r} names no file; {_EXAMPLES}")
        return Target("sqlite", path=Path(path))
    if value.startswith(("postgresql:", "postgres:")):
        if not urlsplit(value).path.strip("/") and "dbname=" not in value:
            raise ConfigError(f"--db {redact(value)} names no database; {_EXAMPLES}")
        return Target("postgresql", url=value)
    if "://" not in value and value.lower().endswith(SQLITE_SUFFIXES):
        return Target("sqlite", path=Path(value).expanduser())
    raise ConfigError(f"--db {redact(value)!r} is not a database this tool knows; {_EXAMPLES}")


def redact(url: str) -> str:
    """The URL with any password (in the authority or the query) replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable database URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
    query = re.sub(r"(?i)(password=)[^&]*", r"\1***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
