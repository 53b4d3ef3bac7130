"""The fake Oura server behaves like the real API: auth, paging, date quirks and faults."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from oura_stats.demo.history import CATEGORY_NAMES, TRICKY_TEXT, make_history, revise
from oura_stats.demo.server import FakeOura

END = dt.date(2024, 11, 12)
AUTH = {"Authorization": "Bearer test-token"}
HISTORY = make_history(40, end=END)


@pytest.fixture
def fake() -> Iterator[FakeOura]:
    with FakeOura(HISTORY, today=END, doc_page_size=7, series_page_size=100) as server:
        yield server


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers.update(AUTH)
        yield s


def get(s: requests.Session, fake: FakeOura, category: str, **params: str) -> requests.Response:
    return s.get(f"{fake.url}/v2/usercollection/{category}", params=params, timeout=5)


def fetch_all(s: requests.Session, fake: FakeOura, category: str, **params: str) -> list[Any]:
    docs: list[Any] = []
    token: str | None = ""
    while token is not None:
        response = get(s, fake, category, **params, **({"next_token": token} if token else {}))
        assert response.status_code == 200, response.text
        body = response.json()
        docs += body["data"]
        token = body["next_token"]
    return docs


def days(docs: list[dict[str, Any]], field: str = "day") -> set[str]:
    return {doc[field] for doc in docs}


def test_auth_sandbox_and_unknown_routes(fake: FakeOura, session: requests.Session) -> None:
    url = f"{fake.url}/v2/usercollection/daily_sleep"
    assert requests.get(url, timeout=5).status_code == 401
    wrong = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=5)
    assert wrong.status_code == 401
    assert "detail" in wrong.json()
    sandbox = f"{fake.url}/v2/sandbox/usercollection/daily_sleep"
    assert requests.get(sandbox, headers={"Authorization": "x"}, timeout=5).status_code == 200
    assert session.get(f"{fake.url}/v2/sandbox/usercollection/personal_info").status_code == 404
    assert session.get(f"{fake.url}/v2/usercollection/nope").json() == {"detail": "Not Found"}
    info = get(session, fake, "personal_info").json()
    assert info == HISTORY["personal_info"]
    recorded = fake.requests_for("daily_sleep")
    assert [(r.status, r.sandbox) for r in recorded] == [(401, False), (401, False), (200, True)]
    assert recorded[1].authorization == "Bearer nope"
    assert fake.requests[2].sandbox


def test_paging_follows_tokens_and_rejects_bad_ones(
    fake: FakeOura, session: requests.Session
) -> None:
    params = {"start_date": "2024-10-01", "end_date": "2024-11-12"}
    docs = fetch_all(session, fake, "daily_readiness", **params)
    assert docs == HISTORY["daily_readiness"]
    assert len(fake.requests_for("daily_readiness")) == -(-len(docs) // 7)
    first = get(session, fake, "daily_readiness", **params).json()
    assert get(session, fake, "daily_readiness", **params, next_token="").json() == first
    token = first["next_token"]
    other = {"start_date": "2024-10-02", "end_date": "2024-11-12", "next_token": token}
    assert get(session, fake, "daily_readiness", **other).status_code == 400
    assert get(session, fake, "daily_readiness", **params, next_token="garbage!").status_code == 400


def test_daily_end_date_quirks(fake: FakeOura, session: requests.Session) -> None:
    window = {"start_date": "2024-11-10", "end_date": "2024-11-11"}
    assert days(fetch_all(session, fake, "daily_activity", **window)) == {"2024-11-10"}
    assert days(fetch_all(session, fake, "daily_stress", **window)) == {"2024-11-10", "2024-11-11"}
    late = {"start_date": "2024-11-10", "end_date": "2024-11-11T23:59:59"}
    assert days(fetch_all(session, fake, "daily_activity", **late)) == {"2024-11-10", "2024-11-11"}
    default = fetch_all(session, fake, "daily_stress")  # start = today - 1, end = today
    assert days(default) == {"2024-11-11", "2024-11-12"}
    # workout filters on the UTC date of start_datetime: 00:20 local is still the day before
    early = next(w for w in HISTORY["workout"] if "T00:20:00" in w["start_datetime"])
    day = dt.date.fromisoformat(early["day"])
    around = {"start_date": str(day - dt.timedelta(days=1)), "end_date": str(day)}
    assert early in fetch_all(session, fake, "workout", **around)
    exact = {"start_date": str(day), "end_date": str(day + dt.timedelta(days=1))}
    assert early not in fetch_all(session, fake, "workout", **exact)


def test_date_validation_errors(fake: FakeOura, session: requests.Session) -> None:
    bad = get(session, fake, "daily_sleep", start_date="2024-13-45")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "start_date"]
    backwards = get(session, fake, "daily_sleep", start_date="2024-11-12", end_date="2024-11-01")
    assert backwards.json() == {"detail": "Start date must be before end date"}
    assert get(session, fake, "daily_sleep", start_date="1", end_date="2").json()["data"] == []


def test_series_windows_latest_and_paging(fake: FakeOura, session: requests.Session) -> None:
    window = {"start_datetime": "2024-11-10T00:00:00+00:00", "end_datetime": "2024-11-11T00:00:00Z"}
    samples = fetch_all(session, fake, "heartrate", **window)
    assert len(samples) >= 289  # every 5 minutes, inclusive ends, plus duplicated instants
    assert all("2024-11-10" in s["timestamp"] for s in samples[:-1])
    raw_plus = f"{fake.url}/v2/usercollection/heartrate?start_datetime=2024-11-10T00:00:00+00:00"
    assert session.get(raw_plus).status_code == 422
    wide = {"start_datetime": "2024-09-01T00:00:00Z", "end_datetime": "2024-11-01T00:00:00Z"}
    assert get(session, fake, "heartrate", **wide).status_code == 400
    ignored = fetch_all(session, fake, "heartrate", start_date="2024-10-01")
    assert {s["timestamp"][:10] for s in ignored} <= {"2024-11-12", "2024-11-13"}
    latest = get(session, fake, "ring_battery_level", latest="true", **window).json()
    assert latest["data"] == [
        b for b in HISTORY["ring_battery_level"] if b["timestamp"] == "2024-11-11T00:00:00+00:00"
    ]


def test_status_faults(fake: FakeOura, session: requests.Session) -> None:
    fake.fail("daily_sleep", 429)
    fake.fail("*", 503, times=2)
    limited = get(session, fake, "daily_sleep")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    assert get(session, fake, "tag").json() == {"detail": "Service Unavailable"}
    assert get(session, fake, "daily_sleep").status_code == 503
    assert get(session, fake, "daily_sleep").status_code == 200
    fake.forbid("tag")
    assert [get(session, fake, "tag").status_code for _ in range(2)] == [403, 403]
    fake.rate_limit(2, 60, retry_after=7)
    codes = [get(session, fake, "daily_stress").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    last = fake.requests[-1]
    assert last.status == 429


def test_broken_responses(fake: FakeOura, session: requests.Session) -> None:
    fake.truncate("daily_sleep")
    truncated = get(session, fake, "daily_sleep")
    assert truncated.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(truncated.text)
    fake.drop_connection("daily_sleep")
    with pytest.raises(requests.ConnectionError):
        get(session, fake, "daily_sleep")
    assert fake.requests_for("daily_sleep")[-1].status == 0
    assert get(session, fake, "daily_sleep").status_code == 200  # the pool recovers
    fake.cycle_next_token("sleep")
    tokens = set()
    params = {"start_date": "2024-10-01", "end_date": "2024-11-12"}
    token = get(session, fake, "sleep", **params).json()["next_token"]
    for _ in range(3):
        token = get(session, fake, "sleep", **params, next_token=token).json()["next_token"]
        tokens.add(token)
    assert len(tokens) == 1
    assert None not in tokens


def test_upsert_replaces_by_key(fake: FakeOura, session: requests.Session) -> None:
    window = {"start_date": "2024-11-12", "end_date": "2024-11-12"}
    [doc] = fetch_all(session, fake, "daily_cardiovascular_age", **window)
    changed = revise(doc)
    fake.upsert_document("daily_cardiovascular_age", changed)
    assert fetch_all(session, fake, "daily_cardiovascular_age", **window) == [changed]
    sample = HISTORY["heartrate"][-1]
    fake.upsert_document("heartrate", revise(sample))
    assert len(fake.data["heartrate"]) == len(HISTORY["heartrate"])


def test_latency_overlaps_concurrent_requests() -> None:
    with FakeOura(HISTORY, today=END, latency=0.2) as fake, requests.Session() as s:
        s.headers.update(AUTH)
        begun = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: get(s, fake, "daily_spo2").status_code, range(8)))
        assert codes == [200] * 8
        assert time.monotonic() - begun < 0.8


def test_history_is_realistic_and_deterministic() -> None:
    assert make_history(10, end=END, seed=3) == make_history(10, end=END, seed=3)
    assert set(HISTORY) == set(CATEGORY_NAMES)
    assert all("id" not in doc for doc in HISTORY["daily_cardiovascular_age"])
    instants = [s["timestamp"] for s in HISTORY["heartrate"]]
    assert len(instants) > len(set(instants))
    assert any(t["comment"] == TRICKY_TEXT for t in HISTORY["enhanced_tag"])
    assert HISTORY["ring_configuration"][0]["set_up_at"].startswith("1970-01-01")
    offsets = {w["start_datetime"][-6:] for w in HISTORY["workout"]}
    assert {"+00:00", "+01:00", "+02:00"} <= offsets
    assert any("ring_id" in s for s in HISTORY["sleep"])
    assert any("ring_id" not in s for s in HISTORY["sleep"])
