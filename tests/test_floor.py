"""The history floor is a step of its own: its requests are counted, and the summary adds up;
the categories that do not wait for it run while it is found."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import TODAY, TOKEN, Workspace, fetch, history

from oura_stats.api.categories import BY_NAME
from oura_stats.api.tokens import StaticToken
from oura_stats.api.windows import CALIBRATION_MARGIN, EARLIEST_DAY, ONE_DAY, Window
from oura_stats.demo.api_rules import Response
from oura_stats.demo.server import FakeOura
from oura_stats.run.rounds import Settings, run_round

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


class Gate(FakeOura):
    """Makes two groups of requests overlap, or says they could not: every request for a
    `held` category waits until one for `first` has been answered. With `revoke`, the
    first request for `first` waits until every held category has sent one, and the token
    is refused from then on. Each wait gives up after 5 s; `in_time` says none had to."""

    def __init__(
        self, data: dict[str, Any], first: str, held: set[str], *, revoke: bool = False
    ) -> None:
        super().__init__(data, today=TODAY, doc_page_size=10, token_check=self._check)
        self.first, self.revoke = first, revoke
        self.arrived = {name: threading.Event() for name in held}
        self.answered, self.revoked = threading.Event(), threading.Event()
        self.waits: list[bool] = []

    @property
    def in_time(self) -> bool:
        return bool(self.waits) and all(self.waits)

    def _check(self, token: str) -> bool:
        return token == TOKEN and not self.revoked.is_set()

    def respond(self, method: str, target: str, authorization: str | None) -> Response:
        category = urlsplit(target).path.rsplit("/", 1)[-1]
        if category in self.arrived:
            self.arrived[category].set()
            self.waits.append(self.answered.wait(5))
        elif category == self.first and self.revoke and not self.revoked.is_set():
            self.waits.extend(arrived.wait(5) for arrived in self.arrived.values())
            self.revoked.set()
        response = super().respond(method, target, authorization)
        if category == self.first:
            self.answered.set()
        return response


def revoked_after(answered: int | None) -> Callable[[str], bool]:
    """A token check that accepts the token `answered` times (None: always), then refuses
    it, as if it were revoked during the run."""
    served = itertools.count()
    return lambda token: token == TOKEN and (answered is None or next(served) < answered)


def first_readiness_day(api: FakeOura) -> dt.date:
    return min(dt.date.fromisoformat(d["day"]) for d in api.data["daily_readiness"])


def first_start(api: FakeOura, category: str) -> str:
    """The first day `category` was asked from."""
    params = [r.params for r in api.requests_for(category)]
    return min((p.get("start_date") or p["start_datetime"])[:10] for p in params)


def test_categories_that_need_no_floor_run_while_readiness_finds_it(ws: Workspace) -> None:
    categories = "daily_readiness,daily_sleep,heartrate,sleep"
    with Gate(history(), "daily_sleep", {"daily_readiness"}) as api:
        result = fetch(api, ws, "--categories", categories)
        order = [r.category for r in api.requests]
    assert result.returncode == 0, result.stderr
    # daily_sleep (one request and its pages, whatever its start) was answered while
    # readiness's first page was held; heartrate and sleep waited for the floor.
    assert api.in_time is True
    last_readiness = max(i for i, name in enumerate(order) if name == "daily_readiness")
    assert order.index("daily_sleep") < last_readiness
    assert min(order.index("heartrate"), order.index("sleep")) > last_readiness
    floor = first_readiness_day(api) - CALIBRATION_MARGIN
    assert first_start(api, "heartrate") == floor.isoformat()
    assert first_start(api, "sleep") == str(floor - ONE_DAY)  # a day's pad
    # A category that does not wait for the floor starts from the earliest day: the same
    # one request, never less history.
    assert first_start(api, "daily_sleep") == str(EARLIEST_DAY - ONE_DAY)
    for name in categories.split(","):
        assert len(ws.csv(name)) == len(api.data[name]), name


def test_readiness_that_fails_leaves_the_others_to_the_earliest_day(ws: Workspace) -> None:
    with FakeOura(history(), today=TODAY) as api:
        api.fail("daily_readiness", 500, times=5)
        categories = "daily_readiness,daily_sleep,heartrate"
        result = fetch(api, ws, "--categories", categories, "--retries", "0")
    assert result.returncode == 1
    assert re.search(r"error: daily_readiness: .* 500", result.stderr, re.M), result.stderr
    assert first_start(api, "heartrate") == EARLIEST_DAY.isoformat()
    assert len(ws.csv("heartrate")) == len(api.data["heartrate"])
    assert len(ws.csv("daily_sleep")) == len(api.data["daily_sleep"])
    saved = json.loads(ws.state.read_text())["categories"]
    assert saved["daily_readiness"].get("cursor") is None


def test_a_401_while_the_floor_is_found_fails_every_category_at_once(ws: Workspace) -> None:
    # The token is refused from the rings' request on; two workers: the floor step and one
    # more, so the categories still queued must not send anything.
    check = revoked_after(1)  # personal_info
    categories = "daily_readiness,daily_sleep,heartrate,sleep,tag,workout"
    with FakeOura(history(), today=TODAY, token_check=check) as api:
        result = fetch(api, ws, "--categories", categories, "--concurrency", "2")
        asked = [r.category for r in api.requests]
    assert "ring_configuration" in asked
    assert len(asked) <= 3, asked  # the account, the rings, and at most one request in flight
    assert_all_failed_on_the_token(result, ws, categories)


def test_a_401_on_readiness_fails_the_categories_in_flight_too(ws: Workspace) -> None:
    categories = "daily_readiness,daily_sleep,heartrate,sleep,tag"
    with Gate(history(), "daily_readiness", {"daily_sleep", "tag"}, revoke=True) as api:
        result = fetch(api, ws, "--categories", categories)
        asked = [r.category for r in api.requests]
    assert api.in_time is True  # daily_sleep and tag were asked while readiness was
    assert sorted(asked) == sorted(
        ["personal_info", "ring_configuration", "daily_readiness", "daily_sleep", "tag"]
    )
    assert_all_failed_on_the_token(result, ws, categories)


def assert_all_failed_on_the_token(
    result: subprocess.CompletedProcess[str], ws: Workspace, categories: str
) -> None:
    """Every category failed, said once; nothing was stored and no cursor moved."""
    stderr = result.stderr
    assert result.returncode == 1
    assert stderr.count("rejected the access token") == 1, stderr
    lines = [line for line in stderr.splitlines() if line.endswith("FAILED")]
    assert [line.split()[0] for line in lines] == categories.split(","), stderr
    assert not list(ws.root.rglob("*.csv"))
    saved = json.loads(ws.state.read_text())["categories"]
    assert all(entry.get("cursor") is None for entry in saved.values())


class Recorder:
    """A run observer that counts what each category was told (from any thread)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.chunks: dict[str, int] = {}  # planned
        self.done: dict[str, int] = {}

    def run_started(self) -> None:
        pass

    def planned(self, category: str, window: Window | None, chunks: int) -> None:
        with self.lock:
            assert category not in self.chunks, f"{category} planned twice"
            self.chunks[category] = chunks

    def page(self, category: str, chunk: Any, documents: Any, requests: int) -> None:
        pass

    def chunk_done(self, category: str, chunk: Any) -> None:
        with self.lock:
            self.done[category] = self.done.get(category, 0) + 1

    def run_finished(self) -> None:
        pass


@pytest.mark.parametrize("answered", [None, 2], ids=["ok", "401-after-the-rings"])
def test_the_progress_display_hears_of_every_job_and_each_of_its_requests(
    tmp_path: Path, answered: int | None
) -> None:
    names = ["daily_readiness", "daily_sleep", "heartrate", "ring_configuration", "sleep"]
    recorder = Recorder()
    check = revoked_after(answered)
    with FakeOura(history(), today=TODAY, token_check=check) as api:
        settings = Settings(
            base_url=api.url,
            output_dir=tmp_path / "data",
            state_path=tmp_path / "state.json",
            categories=[BY_NAME[name] for name in names],
            start=None,
            end=None,
            lookback_days=3,
            sandbox=False,
            concurrency=4,
            observer=recorder,
        )
        code = run_round(settings, StaticToken(TOKEN), threading.Event())
    assert code == (0 if answered is None else 1)
    assert recorder.done == recorder.chunks  # each job planned is told of each request's end
    if answered is None:
        assert sorted(recorder.chunks) == names
        assert recorder.chunks["heartrate"] > 1  # 30-day chunks from the floor
