"""A damaged state file: one line naming it and --reset-state, exit 2, in every command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TOKEN, Workspace, fetch, run_cli

from oura_stats.demo.server import FakeOura

GOOD_RUN = {"started": "2026-11-01T10:00:00+00:00", "finished": "2026-11-01T10:00:05+00:00"}


def _state(**changes: object) -> str:
    state: dict[str, object] = {"version": 1, "categories": {}, "runs": []}
    state.update(changes)
    return json.dumps(state)


DAMAGED = {
    "not-utf8": b'{"version": 1, "categories": {"tag": {"cursor": "2026-01-01\xff"}}}',
    "latin1-text": '{"version": 1, "categories": {}, "runs": [], "x": "\u00e9"}'.encode("latin-1"),
    "run-not-object": _state(runs=[1]).encode(),
    "last-error-text": _state(categories={"tag": {"last_error": "boom"}}).encode(),
    "last-error-no-message": _state(
        categories={"tag": {"last_error": {"at": "2026-11-01T10:00:00+00:00"}}}
    ).encode(),
    "failing-since-number": _state(categories={"tag": {"failing_since": 3}}).encode(),
    "run-categories-list": _state(runs=[{**GOOD_RUN, "categories": []}]).encode(),
    "run-result-text": _state(runs=[{**GOOD_RUN, "categories": {"tag": "ok"}}]).encode(),
    "run-count-text": _state(
        runs=[{**GOOD_RUN, "categories": {"tag": {"new": "12", "error": None}}}]
    ).encode(),
    "run-without-times": _state(runs=[{"categories": {}}]).encode(),
    "run-error-object": _state(
        runs=[{**GOOD_RUN, "categories": {"tag": {"error": {"x": 1}}}}]
    ).encode(),
    "source-not-object": _state(source="sandbox").encode(),
    "deeply-nested": b'{"version": 1, "categories": {}, "x": ' + b"[" * 100_000 + b"]" * 100_000,
}


def _assert_one_line_naming_the_state(stderr: str, state: Path) -> None:
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if "oura-stats: error:" in line]
    assert len(errors) == 1, stderr
    assert str(state) in errors[0]
    assert "--reset-state" in errors[0]


@pytest.fixture(params=sorted(DAMAGED), ids=sorted(DAMAGED))
def damaged(request: pytest.FixtureRequest, ws: Workspace) -> Workspace:
    ws.state.write_bytes(DAMAGED[request.param])
    return ws


def test_fetch_refuses_a_damaged_state_with_one_line_and_exit_2(
    api: FakeOura, damaged: Workspace
) -> None:
    result = fetch(api, damaged, "--categories", "tag")
    assert result.returncode == 2
    _assert_one_line_naming_the_state(result.stderr, damaged.state)
    assert api.requests == []


def test_status_refuses_a_damaged_state_with_one_line_and_exit_2(damaged: Workspace) -> None:
    result = run_cli(
        "status", "--state-file", str(damaged.state), "--output-dir", str(damaged.data)
    )
    assert result.returncode == 2
    _assert_one_line_naming_the_state(result.stderr, damaged.state)


def test_service_refuses_a_damaged_state_with_one_line_and_exit_2(
    api: FakeOura, damaged: Workspace
) -> None:
    result = run_cli(
        "service",
        "--max-runs",
        "1",
        "--health-port",
        "0",
        "--base-url",
        api.url,
        "--token",
        TOKEN,
        "--output-dir",
        str(damaged.data),
        "--state-file",
        str(damaged.state),
        "--categories",
        "tag",
    )
    assert result.returncode == 2
    _assert_one_line_naming_the_state(result.stderr, damaged.state)
    assert api.requests == []


def test_reset_state_gets_past_a_damaged_state(api: FakeOura, ws: Workspace) -> None:
    ws.state.write_bytes(DAMAGED["not-utf8"])
    assert fetch(api, ws, "--categories", "tag", "--reset-state").returncode == 0
    assert json.loads(ws.state.read_text())["categories"]["tag"]["cursor"]
    assert fetch(api, ws, "--categories", "tag").returncode == 0
