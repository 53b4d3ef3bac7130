"""What the API can do wrong, and what the user sees: one line, the right exit code, no loss."""

from __future__ import annotations

import threading

import pytest
from conftest import TODAY, Workspace, fetch, history

from oura_stats.api.client import OuraClient, RequestStats, RetryPolicy
from oura_stats.api.ratelimit import Pacer
from oura_stats.api.tokens import StaticToken
from oura_stats.demo.server import FakeOura
from oura_stats.errors import ApiError, AuthError, ForbiddenError

FAST = RetryPolicy(attempts=3, backoff_base=0.01, backoff_cap=0.05)


def client(api: FakeOura, token: str = "test-token", **kwargs: object) -> OuraClient:
    return OuraClient(api.url, StaticToken(token), retry=FAST, **kwargs)  # type: ignore[arg-type]


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "error" in line.lower()]


def test_invalid_token_stops_the_run_with_one_clear_line(api: FakeOura, ws: Workspace) -> None:
    result = fetch(api, ws, token="expired")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.count("rejected the access token") == 1  # said once, not per category
    assert "oura-stats auth login" in result.stderr
    assert "expired" not in result.stderr.replace("expired or revoked", "")
    assert len(api.requests) <= 6  # no category keeps hammering after the 401


def test_forbidden_category_is_skipped_and_others_are_saved(api: FakeOura, ws: Workspace) -> None:
    api.forbid("heartrate")
    result = fetch(api, ws, "--categories", "heartrate,daily_sleep,personal_info")
    assert result.returncode == 1
    assert "heartrate: access denied" in result.stderr
    assert "scope" in result.stderr
    assert "membership" in result.stderr
    assert not (ws.data / "heartrate.csv").exists()
    assert len(ws.csv("daily_sleep")) == len(api.data["daily_sleep"])


def test_validation_error_fails_the_category_with_the_apis_message(
    api: FakeOura, ws: Workspace
) -> None:
    body = {"detail": [{"type": "value_error", "loc": ["query", "start_date"], "msg": "bad day"}]}
    api.fail("daily_sleep", 422, body=body)
    result = fetch(api, ws, "--categories", "daily_sleep,daily_stress")
    assert result.returncode == 1
    assert "daily_sleep: the Oura API answered 422: start_date: bad day" in result.stderr
    assert len(ws.csv("daily_stress")) == len(api.data["daily_stress"])


def test_upgrade_required_tells_to_update_the_app(api: FakeOura, ws: Workspace) -> None:
    api.fail("daily_spo2", 426)
    result = fetch(api, ws, "--categories", "daily_spo2")
    assert result.returncode == 1
    assert "update the Oura app" in result.stderr


@pytest.mark.parametrize(
    "inject",
    [
        lambda api: api.fail("daily_sleep", 500),
        lambda api: api.fail("daily_sleep", 503, times=2),
        lambda api: api.truncate("daily_sleep"),
        lambda api: api.drop_connection("daily_sleep"),
        lambda api: api.fail("daily_sleep", 429, headers={"Retry-After": "1"}),
    ],
    ids=["500", "503-twice", "truncated-body", "dropped-connection", "429"],
)
def test_transient_failures_are_retried_and_the_run_succeeds(
    api: FakeOura, ws: Workspace, inject: object
) -> None:
    inject(api)  # type: ignore[operator]
    result = fetch(api, ws, "--categories", "daily_sleep")
    assert result.returncode == 0, result.stderr
    assert len(ws.csv("daily_sleep")) == len(api.data["daily_sleep"])


