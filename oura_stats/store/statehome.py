"""Where a folder's state file lives by default: beside its data, `<output-dir>/.oura_state.json`.

One state file per output directory, found from the directory alone, keeps one folder's
cursors from ever steering another's and lets `fetch --sandbox --output-dir a` and a real
`fetch --output-dir b` run in either order. The seed's default was `./.oura_state.json` in
the working directory, whatever the output directory; such a file is read where it is
(by `status`, `report`, `db sync`) until a run moves it beside the folder it belongs to.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from oura_stats.api.categories import BY_NAME, Kind
from oura_stats.errors import ConfigError, OuraStatsError
from oura_stats.store.atomic import atomic_binary_writer
from oura_stats.store.csvfacts import read_facts
from oura_stats.store.source import holds_data, read_marker, same_source
from oura_stats.store.state import State

log = logging.getLogger(__name__)

STATE_NAME = ".oura_state.json"
SEED_STATE = Path(STATE_NAME)  # the seed's default, in the working directory


def folder_state(output_dir: Path) -> Path:
    """The default state file of `output_dir`."""
    return output_dir / STATE_NAME


def state_path(output_dir: Path, given: Path | None) -> Path:
    """The state file to read: --state-file, else the folder's own, else the seed's
    `./.oura_state.json` when it belongs to the folder and no run has moved it yet."""
    if given is not None:
        return given
    own = folder_state(output_dir)
    return SEED_STATE if not own.exists() and seed_belongs(output_dir) else own


def move_seed_state(output_dir: Path) -> None:
    """Move `./.oura_state.json` beside the folder it describes, if it is that folder's
    (a run with the default state file does this first, under no lock of the old file:
    the copy is atomic, and the old file goes only once the new one is whole)."""
    own = folder_state(output_dir)
    if own.exists() or not seed_belongs(output_dir):
        return
    try:
        with atomic_binary_writer(own) as handle:
            handle.write(SEED_STATE.read_bytes())
        with contextlib.suppress(FileNotFoundError):
            SEED_STATE.unlink()
    except OSError as error:
        raise ConfigError(
            f"cannot move the state file {SEED_STATE} to {own}: {error.strerror}; move it "
            "there yourself, or name it with --state-file"
        ) from error
    log.info("moved the state file %s to %s, beside the data it describes", SEED_STATE, own)


def seed_belongs(output_dir: Path) -> bool:
    """Whether `./.oura_state.json` holds `output_dir`'s cursors: the folder it recorded,
    or (written by an earlier version) cursors for CSVs the folder holds, none of them
    ahead of its rows (a state never claims more than its CSVs hold; cursors moved by a
    run into another folder do), from the source the folder recorded, if it did."""
    if not SEED_STATE.is_file() or not holds_data(output_dir):
        return False
    try:
        state = State.load(SEED_STATE)
    except OuraStatsError:
        return False
    recorded = state.folder()
    if recorded is not None:
        return recorded == output_dir.resolve()
    marker, source = read_marker(output_dir), state.source()
    if marker is not None and source is not None and not same_source(marker, source):
        return False
    described = [
        (BY_NAME[name], str(entry["cursor"]))
        for name, entry in state.snapshot()["categories"].items()
        if entry.get("cursor") and name in BY_NAME and (output_dir / f"{name}.csv").exists()
    ]
    return bool(described) and all(
        (read_facts(category, output_dir).newest or "") >= cursor
        for category, cursor in described
        if category.kind is not Kind.SERIES  # the daily ones tell, and are quick to read
    )
