"""No token leaves the process: not in error lines, log lines, tracebacks, the state or status."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from conftest import Workspace, fetch, run_cli

from oura_stats import scrub as scrubbing
from oura_stats.demo.server import FakeOura
from oura_stats.scrub import REDACTED, ScrubFilter, remember, scrub

# A token pasted with a stray newline: requests refuses it and quotes the header it built.
MALFORMED = "tok-4f9a1c2e7b\nsecond-half-88d3a0"
HALVES = ("tok-4f9a1c2e7b", "second-half-88d3a0")


@pytest.fixture(autouse=True)
def _fresh_memory() -> Iterator[None]:
    scrubbing.forget_all()
    yield
    scrubbing.forget_all()


def _assert_hidden(*texts: str) -> None:
    for text in texts:
        for half in HALVES:
            assert half not in text


def test_malformed_token_is_hidden_in_the_error_the_log_and_the_state(
    api: FakeOura, ws: Workspace
) -> None:
    result = fetch(api, ws, "--categories", "tag,sleep", "-v", token=MALFORMED)
    assert result.returncode == 1
    assert "InvalidHeader" in result.stderr  # the cause is still said …
    assert "Bearer <redacted>" in result.stderr  # … without the token
    state_text = ws.state.read_text()
    state = json.loads(state_text)
    assert REDACTED in state["categories"]["tag"]["last_error"]["message"]
    assert REDACTED in state["runs"][-1]["categories"]["sleep"]["error"]
    _assert_hidden(result.stderr, result.stdout, state_text)


def _status(ws: Workspace, *extra: str) -> str:
    result = run_cli("status", "--state-file", str(ws.state), "--output-dir", str(ws.data), *extra)
    assert "Traceback" not in result.stderr
    return result.stdout + result.stderr


def test_status_hides_a_token_an_older_version_saved_in_the_state(ws: Workspace) -> None:
    quoted = repr(f"Bearer {MALFORMED}")  # what requests put in its message, \n escaped
    message = f"request to /v2/usercollection/tag failed: InvalidHeader: value {quoted}"
    at = "2026-01-02T03:04:05+00:00"
    ws.root.mkdir(exist_ok=True)
    state = {
        "version": 1,
        "categories": {"tag": {"last_error": {"message": message, "at": at}}},
        "runs": [],
    }
    ws.state.write_text(json.dumps(state))
    for extra in ([], ["--json"], ["--categories", "tag"]):
        text = _status(ws, *extra)
        assert "InvalidHeader" in text
        _assert_hidden(text)


@pytest.mark.parametrize(
    "text",
    [
        "header value: 'Bearer tok-4f9a1c2e7b\\nsecond-half-88d3a0'",
        '{"access_token": "tok-4f9a1c2e7b", "refresh_token": "second-half-88d3a0"}',
        "GET /oauth/revoke?access_token=tok-4f9a1c2e7b&token=second-half-88d3a0",
        "GET /callback?code=tok-4f9a1c2e7b&state=s&code=second-half-88d3a0",
        "form client_secret=tok-4f9a1c2e7b; header Bearer second-half-88d3a0",
        "{'Authorization': 'Basic dG9rLTRmOWExYzJl'} {'password': 'tok-4f9a1c2e7b'} "
        "Bearer second-half-88d3a0",
    ],
)
def test_shapes_of_credentials_are_masked_without_being_known(text: str) -> None:
    scrubbed = scrub(text)
    _assert_hidden(scrubbed)
    assert "dG9rLTRmOWExYzJl" not in scrubbed
    assert REDACTED in scrubbed


def test_a_remembered_secret_is_masked_in_every_quoted_form() -> None:
    remember(MALFORMED)
    for form in (MALFORMED, repr(MALFORMED), json.dumps(MALFORMED), "half: second-half-88d3a0"):
        scrubbed = scrub(f"it said {form}.")
        _assert_hidden(scrubbed)
        assert scrubbed.startswith("it said ")


def test_ordinary_text_is_left_alone() -> None:
    remember("short")  # too short to be a credential: never masked
    text = (
        "could not revoke the token: ConnectionError talking to api.ouraring.com; "
        "Basic auth also works; exit code 1; short"
    )
    assert scrub(text) == text


def test_log_filter_scrubs_messages_arguments_and_tracebacks() -> None:
    remember(MALFORMED)
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Keep()
    handler.addFilter(ScrubFilter())
    logger = logging.getLogger("test_scrub.filter")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("token is %s", MALFORMED)
        try:
            raise ValueError(f"bad header {MALFORMED!r}")
        except ValueError:
            logger.exception("failed with Bearer %s", "abcdefgh12345")
    finally:
        logger.removeHandler(handler)
    assert len(records) == 2
    assert "ValueError: bad header" in records[1]
    assert "abcdefgh12345" not in records[1]
    _assert_hidden(*records)
