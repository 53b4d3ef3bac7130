"""Files are created as the umask says (personal_info holds e-mail, age and weight)."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Workspace, fetch

from oura_stats.demo.server import FakeOura
from oura_stats.store.atomic import current_umask, default_mode, write_text_atomic

DOCS = Path(__file__).parent.parent / "docs"
CATEGORIES = "personal_info,tag,heartrate"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _written_files(ws: Workspace) -> Iterator[Path]:
    yield ws.state
    yield from ws.data.glob("*.csv")


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


def _unit_umasks() -> list[int]:
    found = {
        int(match, 8)
        for unit in (DOCS / "systemd").glob("*.service")
        for match in re.findall(r"^UMask=(\d+)$", unit.read_text(), re.MULTILINE)
    }
    assert found, "the systemd units set no UMask"
    return sorted(found)


@pytest.mark.usefixtures("umask")
@pytest.mark.parametrize("mask", [0o077, 0o027, 0o022, 0o002], ids=lambda m: f"umask-{m:03o}")
def test_csvs_and_state_get_the_mode_the_umask_gives(
    api: FakeOura, ws: Workspace, mask: int
) -> None:
    os.umask(mask)
    assert fetch(api, ws, "--categories", CATEGORIES).returncode == 0
    api.upsert_document("personal_info", {**api.data["personal_info"], "weight": 71.5})
    assert fetch(api, ws, "--categories", CATEGORIES).returncode == 0  # rewrites too
    expected = 0o666 & ~mask
    modes = {path.name: _mode(path) for path in _written_files(ws)}
    assert modes == dict.fromkeys(modes, expected)
    assert len(modes) == 4


@pytest.mark.usefixtures("umask")
def test_the_systemd_units_umask_keeps_the_csvs_to_their_owner(
    api: FakeOura, ws: Workspace
) -> None:
    """docs/unattended.md: `UMask=0077` (the CSVs are readable by the service user only)."""
    assert "`UMask=0077` (the CSVs are readable by the service user only)" in (
        DOCS / "unattended.md"
    ).read_text(encoding="utf-8")
    for mask in _unit_umasks():
        os.umask(mask)
        assert fetch(api, ws, "--categories", CATEGORIES).returncode == 0
        for path in [*_written_files(ws), *ws.data.glob(".*.lock"), ws.root / "state.json.lock"]:
            assert _mode(path) & 0o077 == 0, path


@pytest.mark.usefixtures("umask")
def test_an_explicit_mode_ignores_the_umask(tmp_path: Path) -> None:
    os.umask(0)
    secret = tmp_path / "secret.json"
    write_text_atomic(secret, "{}", mode=0o600)
    write_text_atomic(tmp_path / "open.csv", "a\n")
    assert _mode(secret) == 0o600
    assert _mode(tmp_path / "open.csv") == 0o666


@pytest.mark.usefixtures("umask")
def test_umask_is_read_without_being_changed() -> None:
    os.umask(0o037)
    assert current_umask() == 0o037
    assert default_mode() == 0o640
    assert os.umask(0o037) == 0o037
