"""HTTP cost baseline: replay a list of GET requests with one `requests.Session`.

Run as a child process by `run.py`, so its rusage (interpreter start-up, importing
`requests`, HTTP round trips and `.json()` decoding) can be subtracted from the tool's:

    python benchmarks/http_replay.py PLAN.json

PLAN.json: {"base_url": "...", "token": "...", "requests": [[path, {param: value}], ...]}.
Requests are sent one after another; every body is decoded and then dropped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import requests


def replay(plan_path: Path) -> int:
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    base_url: str = plan["base_url"]
    headers = {"Authorization": f"Bearer {plan['token']}"}
    with requests.Session() as session:
        for path, params in plan["requests"]:
            response = session.get(base_url + path, params=params, headers=headers, timeout=60)
            response.raise_for_status()
            response.json()
    return len(plan["requests"])


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: http_replay.py PLAN.json\n")
        return 2
    sent = replay(Path(argv[0]))
    sys.stderr.write(f"replayed {sent} requests\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
