"""What a reader of the collection (`status`, the service's `/health`) needs of where it
lives: the saved state, which categories have rows stored, and each one's facts.

`FileRecords` reads the state file and the CSVs; `db/pgfacts.py` reads a database-only
run's tables; `monitor/records.py` picks one. Reading takes no lock and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from oura_stats.api.categories import CATEGORIES, Category
from oura_stats.errors import ConfigError
from oura_stats.store.csvfacts import CsvFacts, facts_for
from oura_stats.store.state import State


class Records(Protocol):
    """One account's saved state and stored rows, read only."""

    def state(self) -> dict[str, Any] | None:
        """The saved state; None when nothing was ever saved."""

    def nothing_saved(self) -> str:
        """What to tell a person when `state()` found nothing, and what to do."""

    def stored(self) -> set[str]:
        """The categories with rows stored."""

    def facts(
        self, categories: Iterable[Category], state: Mapping[str, Any]
    ) -> dict[str, CsvFacts]:
        """Each category's facts, in the given order (the state's cursors as fallback)."""

    def close(self) -> None: ...


class FileRecords:
    """The state file and one CSV per category in the output directory."""

    def __init__(self, output_dir: Path, state_path: Path) -> None:
        self.output_dir, self.state_path = output_dir, state_path

    def state(self) -> dict[str, Any] | None:
        if self.state_path.is_dir():
            raise ConfigError(f"--state-file {self.state_path} is a directory; name a file")
        if not self.state_path.exists():
            return None
        return State.load(self.state_path).snapshot()

    def nothing_saved(self) -> str:
        return (
            f"no state file {self.state_path}: nothing has been collected there yet; check "
            "--state-file (it must match the one given to fetch/service) or run "
            "`oura-stats fetch` first"
        )

    def stored(self) -> set[str]:
        return {c.name for c in CATEGORIES if (self.output_dir / f"{c.name}.csv").is_file()}

    def facts(
        self, categories: Iterable[Category], state: Mapping[str, Any]
    ) -> dict[str, CsvFacts]:
        return facts_for(categories, self.output_dir, state)

    def close(self) -> None:
        pass