def test_rate_limit_pauses_every_worker_until_retry_after(ws: Workspace) -> None:
    with FakeOura(history(), today=TODAY, doc_page_size=10) as api:
        api.rate_limit(8, 2, retry_after=2)
        result = fetch(api, ws, "--categories", "daily_sleep,daily_stress,daily_readiness")
        refused = [r for r in api.requests if r.status == 429]
        served = [r for r in api.requests if r.status == 200]
    assert result.returncode == 0, result.stderr
    assert len(served) > 16  # needed more than two windows' budget
    # Shared pacing: a 429 holds back every worker, so only requests already in flight
    # are refused again, not a retry storm from each worker on its own schedule.
    assert 0 < len(refused) <= 4 * (len(served) // 8 + 1)
    assert len(ws.csv("daily_stress")) == len(api.data["daily_stress"])


def test_retries_are_bounded_then_the_category_fails() -> None:
    with FakeOura(history(), today=TODAY) as api:
        api.fail("daily_sleep", 502, times=10)
        with pytest.raises(ApiError, match="gave up after 3 attempts"):
            list(client(api).iter_pages("/v2/usercollection/daily_sleep", {}, RequestStats()))
        assert len(api.requests) == 3


def test_repeated_next_token_is_detected() -> None:
    with FakeOura(history(), today=TODAY, doc_page_size=5) as api:
        api.cycle_next_token("daily_sleep")
        params = {"start_date": "2015-01-01", "end_date": TODAY.isoformat()}
        with pytest.raises(ApiError, match="same next_token"):
            list(client(api).iter_pages("/v2/usercollection/daily_sleep", params, RequestStats()))


def test_cycling_token_fails_only_that_category(ws: Workspace) -> None:
    with FakeOura(history(), today=TODAY, doc_page_size=5) as api:
        api.cycle_next_token("daily_sleep")
        result = fetch(api, ws, "--categories", "daily_sleep,daily_stress")
    assert result.returncode == 1
    assert "same next_token" in result.stderr
    assert not (ws.data / "daily_sleep.csv").exists()
    assert (ws.data / "daily_stress.csv").exists()


def test_401_asks_the_token_provider_once_for_a_new_token() -> None:
    class Renewing:
        def __init__(self) -> None:
            self.token = "stale"
            self.renewals = 0

        def access_token(self) -> str:
            return self.token

        def renew_after_rejection(self, rejected: str) -> bool:
            self.renewals += 1
            self.token = "test-token"
            return True

    provider = Renewing()
    with FakeOura(history(), today=TODAY) as api:
        oura = OuraClient(api.url, provider, retry=FAST)
        body = oura.get_object("/v2/usercollection/personal_info", RequestStats())
    assert body["id"]
    assert provider.renewals == 1


def test_401_mentioning_scope_is_treated_as_forbidden() -> None:
    with FakeOura(history(), today=TODAY) as api:
        api.fail("workout", 401, body={"detail": "Missing required scope: workout"})
        with pytest.raises(ForbiddenError, match="scope"):
            list(client(api).iter_pages("/v2/usercollection/workout", {}, RequestStats()))
        api.fail("workout", 401, body={"detail": "Invalid token"})
        with pytest.raises(AuthError):
            list(client(api).iter_pages("/v2/usercollection/workout", {}, RequestStats()))


def test_pacer_never_exceeds_its_budget_across_threads() -> None:
    now = [0.0]
    pacer = Pacer(limit=10, window_seconds=300, clock=lambda: now[0])
    stop = threading.Event()
    for _ in range(10):
        pacer.acquire(stop)
    stop.set()
    with pytest.raises(Exception, match="stopped"):
        pacer.acquire(stop)
    now[0] = 300.5
    pacer.acquire(threading.Event())


def test_unreachable_api_fails_each_category_with_a_clear_line(ws: Workspace) -> None:
    api = FakeOura(history(), today=TODAY).start()
    url = api.url
    api.stop()

    class Stopped:
        url = ""

    stopped = Stopped()
    stopped.url = url
    result = fetch(stopped, ws, "--categories", "personal_info")  # type: ignore[arg-type]
    assert result.returncode == 1
    assert "cannot connect to the Oura API" in result.stderr
    assert "Traceback" not in result.stderr
