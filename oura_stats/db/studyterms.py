"""A study's terms that need no database: participants' names (and the one a one-person
database's rows carry), how long an invitation link works, and the application's request
budget (written REQUESTS/SECONDS).

Kept apart from the registry and the shared budget (PostgreSQL) so that the command line
can check and show them without importing either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oura_stats.errors import ConfigError

ACCOUNT = "account"  # a study's participant column, first in every data table's key
SOLE_ACCOUNT = "default"  # a one-person database's rows (a study names each participant)
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
INVITE_DAYS = 7.0


def check_name(name: str) -> str:
    """A participant's name: letters, digits, `_.-`, at most 63 characters."""
    if not NAME_PATTERN.fullmatch(name):
        raise ConfigError(
            f"participant name {name!r} is not usable: use letters, digits, '_', '.' or '-' "
            "(at most 63 characters, starting with a letter or digit), e.g. p017"
        )
    return name


@dataclass(frozen=True)
class Budget:
    requests: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.requests}/{self.seconds:g}"


DEFAULT_BUDGET = Budget(5000, 300.0)


def parse_budget(text: str) -> Budget:
    """`REQUESTS/SECONDS`, e.g. 5000/300."""
    found = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", text)
    if not found or int(found[1]) < 1 or float(found[2]) <= 0:
        raise ConfigError(
            f"--app-budget {text!r}: use REQUESTS/SECONDS with both above 0, e.g. 5000/300"
        )
    return Budget(int(found[1]), float(found[2]))
