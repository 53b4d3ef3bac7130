"""A study seen from outside: `demo --participants`, `status --accounts`, the cohort page in
Chromium, `service --all-accounts` with /health and /metrics, the shared request budget."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from chromium import Browser, require_chromium
from conftest import run_cli

from oura_stats.db.budget import Budget, SharedBudget

PARTICIPANTS = 12
DAYS = 40


@pytest.fixture(scope="module")
def study(postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """`oura-stats demo --participants 12` into a new database, once for this module."""
    import uuid

    import psycopg

    name = f"s_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
    url = postgres_server.replace("@/postgres?", f"@/{name}?")
    out = tmp_path_factory.mktemp("study") / "demo"
    done = run_cli("demo", "--participants", str(PARTICIPANTS), "--days", str(DAYS),
                   "--db", url, "--output-dir", str(out))  # fmt: skip
    assert done.returncode == 1, done.stderr  # one participant revoked their consent
    assert "p003: Oura refused their token" in done.stderr
    return url, out


def test_the_demo_study_collects_everyone_but_the_revoked_participant(
    study: tuple[str, Path],
) -> None:
    url, _ = study
    done = run_cli("status", "--accounts", "--json", "--db", url)
    assert done.returncode == 1  # someone needs attention
    entries = {e["name"]: e for e in json.loads(done.stdout)["participants"]}
    assert len(entries) == PARTICIPANTS
    assert entries["p003"]["needs_consent"] is True
    assert entries["p003"]["last_sleep_day"] is None
    assert entries["p001"]["state"] == "ok" and entries["p001"]["last_sleep_day"]
    assert entries["p001"]["attention"] is False
    silent = entries["p007"]  # stopped syncing four days ago
    assert silent["silent_days"] == 4 and silent["attention"] is True
    assert silent["days_without_sleep_last_14"] >= 4
    ids = {e["oura_user_id"] for e in entries.values()}
    assert len(ids) == PARTICIPANTS  # distinct accounts


def test_accounts_list_shows_each_participants_last_day_with_data(
    study: tuple[str, Path],
) -> None:
    url, _ = study
    done = run_cli("accounts", "list", "--db", url, "--json")
    assert done.returncode == 0, done.stderr
    rows = {r["name"]: r for r in json.loads(done.stdout)}
    assert rows["p003"]["last_day"] is None and rows["p003"]["state"] == "needs consent"
    today = dt.datetime.now(dt.UTC).date()
    assert rows["p001"]["last_day"] in {(today - dt.timedelta(days=n)).isoformat() for n in (0, 1)}
    assert rows["p007"]["last_day"] == (today - dt.timedelta(days=4)).isoformat()
    table = run_cli("accounts", "list", "--db", url)
    assert table.stdout.splitlines()[0].split() == [
        "NAME", "OURA", "USER", "ID", "ENROLLED", "LAST", "DAY", "STATE"
    ]  # fmt: skip


def test_status_accounts_as_a_table(study: tuple[str, Path]) -> None:
    url, _ = study
    done = run_cli("status", "--accounts", "--db", url)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].split()[:2] == ["PARTICIPANT", "STATE"]
    assert any(line.startswith("! p003") and "needs consent" in line for line in lines)
    assert any(line.startswith("  p001") and "ok" in line for line in lines)


@pytest.fixture(scope="module")
def executable() -> str:
    return require_chromium()


def test_the_cohort_page_puts_the_silent_first_and_shows_every_participant(
    study: tuple[str, Path], executable: str, tmp_path: Path
) -> None:
    url, demo_dir = study
    assert (demo_dir / "cohort.html").is_file()  # the demo wrote one
    out = tmp_path / "cohort.html"
    done = run_cli("report", "--cohort", "--db", url, "--out", str(out))
    assert done.returncode == 0, done.stderr
    with Browser(executable, width=1280, height=900) as page:
        page.open(out.resolve().as_uri())
        assert page.log.errors() == []
        assert page.log.requests == [out.resolve().as_uri()]
        names = page.evaluate(
            "JSON.stringify([...document.querySelectorAll('tbody tr, table tr')]"
            ".slice(1).map(r => [r.cells[0].textContent, r.className]))"
        )
        rows = json.loads(names)
        assert len(rows) == PARTICIPANTS
        flagged = [name for name, cls in rows if cls == "attention"]
        assert rows[: len(flagged)] == [[n, "attention"] for n in flagged]
        assert {"p003", "p007"} <= set(flagged)
        assert "p001" not in flagged
        cells = page.evaluate(
            "JSON.stringify([...document.querySelectorAll('svg')].map(s => s.children.length))"
        )
        assert set(json.loads(cells)) == {30, 90}
        page.set_viewport(390, 844, mobile=True)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_study_service_reports_each_participant_on_metrics(study: tuple[str, Path]) -> None:
    url, _ = study
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OURA_")}
    service = subprocess.Popen(
        [sys.executable, "-m", "oura_stats", "service", "--all-accounts", "--db", url,
         "--plain-tokens", "--base-url", "http://127.0.0.1:9", "--health-port", str(port),
         "--interval-hours", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/health", timeout=5)
                if health.json()["rounds"]["failed"] + health.json()["rounds"]["ok"]:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline and service.poll() is None
            time.sleep(0.2)
        assert health.status_code == 200
        assert health.json()["participants"] == PARTICIPANTS
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert 'oura_stats_participant_needs_consent{participant="p003"} 1' in metrics
        assert 'oura_stats_participant_days_since_data{participant="p007"} 4' in metrics
        assert len(re.findall(r"oura_stats_participant_failing\{", metrics)) == PARTICIPANTS
    finally:
        service.terminate()
        _, err = service.communicate(timeout=30)
    assert service.returncode == 0, err


def test_the_application_budget_is_shared_by_every_process(pg_url: str) -> None:
    """Two collectors (one budget object each, as two pods) never exceed it together."""
    budget = Budget(40, 2.0)
    stop = threading.Event()
    taken: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        shared = SharedBudget(pg_url, "test", budget)
        pacer = shared.pacer()
        try:
            for _ in range(50):
                pacer.acquire(stop)
                with lock:
                    taken.append(time.monotonic())
        finally:
            shared.close()

    began = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(taken) == 100
    assert time.monotonic() - began >= 2.0  # 100 requests at 40 per 2 s: two full windows
    taken.sort()
    for index, moment in enumerate(taken):
        window = [t for t in taken[index:] if t - moment < 1.9]
        assert len(window) <= budget.requests


def test_a_bad_budget_is_a_usage_error(study: tuple[str, Path]) -> None:
    url, _ = study
    done = run_cli("fetch", "--all-accounts", "--db", url, "--app-budget", "5000")
    assert done.returncode == 2 and "REQUESTS/SECONDS" in done.stderr
