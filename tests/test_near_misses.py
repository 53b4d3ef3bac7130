"""Settings that are almost right: a database URL with odd characters in its password or
two slashes, a state file holding year-1 dates. One line each, never a secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TODAY, Workspace, fetch, one_error_line, run_cli

from oura_stats.demo.server import FakeOura

# the database and the state file --------------------------------------------------------------


@pytest.mark.parametrize(
    "password", ["p%zzS3CRET", "S3#CRET", "S3/CRET", "S3[CRET", "S3?CRET", "p@S3CRET", "S3CRET%"]
)
def test_a_database_password_is_never_printed(tmp_path: Path, password: str) -> None:
    url = f"postgresql://oura:{password}@127.0.0.1:1/oura"
    (tmp_path / "data").mkdir()
    result = run_cli("db", "sync", "--db", url, "--output-dir", str(tmp_path / "data"))
    assert result.returncode in (1, 2)
    assert "Traceback" not in result.stderr, result.stderr
    assert "S3" not in result.stderr and "CRET" not in result.stderr, result.stderr
    assert "postgresql://oura:***@" in result.stderr, result.stderr


def test_sqlite_url_with_two_slashes_names_the_right_spelling(api: FakeOura, ws: Workspace) -> None:
    result = fetch(api, ws, "--db", "sqlite://oura.db")
    assert result.returncode == 2
    one_error_line(result.stderr, "sqlite:///oura.db")
    assert api.requests == []


def test_first_run_names_the_database_file_it_created(api: FakeOura, ws: Workspace) -> None:
    target = ws.root / "new" / "oura.db"
    result = fetch(api, ws, "--categories", "sleep", "--db", f"sqlite:///{target}")
    assert result.returncode == 0, result.stderr
    assert f"created the SQLite database {target}" in result.stderr
    again = fetch(api, ws, "--categories", "sleep", "--db", f"sqlite:///{target}")
    assert "created" not in again.stderr


@pytest.mark.parametrize("command", ["fetch", "status"])
@pytest.mark.parametrize("field", ["cursor", "complete_until"])
def test_year_one_dates_in_a_state_file_are_one_line(
    api: FakeOura, ws: Workspace, command: str, field: str
) -> None:
    ws.data.mkdir()
    (ws.data / "sleep.csv").write_text(f"id,day\na,{TODAY}\n", encoding="utf-8")
    state = {"version": 1, "categories": {"sleep": {field: "0001-01-01"}}, "runs": []}
    ws.state.write_text(json.dumps(state), encoding="utf-8")
    where = ["--output-dir", str(ws.data), "--state-file", str(ws.state)]
    if command == "fetch":
        result = fetch(api, ws, "--categories", "sleep")
    else:
        result = run_cli(command, *where)
    assert result.returncode in (1, 2)
    assert "Traceback" not in result.stderr, result.stderr
    assert "0001-01-01" in result.stderr and "state file" in result.stderr, result.stderr
