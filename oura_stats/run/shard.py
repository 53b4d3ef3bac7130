"""Which participants a process collects: `--shard INDEX/COUNT`, stable as people enrol.

A participant belongs to shard `hash(name) mod COUNT`. Hashing the name, rather than
counting positions in a sorted list, keeps everyone in their shard when someone enrols or
withdraws between two pods' start-up: no participant falls between two shards' lists.
INDEX defaults to `JOB_COMPLETION_INDEX`, which Kubernetes sets in each pod of an Indexed
Job, so the same command line serves every pod.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from oura_stats.errors import ConfigError

INDEX_ENV = "JOB_COMPLETION_INDEX"
_FORMS = "use INDEX/COUNT (0/4), or /COUNT with INDEX from JOB_COMPLETION_INDEX"


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    def owns(self, name: str) -> bool:
        digest = hashlib.sha256(name.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index

    def select(self, names: Iterable[str]) -> list[str]:
        return [name for name in names if self.owns(name)]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


EVERYONE = Shard(0, 1)


def parse_shard(text: str, environ: Mapping[str, str] | None = None) -> Shard:
    """`I/N`, or `/N` (or `N`) with I from JOB_COMPLETION_INDEX; anything else is a usage error."""
    env = os.environ if environ is None else environ
    index_text, slash, count_text = text.strip().rpartition("/")
    if not slash:
        index_text, count_text = "", text.strip()
    count = _number(count_text, f"--shard {text!r}: COUNT")
    if count < 1:
        raise ConfigError(f"--shard {text!r}: COUNT must be 1 or more; {_FORMS}")
    if not index_text.strip():
        if not env.get(INDEX_ENV, "").strip():
            raise ConfigError(
                f"--shard {text!r} gives no INDEX and {INDEX_ENV} is not set; {_FORMS}"
            )
        index = _number(env[INDEX_ENV], INDEX_ENV)
    else:
        index = _number(index_text, f"--shard {text!r}: INDEX")
    if not 0 <= index < count:
        raise ConfigError(
            f"--shard {index}/{count}: INDEX must be from 0 to {count - 1} (COUNT is {count})"
        )
    return Shard(index, count)


def _number(text: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ConfigError(
            f"{what} must be a whole number, not {text.strip()!r}; {_FORMS}"
        ) from None
