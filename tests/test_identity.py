"""Whose data: every output directory and database records the source it holds, and no
command, whatever its state file or environment, writes another source's rows there."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path

import pytest
from conftest import TODAY, TOKEN, Workspace, database_only, fetch, history, run_cli
from dbcheck import Db

from oura_stats.api.categories import select
from oura_stats.api.tokens import StaticToken
from oura_stats.demo.server import FakeOura
from oura_stats.errors import WrongSourceError
from oura_stats.run.rounds import Settings, run_round

CATEGORIES = "personal_info,daily_sleep,tag"
MARKER = ".oura-source.json"


def _digest(directory: Path) -> dict[str, str]:
    """Every file's content (lock files aside): proof that nothing was written."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.iterdir())
        if path.is_file() and not path.name.endswith(".lock")
    }


def _one_error(stderr: str) -> str:
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, stderr
    return errors[0]


def _other_account(api: FakeOura) -> None:
    api.upsert_document("personal_info", {**api.data["personal_info"], "id": "someone-else"})


def _demo(output_dir: Path, *extra: str) -> list[str]:
    return ["demo", "--output-dir", str(output_dir), "--days", "5", *extra]


def test_the_first_commit_records_the_source_in_the_directory(api: FakeOura, ws: Workspace) -> None:
    assert fetch(api, ws, "--categories", CATEGORIES).returncode == 0
    marker = json.loads((ws.data / MARKER).read_text())
    assert marker["source"]["account"] == api.data["personal_info"]["id"]
    assert marker["source"]["sandbox"] is False


def test_demo_into_a_fetched_folder_is_refused_and_changes_nothing(
    api: FakeOura, ws: Workspace
) -> None:
    assert fetch(api, ws, "--categories", CATEGORIES).returncode == 0
    (ws.data / "report.html").write_text("<p>my own report</p>")
    before = _digest(ws.data)
    result = run_cli(*_demo(ws.data))
    assert result.returncode == 2
    line = _one_error(result.stderr)
    assert str(ws.data) in line and "--output-dir" in line
    assert _digest(ws.data) == before


def test_demo_refuses_a_folder_holding_anything_it_did_not_write(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "report.html").write_text("<p>my own report</p>")
    before = _digest(folder)
    result = run_cli(*_demo(folder))
    assert result.returncode == 2
    assert "report.html" in _one_error(result.stderr)
    assert _digest(folder) == before


