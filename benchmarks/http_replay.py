"""HTTP cost baseline: replay a list of GET requests with bare `requests` sessions.

Run as a child process by `run.py`, so its rusage (interpreter start-up, importing
`requests`, HTTP round trips and `.json()` decoding) can be set against the tool's:

    python benchmarks/http_replay.py PLAN.json [CONCURRENCY]

PLAN.json: {"base_url": "...", "token": "...", "requests": [[path, {param: value}], ...]}.
With CONCURRENCY 1 (the default) the requests are sent one after another on one
`requests.Session`; with N > 1, N threads take the requests in the plan's order, each
thread with its own bare session (a session is not meant to be shared between threads).
Every body is decoded and then dropped: nothing is stored.
"""

from __future__ import annotations

import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

Request = tuple[str, dict[str, str]]


class Replayer:
    """Sends the plan's requests; one bare session per thread."""

    def __init__(self, base_url: str, token: str) -> None:
        self._base_url = base_url
        self._headers = {"Authorization": f"Bearer {token}"}
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def send(self, request: Request) -> None:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            with self._lock:
                self._sessions.append(session)
        path, params = request
        url = self._base_url + path
        response = session.get(url, params=params, headers=self._headers, timeout=60)
        response.raise_for_status()
        response.json()

    def close(self) -> None:
        for session in self._sessions:
            session.close()


def replay(plan_path: Path, concurrency: int = 1) -> int:
    plan: dict[str, Any] = json.loads(plan_path.read_text(encoding="utf-8"))
    requests_: list[Request] = [(path, params) for path, params in plan["requests"]]
    replayer = Replayer(plan["base_url"], plan["token"])
    try:
        if concurrency <= 1:
            for request in requests_:
                replayer.send(request)
        else:
            with ThreadPoolExecutor(concurrency) as pool:
                for _ in pool.map(replayer.send, requests_):
                    pass
    finally:
        replayer.close()
    return len(requests_)


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2) or (len(argv) == 2 and not argv[1].isdigit()):
        sys.stderr.write("usage: http_replay.py PLAN.json [CONCURRENCY]\n")
        return 2
    concurrency = int(argv[1]) if len(argv) == 2 else 1
    sent = replay(Path(argv[0]), concurrency)
    sys.stderr.write(f"replayed {sent} requests, {concurrency} at a time\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
