"""Sandbox and real data (or two accounts) never mix in one set of files."""

from __future__ import annotations

import json
import re

from conftest import TODAY, TOKEN, Workspace, fetch, history

from oura_stats.demo.server import FakeOura
from oura_stats.store.source import Source, merged, same_source

CATEGORIES = "daily_sleep,tag"


def _source(ws: Workspace) -> dict[str, object]:
    source: dict[str, object] = json.loads(ws.state.read_text())["source"]
    return source


def _one_error(stderr: str) -> str:
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, stderr
    return errors[0]


def test_real_run_into_sandbox_files_is_refused_naming_both_and_the_way_out(
    api: FakeOura, ws: Workspace
) -> None:
    assert fetch(api, ws, "--sandbox", "--categories", CATEGORIES).returncode == 0
    sample = (ws.data / "daily_sleep.csv").read_bytes()
    api.clear_requests()
    result = fetch(api, ws, "--categories", CATEGORIES)
    assert result.returncode == 2
    line = _one_error(result.stderr)
    account = api.data["personal_info"]["id"]
    assert f"Oura's sandbox (sample data) at {api.url}" in line
    assert f"the account {account} at {api.url}" in line
    assert "another --output-dir" in line
    assert "--reset-state" in line
    assert (ws.data / "daily_sleep.csv").read_bytes() == sample
    assert {r.category for r in api.requests} <= {"personal_info"}  # nothing collected


def test_sandbox_run_into_real_files_is_refused(api: FakeOura, ws: Workspace) -> None:
    assert fetch(api, ws, "--categories", CATEGORIES).returncode == 0
    result = fetch(api, ws, "--sandbox", "--categories", CATEGORIES)
    assert result.returncode == 2
    assert "Oura's sandbox" in _one_error(result.stderr)


def test_another_account_on_the_same_api_is_refused(api: FakeOura, ws: Workspace) -> None:
    assert fetch(api, ws, "--categories", CATEGORIES).returncode == 0
    first = api.data["personal_info"]["id"]
    api.upsert_document("personal_info", {**api.data["personal_info"], "id": "someone-else"})
    result = fetch(api, ws, "--categories", CATEGORIES)
    assert result.returncode == 2
    line = _one_error(result.stderr)
    assert f"the account {first}" in line
    assert "the account someone-else" in line


def test_same_account_at_a_new_address_carries_on(api: FakeOura, ws: Workspace) -> None:
    assert fetch(api, ws, "--categories", CATEGORIES).returncode == 0
    with FakeOura(history(), token=TOKEN, today=TODAY) as moved:
        result = fetch(moved, ws, "--categories", CATEGORIES)
        assert result.returncode == 0, result.stderr
        assert _source(ws)["base_url"] == moved.url


def test_without_the_personal_scope_the_address_decides(api: FakeOura, ws: Workspace) -> None:
    api.forbid("personal_info")
    assert fetch(api, ws, "--categories", CATEGORIES).returncode == 0
    assert _source(ws) == {"base_url": api.url, "sandbox": False, "account": None}
    assert fetch(api, ws, "--categories", CATEGORIES).returncode == 0
    with FakeOura(history(), token=TOKEN, today=TODAY) as other:
        other.forbid("personal_info")
        result = fetch(other, ws, "--categories", CATEGORIES)
    assert result.returncode == 2
    assert f"an account at {api.url}" in _one_error(result.stderr)


def test_personal_info_is_asked_once_per_run_and_counted_in_the_summary(
    api: FakeOura, ws: Workspace
) -> None:
    result = fetch(api, ws, "--categories", "personal_info,tag")
    assert result.returncode == 0
    assert len(api.requests_for("personal_info")) == 1
    assert _source(ws)["account"] == api.data["personal_info"]["id"]
    assert re.search(r"^account +1 requests$", result.stderr, re.MULTILINE), result.stderr


def test_reset_state_needs_an_empty_output_directory_to_change_source(
    api: FakeOura, ws: Workspace
) -> None:
    assert fetch(api, ws, "--sandbox", "--categories", CATEGORIES).returncode == 0
    result = fetch(api, ws, "--categories", CATEGORIES, "--reset-state")
    assert result.returncode == 2
    assert "empty" in _one_error(result.stderr)
    assert _source(ws)["sandbox"] is True  # the state was kept
    for path in ws.data.glob("*.csv"):
        path.unlink()
    result = fetch(api, ws, "--categories", CATEGORIES, "--reset-state")
    assert result.returncode == 0, result.stderr
    assert _source(ws)["sandbox"] is False
    assert len(ws.csv("daily_sleep")) == len(api.data["daily_sleep"])


def test_state_of_an_older_version_adopts_the_first_source_it_sees(
    api: FakeOura, ws: Workspace
) -> None:
    assert fetch(api, ws, "--categories", CATEGORIES).returncode == 0
    state = json.loads(ws.state.read_text())
    del state["source"]
    ws.state.write_text(json.dumps(state))
    assert fetch(api, ws, "--categories", CATEGORIES).returncode == 0
    assert _source(ws)["account"] == api.data["personal_info"]["id"]


def test_known_accounts_decide_else_the_address_and_the_sandbox_flag() -> None:
    a = Source.of("https://api.example/", False, "A")
    assert same_source(a, Source.of("https://moved.example", False, "A"))
    assert not same_source(a, Source.of("https://api.example", False, "B"))
    assert same_source(a, Source.of("https://api.example", False, None))
    assert not same_source(a, Source.of("https://moved.example", False, None))
    assert not same_source(a, Source.of("https://api.example", True))
    assert merged(a, Source.of("https://api.example", False, None)).account == "A"
