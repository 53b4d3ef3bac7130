"""The history floor is a step of its own: its requests are counted, and the summary adds up."""

from __future__ import annotations

import re

from conftest import TODAY, Workspace, fetch, history

from oura_stats.demo.server import FakeOura

LINE = re.compile(r"^(\S+(?: floor)?)\s+.*?([\d,]+) requests", re.MULTILINE)
TOTAL = re.compile(r"^total: .*?([\d,]+) requests", re.MULTILINE)


def summary(stderr: str) -> tuple[dict[str, int], int]:
    lines = {name: int(count.replace(",", "")) for name, count in LINE.findall(stderr)}
    total = TOTAL.search(stderr)
    assert total is not None, stderr
    lines.pop("total:", None)
    return lines, int(total.group(1).replace(",", ""))


def test_ring_configuration_counts_the_request_that_read_it_for_the_floor(
    ws: Workspace,
) -> None:
    with FakeOura(history(), today=TODAY) as api:
        result = fetch(api, ws, "--categories", "ring_configuration,heartrate,sleep")
        sent = len(api.requests)
    assert result.returncode == 0, result.stderr
    lines, total = summary(result.stderr)
    assert lines["ring_configuration"] == len(api.requests_for("ring_configuration")) == 1
    assert lines["history floor"] == len(api.requests_for("daily_readiness")) == 1
    assert sum(lines.values()) == total == sent


def test_readiness_collected_first_for_the_floor_counts_its_own_requests(
    ws: Workspace,
) -> None:
    with FakeOura(history(), today=TODAY, doc_page_size=20) as api:
        result = fetch(api, ws, "--categories", "daily_readiness,heartrate")
        sent = len(api.requests)
        readiness = len(api.requests_for("daily_readiness"))
    assert result.returncode == 0, result.stderr
    # The step says what it does and what it found.
    assert re.search(r"^history floor \d{4}-\d\d-\d\d: first readiness", result.stderr, re.M)
    lines, total = summary(result.stderr)
    assert lines["daily_readiness"] == readiness > 1  # paged, collected whole, once
    assert lines["history floor"] == 1  # ring_configuration, read but not selected
    assert sum(lines.values()) == total == sent


def test_later_runs_skip_the_floor_step(ws: Workspace) -> None:
    with FakeOura(history(), today=TODAY) as api:
        assert fetch(api, ws, "--categories", "heartrate").returncode == 0
        api.clear_requests()
        again = fetch(api, ws, "--categories", "heartrate")
        assert not api.requests_for("ring_configuration")
        assert not api.requests_for("daily_readiness")
    lines, total = summary(again.stderr)
    assert "history floor" not in lines
    assert sum(lines.values()) == total
