"""The manifests' containers as real processes: each one's command line and the environment
its pod gets (the ConfigMap, the example Secret, the container's env, JOB_COMPLETION_INDEX),
in a working directory and HOME it must not write, against the fake Oura API and a real
PostgreSQL."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import requests
from conftest import run_cli
from fake_oauth import FakeOAuth, logged_in
from kube import container_env, containers, expand, find, render
from test_cohort import make_study

from oura_stats.demo.server import FakeOura

ROOT = Path(__file__).resolve().parent.parent
KEY = "a key only this test knows"


def pod_container(overlay: str, kind: str, name: str) -> tuple[dict[str, Any], dict[str, str]]:
    """A workload's container and the environment its pod starts it with."""
    objects = render(overlay)
    spec = find(objects, kind, name)["spec"]
    if kind == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    (container,) = containers(spec["template"]["spec"])
    return container, container_env(objects, container)


def sandbox(root: Path) -> dict[str, Path]:
    """A working directory and HOME nobody may write, and the pod's writable /tmp."""
    places = {name: root / name for name in ("work", "home", "tmp")}
    for path in places.values():
        path.mkdir(exist_ok=True)
    places["work"].chmod(0o555)
    places["home"].chmod(0o555)
    return places


def start_pod(
    container: dict[str, Any], env: dict[str, str], places: dict[str, Path], *extra: str
) -> subprocess.Popen[str]:
    """Start the container's command as its pod would (what the test changes comes in extra)."""
    environment = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT)),
        "PYTHONDONTWRITEBYTECODE": "1",
        "TMPDIR": str(places["tmp"]),
        **env,
        "HOME": str(places["home"]),
    }
    assert container["command"] == ["oura-stats"]
    argv = [expand(arg, environment) for arg in container["args"]]
    return subprocess.Popen(
        [sys.executable, "-m", "oura_stats", *argv, *extra],
        cwd=places["work"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def written(places: dict[str, Path]) -> list[Path]:
    return [p for name in ("work", "home") for p in places[name].rglob("*")]


def rows(pg_url: str, table: str) -> int:
    with psycopg.connect(pg_url) as connection:
        row = connection.execute(f"SELECT count(*) FROM {table}").fetchone()  # type: ignore[arg-type]
    return int(row[0]) if row else 0


def image_env() -> dict[str, str]:
    """The variables docs/Dockerfile's ENV lines set in the image."""
    text = (ROOT / "docs" / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    pairs = [
        p for line in re.findall(r"^ENV (.+)$", text, flags=re.MULTILINE) for p in line.split()
    ]
    return dict(pair.split("=", 1) for pair in pairs)


def logged_in_to_the_database(oauth: FakeOAuth, pg_url: str, tmp_path: Path) -> None:
    """Step 4 of the guide: a login on the user's machine, moved into the database."""
    creds = tmp_path / "laptop-credentials.json"
    logged_in(oauth, creds)
    done = run_cli(
        "auth", "import", "--db", pg_url, "--credentials-file", str(creds),
        env={"OURA_STATS_SECRET_KEY": KEY},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def account_env(api: FakeOura, pg_url: str, env: dict[str, str]) -> dict[str, str]:
    """The image's and the pod's variables, the Secret's values for this test's database,
    and the fake API (whose only tokens are those in the database)."""
    secret = {"OURA_STATS_DB": pg_url, "OURA_STATS_SECRET_KEY": KEY}
    return image_env() | env | secret | {"OURA_API_BASE_URL": api.url}


def finish(pod: subprocess.Popen[str]) -> str:
    _, err = pod.communicate(timeout=120)
    assert pod.returncode == 0, err
    return err


def test_the_cronjobs_pods_fill_the_database_and_write_no_file(
    oauth: FakeOAuth, oauth_api: FakeOura, pg_url: str, tmp_path: Path
) -> None:
    api = oauth_api
    logged_in_to_the_database(oauth, pg_url, tmp_path)
    container, env = pod_container("cronjob", "CronJob", "oura-stats-fetch")
    env = account_env(api, pg_url, env)
    places = sandbox(tmp_path)
    finish(start_pod(container, env, places))
    assert written(places) == []
    sleeps = rows(pg_url, "daily_sleep")
    assert sleeps > 0
    first = len(api.requests)
    finish(start_pod(container, env, places))  # the next run, in another pod
    assert 0 < len(api.requests) - first < first  # incremental, from the database's cursors
    assert rows(pg_url, "daily_sleep") == sleeps
    assert written(places) == []


def test_the_service_pod_turns_healthy_for_its_probes_and_writes_no_file(
    oauth: FakeOAuth, oauth_api: FakeOura, pg_url: str, tmp_path: Path
) -> None:
    logged_in_to_the_database(oauth, pg_url, tmp_path)
    container, env = pod_container("service", "Deployment", "oura-stats")
    args = container["args"]
    at = args.index("--health-port") + 1
    port = free_port()  # 8080 may be taken on a test machine
    container = container | {"args": [*args[:at], str(port), *args[at + 1 :]]}
    probe = container["readinessProbe"]["httpGet"]["path"]
    assert probe == container["livenessProbe"]["httpGet"]["path"]
    places = sandbox(tmp_path)
    pod = start_pod(container, account_env(oauth_api, pg_url, env), places)
    try:
        deadline = time.monotonic() + 60
        while (answer := get(f"http://127.0.0.1:{port}{probe}")) != 200:
            assert pod.poll() is None, pod.communicate()[1]
            assert time.monotonic() < deadline, f"{probe} still says {answer}"
            time.sleep(0.2)
    finally:
        pod.terminate()  # what the kubelet sends
        _, err = pod.communicate(timeout=60)
    assert pod.returncode == 0, err
    assert written(places) == []
    assert rows(pg_url, "daily_sleep") > 0


def get(url: str) -> int | None:
    try:
        return requests.get(url, timeout=5).status_code
    except requests.ConnectionError:
        return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_cohort_jobs_indexed_pods_collect_every_participant_once(
    pg_url: str, tmp_path: Path
) -> None:
    container, env = pod_container("cohort", "CronJob", "oura-stats-cohort")
    job = find(render("cohort"), "CronJob", "oura-stats-cohort")["spec"]["jobTemplate"]["spec"]
    places = sandbox(tmp_path)
    for study in make_study(pg_url, job["completions"] + 2, days=3):
        env |= {"OURA_STATS_DB": pg_url, "OURA_STATS_SECRET_KEY": KEY}
        env |= {"OURA_API_BASE_URL": study.api.url}
        pods = [
            start_pod(container, env | {"JOB_COMPLETION_INDEX": str(index)}, places)
            for index in range(job["parallelism"])
        ]
        for index, pod in enumerate(pods):
            _, err = pod.communicate(timeout=120)
            assert pod.returncode == 0, err
            assert f"shard {index}/{job['completions']}" in err
        assert [study.identified(m) for m in study.members] == [1] * len(study.members)
        assert study.rows("daily_sleep") == study.expected("daily_sleep")
    assert written(places) == []


def test_the_enrollment_pod_serves_its_pages_and_writes_no_file(
    pg_url: str, tmp_path: Path
) -> None:
    container, env = pod_container("cohort", "Deployment", "oura-stats-enroll")
    args = container["args"]
    port = free_port()  # 8080 may be taken on a test machine
    at = args.index("--port") + 1
    container = container | {"args": [*args[:at], str(port), *args[at + 1 :]]}
    places = sandbox(tmp_path)
    pod = start_pod(
        container, env | {"OURA_STATS_DB": pg_url, "OURA_STATS_SECRET_KEY": KEY}, places
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert pod.poll() is None, pod.communicate()[1]
            try:
                page = requests.get(f"http://127.0.0.1:{port}/enroll/nonsense", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the enrollment pages never answered"
                time.sleep(0.2)
        assert page.status_code == 404  # a clear page for a link that is no invitation
        assert "text/html" in page.headers["Content-Type"]
    finally:
        pod.terminate()
        _, err = pod.communicate(timeout=30)
    assert "Traceback" not in err
    assert written(places) == []
