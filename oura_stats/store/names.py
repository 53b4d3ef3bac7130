"""Column naming: how a field's path becomes a CSV column, and a CSV column a database one.

The one place for the rule, so that every field name the API can send gets a column of its
own in the CSV, SQLite and PostgreSQL, the same one on every run:

- **CSV**: a nested field is its path joined with dots (`contributors.deep_sleep`). A part
  of the path that holds a dot, begins with `"`, or holds a NUL or a lone surrogate is
  written as its JSON string literal, quotes included: the top-level field `a.b` is the
  column `"a.b"`, beside `a.b` for `{"a": {"b": ...}}`. Any other name is kept verbatim
  (line ends and quotes included: the header is a CSV record like any other).
- **Database**: a CSV column is its own database column when it is plain: not empty, at
  most 63 bytes of UTF-8 (PostgreSQL's limit), no capital A-Z (SQLite folds them: `Score`
  and `score` would be one column), no `"`, `~` or control character. Any other column is
  `<prefix>~<hash>`: the name lower-cased, with `"` and control characters as `_`, cut
  to fit, then `~` and 8 hex digits of the SHA-256 of the whole name (`Score` →
  `score~` + 8 hex digits, the empty name → `~` + 8 hex digits). Plain names hold no `~`,
  so the two kinds never meet.
"""

from __future__ import annotations

import hashlib
import json
import re

MAX_IDENTIFIER_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1
_HASH_DIGITS = 8
_ODD_PART = re.compile('[.\x00\ud800-\udfff]|^"')
_NOT_PLAIN = re.compile('[A-Z"~\x00-\x1f\x7f]')
_UNSAFE = re.compile('["\x00-\x1f\x7f]')
PLAIN_PARTS: set[str] = set()  # names seen to need nothing (a cache: the API has a few hundred)
_KNOWN_LIMIT = 4096


def csv_part(key: str) -> str:
    """One part of a field's path as it appears in its CSV column name."""
    if key in PLAIN_PARTS:
        return key
    if _ODD_PART.search(key) is None:
        if len(PLAIN_PARTS) < _KNOWN_LIMIT:
            PLAIN_PARTS.add(key)
        return key
    text = json.dumps(key, ensure_ascii=False)
    if re.search("[\ud800-\udfff]", text):
        text = json.dumps(key)  # a lone surrogate: escaped, like every other
    return text


def plain_parts(keys: tuple[str, ...]) -> bool:
    """Whether every one of these top-level names is its own CSV column name."""
    return all(csv_part(key) is key for key in keys)


def db_column(column: str) -> str:
    """The database column of a CSV column (see the module's docstring)."""
    size = len(column.encode("utf-8", "surrogatepass"))
    if 0 < size <= MAX_IDENTIFIER_BYTES and _NOT_PLAIN.search(column) is None:
        return column
    digest = hashlib.sha256(column.encode("utf-8", "surrogatepass")).hexdigest()
    suffix = "~" + digest[:_HASH_DIGITS]
    prefix = _UNSAFE.sub("_", column.lower()).encode("utf-8", "surrogatepass")
    cut = prefix[: MAX_IDENTIFIER_BYTES - len(suffix)]
    return cut.decode("utf-8", "ignore") + suffix  # a character cut in two is left out