def test_demo_runs_again_in_its_own_folder(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    assert run_cli(*_demo(folder)).returncode == 0
    again = run_cli(*_demo(folder))
    assert again.returncode == 0, again.stderr
    assert json.loads((folder / MARKER).read_text())["source"]["demo"] is True


def test_demo_reads_no_database_from_the_environment(tmp_path: Path) -> None:
    real = tmp_path / "real.db"
    result = run_cli(*_demo(tmp_path / "demo"), env={"OURA_STATS_DB": str(real)})
    assert result.returncode == 0, result.stderr
    assert not real.exists()


def test_demo_into_a_real_database_is_refused(api: FakeOura, ws: Workspace) -> None:
    real = ws.root / "real.db"
    assert fetch(api, ws, "--categories", CATEGORIES, "--db", str(real)).returncode == 0
    before = hashlib.sha256(real.read_bytes()).hexdigest()
    result = run_cli(*_demo(ws.root / "demo", "--db", str(real)))
    assert result.returncode == 2
    line = _one_error(result.stderr)
    assert str(real) in line and "--db" in line
    assert hashlib.sha256(real.read_bytes()).hexdigest() == before
    assert not (ws.root / "demo" / "daily_sleep.csv").exists()


def test_another_account_with_its_own_state_file_is_refused(api: FakeOura, ws: Workspace) -> None:
    assert fetch(api, ws, "--categories", CATEGORIES).returncode == 0
    first = api.data["personal_info"]["id"]
    before = _digest(ws.data)
    _other_account(api)
    result = fetch(api, ws, "--categories", CATEGORIES, "--state-file", str(ws.root / "b.json"))
    assert result.returncode == 2
    line = _one_error(result.stderr)
    assert first in line and "someone-else" in line and "another --output-dir" in line
    assert _digest(ws.data) == before


def test_two_accounts_never_share_a_database(api: FakeOura, ws: Workspace, db: Db) -> None:
    assert fetch(api, ws, "--categories", CATEGORIES, "--db", db.target).returncode == 0
    count = db.query("SELECT count(*) FROM daily_sleep")[0][0]
    first = api.data["personal_info"]["id"]
    _other_account(api)
    other = ["--output-dir", str(ws.root / "b"), "--state-file", str(ws.root / "b.json")]
    result = fetch(api, ws, "--categories", CATEGORIES, "--db", db.target, *other)
    assert result.returncode == 2
    line = _one_error(result.stderr)
    assert "someone-else" in line and "--db" in line
    assert not (ws.root / "b" / "daily_sleep.csv").exists()  # refused before collecting
    assert db.query("SELECT count(*) FROM daily_sleep")[0][0] == count
    (recorded,) = db.query("SELECT source FROM _source")[0]
    assert json.loads(recorded)["account"] == first


def test_db_sync_of_another_sources_folder_is_refused(api: FakeOura, ws: Workspace) -> None:
    target = ws.root / "oura.db"
    assert fetch(api, ws, "--categories", CATEGORIES, "--db", str(target)).returncode == 0
    sandbox = ws.root / "sample"
    sample_state = ["--state-file", str(ws.root / "s.json")]
    done = fetch(
        api,
        ws,
        "--sandbox",
        "--categories",
        "daily_sleep",
        "--output-dir",
        str(sandbox),
        *sample_state,
    )
    assert done.returncode == 0, done.stderr
    before = hashlib.sha256(target.read_bytes()).hexdigest()
    sync = ["db", "sync", "--db", str(target), "--output-dir", str(sandbox), *sample_state]
    result = run_cli(*sync)
    assert result.returncode == 2
    assert "sandbox" in _one_error(result.stderr)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == before


def test_a_run_that_stored_nothing_binds_nothing(api: FakeOura, ws: Workspace) -> None:
    assert fetch(api, ws, "--categories", CATEGORIES, token="wrong").returncode == 1
    assert not (ws.data / MARKER).exists()
    result = fetch(api, ws, "--sandbox", "--categories", CATEGORIES)
    assert result.returncode == 0, result.stderr


def test_a_folder_of_an_earlier_version_is_adopted_from_its_personal_info(
    api: FakeOura, ws: Workspace
) -> None:
    assert fetch(api, ws, "--categories", CATEGORIES).returncode == 0
    (ws.data / MARKER).unlink()
    ws.state.unlink()
    before = _digest(ws.data)
    _other_account(api)
    result = fetch(api, ws, "--categories", CATEGORIES)
    assert result.returncode == 2
    assert "someone-else" in _one_error(result.stderr)
    assert _digest(ws.data) == before


def test_a_database_of_an_earlier_version_is_adopted_from_its_rows(
    api: FakeOura, ws: Workspace
) -> None:
    target = ws.root / "oura.db"
    assert fetch(api, ws, "--categories", CATEGORIES, "--db", str(target)).returncode == 0
    with sqlite3.connect(target) as connection:
        connection.execute("DROP TABLE _source")
    _other_account(api)
    other = ["--output-dir", str(ws.root / "b"), "--state-file", str(ws.root / "b.json")]
    result = fetch(api, ws, "--categories", CATEGORIES, "--db", str(target), *other)
    assert result.returncode == 2
    assert "someone-else" in _one_error(result.stderr)


def test_the_same_account_at_a_new_address_still_writes_its_database(ws: Workspace) -> None:
    target = ws.root / "oura.db"
    for _ in range(2):
        with FakeOura(history(), token=TOKEN, today=TODAY) as api:
            done = fetch(api, ws, "--categories", CATEGORIES, "--db", str(target))
            assert done.returncode == 0, done.stderr


def test_the_service_stops_at_once_on_another_sources_folder(api: FakeOura, ws: Workspace) -> None:
    assert fetch(api, ws, "--categories", CATEGORIES).returncode == 0
    before = _digest(ws.data)
    result = run_cli(
        "service", "--sandbox", "--base-url", api.url, "--output-dir", str(ws.data),
        "--state-file", str(ws.root / "sample.json"), "--categories", CATEGORIES,
        "--interval-hours", "0.0003", "--max-runs", "3",
    )  # fmt: skip
    assert result.returncode == 2
    assert "Oura's sandbox" in _one_error(result.stderr)
    assert result.stderr.count("holds data from") == 1  # stopped after the first round
    assert _digest(ws.data) == before


def test_a_damaged_source_record_in_the_database_is_one_line(api: FakeOura, ws: Workspace) -> None:
    target = ws.root / "oura.db"
    assert fetch(api, ws, "--categories", CATEGORIES, "--db", str(target)).returncode == 0
    with sqlite3.connect(target) as connection:
        connection.execute("UPDATE _source SET source = 'not json'")
    result = fetch(api, ws, "--categories", CATEGORIES, "--db", str(target))
    assert result.returncode == 2
    line = _one_error(result.stderr)
    assert "_source" in line and str(target) in line


def _database_only(api: FakeOura, root: Path, pg_url: str) -> Settings:
    return database_only(api, root, pg_url, select(CATEGORIES.split(",")))


def test_a_database_only_run_keeps_to_its_databases_source(
    api: FakeOura, ws: Workspace, pg_url: str
) -> None:
    assert fetch(api, ws, "--categories", CATEGORIES, "--db", pg_url).returncode == 0
    db = Db("postgresql", pg_url)
    count = db.query("SELECT count(*) FROM daily_sleep")[0][0]
    _other_account(api)
    with pytest.raises(WrongSourceError, match="someone-else"):
        run_round(_database_only(api, ws.root, pg_url), StaticToken(TOKEN), threading.Event())
    assert db.query("SELECT count(*) FROM daily_sleep")[0][0] == count


def test_a_database_only_run_records_its_source(api: FakeOura, ws: Workspace, pg_url: str) -> None:
    settings = _database_only(api, ws.root, pg_url)
    assert run_round(settings, StaticToken(TOKEN), threading.Event()) == 0
    (recorded,) = Db("postgresql", pg_url).query("SELECT source FROM _source")[0]
    assert json.loads(recorded)["account"] == api.data["personal_info"]["id"]
    _other_account(api)
    result = fetch(api, ws, "--categories", CATEGORIES, "--db", pg_url)
    assert result.returncode == 2
    assert "someone-else" in _one_error(result.stderr)


def test_the_study_demo_refuses_a_database_holding_real_data(
    api: FakeOura, ws: Workspace, pg_url: str
) -> None:
    assert fetch(api, ws, "--categories", CATEGORIES, "--db", pg_url).returncode == 0
    db = Db("postgresql", pg_url)
    count = db.query("SELECT count(*) FROM daily_sleep")[0][0]
    study = ["--participants", "2", "--days", "3", "--db", pg_url]
    result = run_cli("demo", *study, "--output-dir", str(ws.root / "study"))
    assert result.returncode == 2
    assert "demo" in _one_error(result.stderr)
    assert db.query("SELECT count(*) FROM daily_sleep")[0][0] == count


def test_the_study_demo_refuses_a_folder_it_did_not_make(pg_url: str, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    study = ["--participants", "2", "--days", "3", "--db", pg_url]
    result = run_cli("demo", *study, "--output-dir", str(tmp_path))
    assert result.returncode == 2
    assert "notes.txt" in _one_error(result.stderr)
