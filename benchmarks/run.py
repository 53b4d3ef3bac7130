"""Benchmark the real `oura-stats fetch` against the fake Oura API.

    python benchmarks/run.py                  # 5-year history, heart rate every 300 s, 50 ms
    python benchmarks/run.py --quick          # 60 days, 5 ms: a smoke run in seconds
    python benchmarks/run.py --json out.json --profile /tmp/backfill.prof

Scenarios, each a fresh child process of the CLI with its own output directory and state:
a backfill of the long history at the default concurrency, the incremental run right
after it (no changes on the server), the same backfill with `--concurrency 1`, and a
backfill plus incremental run of a 1-year history. Each child's wall time, CPU time and
peak RSS come from its own rusage (see measure.py); request counts from the server's log.

The floor is measured in this process: `json.loads` of the pages the server sends for the
data and `csv.writer` writing the same rows, already flattened. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT)]

from db_scenarios import Bench, database_only_scenarios, db_scenarios  # noqa: E402
from profile_cli import FunctionCost, top_functions, top_own_time, total_seconds  # noqa: E402

from oura_stats.demo.history import make_history  # noqa: E402
from oura_stats.demo.server import ROUTES, FakeOura  # noqa: E402
from oura_stats.store.flatten import flatten  # noqa: E402

TOKEN = "test-token"  # the fake server's token
DOC_PAGE_SIZE = 100
SERIES_PAGE_SIZE = 1000
SERIES_MAX_DAYS = 30
SMALL_HISTORY_DAYS = 365
FLOOR_REPEATS = 3
PLACEHOLDER_TOKEN = "x" * 40  # a next_token of realistic length for non-final floor pages
CATEGORIES = tuple(ROUTES)
TOTAL_LINE = re.compile(r"total: ([\d,]+) new, ([\d,]+) updated, ([\d,]+) requests")

# Where the main thread waits for the worker (wall-clock profile): not a cost of its own.
WAITS = ("<method 'acquire' of '_thread.lock' objects>",)

Data = dict[str, Any]
Pages = dict[str, list[list[dict[str, Any]]]]


STARTED = time.perf_counter()


def progress(message: str) -> None:
    sys.stderr.write(f"[{time.perf_counter() - STARTED:6.1f} s] {message}\n")
    sys.stderr.flush()


# --- measuring one child process ----------------------------------------------------------


@dataclass
class ChildRun:
    wall_s: float
    cpu_s: float  # user + system, from the child's own rusage
    peak_rss_mb: float
    server_cpu_s: float  # this process (the fake server's threads) meanwhile
    exit_code: int
    output: str  # stdout and stderr


def run_child(argv: list[str]) -> ChildRun:
    """Run `argv` through measure.py, so its peak RSS is its own (see there why)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OURA_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="oura-bench-child-") as scratch:
        result_path, output_path = Path(scratch, "result.json"), Path(scratch, "output.txt")
        with output_path.open("w", encoding="utf-8") as output:
            cpu_before = time.process_time()
            subprocess.run(
                [sys.executable, str(HERE / "measure.py"), str(result_path), *argv],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                check=False,
            )
            server_cpu = time.process_time() - cpu_before
        result = json.loads(result_path.read_text(encoding="utf-8"))
        text = output_path.read_text(encoding="utf-8", errors="replace")
    return ChildRun(
        wall_s=result["wall_s"],
        cpu_s=result["user_s"] + result["system_s"],
        peak_rss_mb=result["peak_rss_kb"] / 1024,
        server_cpu_s=server_cpu,
        exit_code=result["exit_code"],
        output=text,
    )


def checked(run: ChildRun, what: str) -> ChildRun:
    if run.exit_code != 0:
        sys.stderr.write(run.output[-4000:])
        raise SystemExit(f"benchmark: {what} exited with {run.exit_code}; stopping")
    return run


def fetch_args(url: str, workdir: Path, concurrency: int | None) -> list[str]:
    """The CLI arguments of one `fetch` (after `python -m oura_stats`)."""
    args = ["fetch", "--base-url", url, "--token", TOKEN]
    args += ["--output-dir", str(workdir / "data"), "--state-file", str(workdir / "state.json")]
    if concurrency is not None:
        args += ["--concurrency", str(concurrency)]
    return args


# --- scenarios ----------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    server_cpu_s: float
    requests: int
    rows: int | None = None  # new + updated rows, from the CLI's summary
    failed_requests: int = 0
    per_category: dict[str, int] = field(default_factory=dict)
    wall_s_each: list[float] = field(default_factory=list)  # when run several times


def fetch_scenario(
    name: str,
    fake: FakeOura,
    workdir: Path,
    concurrency: int | None,
    repeat: int = 1,
    *,
    extra: list[str] | None = None,
) -> Scenario:
    """Run `fetch` `repeat` times on the same workdir; medians of time, max of memory."""
    runs: list[ChildRun] = []
    requests: list[int] = []
    for _ in range(repeat):
        fake.clear_requests()
        args = [*fetch_args(fake.url, workdir, concurrency), *(extra or [])]
        argv = [sys.executable, "-m", "oura_stats", *args]
        runs.append(checked(run_child(argv), f"`{name}`"))
        requests.append(len(fake.requests))
    log = fake.requests
    total = TOTAL_LINE.search(runs[-1].output)
    rows = int(total[1].replace(",", "")) + int(total[2].replace(",", "")) if total else None
    return Scenario(
        name=name,
        wall_s=statistics.median(r.wall_s for r in runs),
        cpu_s=statistics.median(r.cpu_s for r in runs),
        peak_rss_mb=max(r.peak_rss_mb for r in runs),
        server_cpu_s=statistics.median(r.server_cpu_s for r in runs),
        requests=max(requests),
        rows=rows,
        failed_requests=sum(1 for r in log if r.status != 200),
        per_category=dict(Counter(r.category or "?" for r in log)),
        wall_s_each=[round(r.wall_s, 3) for r in runs] if repeat > 1 else [],
    )


def replay_scenario(
    fake: FakeOura, log: list[tuple[str, dict[str, str]]], tmp: Path, name: str
) -> Scenario:
    """The HTTP baseline: the same requests, one by one, with a bare requests.Session.

    The server's latency is switched off meanwhile: sleeping costs the client no CPU.
    With an empty log it measures the replay's own start-up (Python and requests).
    """
    plan = tmp / "replay.json"
    plan.write_text(json.dumps({"base_url": fake.url, "token": TOKEN, "requests": log}))
    latency, fake.latency = fake.latency, 0.0
    fake.clear_requests()
    try:
        run = run_child([sys.executable, str(HERE / "http_replay.py"), str(plan)])
    finally:
        fake.latency = latency
    checked(run, "the HTTP replay")
    return Scenario(
        name, run.wall_s, run.cpu_s, run.peak_rss_mb, run.server_cpu_s, len(fake.requests)
    )


def startup_scenario() -> Scenario:
    run = checked(run_child([sys.executable, "-m", "oura_stats", "--version"]), "--version")
    return Scenario("start-up only (--version)", run.wall_s, run.cpu_s, run.peak_rss_mb, 0.0, 0)


@contextmanager
def serving(data: Data, today: dt.date, latency: float) -> Iterator[FakeOura]:
    fake = FakeOura(
        data,
        token=TOKEN,
        today=today,
        latency=latency,
        doc_page_size=DOC_PAGE_SIZE,
        series_page_size=SERIES_PAGE_SIZE,
        series_max_days=SERIES_MAX_DAYS,
    )
    with fake:
        yield fake


# --- the minimum number of requests, and the pages they return ----------------------------


def minimal_pages(data: Data) -> Pages:
    """For each category, the pages of the fewest requests that fetch all of its data.

    Documents: ceil(documents / page size) requests, at least 1. Time series: the span
    from the first to the last sample's UTC day, cut into 30-day chunks (the longest
    window the API accepts); each chunk needs ceil(samples / page size) requests, at least
    1. A single document (personal_info) and the undated ring_configuration: 1 request.
    """
    pages: Pages = {}
    for name, route in ROUTES.items():
        if route.kind == "single":
            pages[name] = [[data[name]]] if name in data else [[]]
            continue
        docs: list[dict[str, Any]] = data.get(name) or []
        if route.kind == "series":
            pages[name] = [
                page for chunk in _series_chunks(docs) for page in _paged(chunk, SERIES_PAGE_SIZE)
            ]
        else:
            pages[name] = _paged(docs, DOC_PAGE_SIZE)
    return pages


def _series_chunks(docs: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    if not docs:
        return [[]]
    days = [dt.datetime.fromisoformat(d["timestamp"]).astimezone(dt.UTC).date() for d in docs]
    first = min(days)
    count = (max(days) - first).days // SERIES_MAX_DAYS + 1
    chunks: list[list[dict[str, Any]]] = [[] for _ in range(count)]
    for day, doc in zip(days, docs, strict=True):
        chunks[(day - first).days // SERIES_MAX_DAYS].append(doc)
    return chunks


def _paged(docs: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [docs[i : i + size] for i in range(0, len(docs), size)] or [[]]


def document_counts(data: Data) -> dict[str, int]:
    counts = {}
    for name in CATEGORIES:
        docs = data.get(name)
        counts[name] = len(docs) if isinstance(docs, list) else int(docs is not None)
    return counts


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep the generated history out of the garbage collector's way while timing: with it,
    every full collection would walk millions of objects the timed code never made."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


# --- the floor, and the tool's own stages in process ----------------------------------------


@dataclass
class Floor:
    pages: int
    rows: int
    json_s: float
    csv_s: float

    @property
    def total_s(self) -> float:
        return self.json_s + self.csv_s


def measure_floor(data: Data, pages: Pages) -> Floor:
    """CPU seconds of json.loads on every page plus csv.writer on every flat row (best of 3).

    Serialising the pages, flattening and ordering the columns happen before the clock runs.
    """
    bodies = [
        _body(name, page, last=i == len(category_pages) - 1)
        for name, category_pages in pages.items()
        for i, page in enumerate(category_pages)
    ]
    tables = [_flat_table(name, data) for name in CATEGORIES]
    json_s = csv_s = math.inf
    for _ in range(FLOOR_REPEATS):
        began = time.process_time()
        for body in bodies:
            json.loads(body)
        decoded = time.process_time()
        with Path(os.devnull).open("w", encoding="utf-8", newline="") as sink:
            for header, rows in tables:
                writer = csv.writer(sink, lineterminator="\n")
                writer.writerow(header)
                writer.writerows(rows)
        written = time.process_time()
        json_s = min(json_s, decoded - began)
        csv_s = min(csv_s, written - decoded)
    return Floor(len(bodies), sum(len(rows) for _, rows in tables), json_s, csv_s)


def _body(name: str, page: list[dict[str, Any]], *, last: bool) -> bytes:
    if ROUTES[name].kind == "single":
        payload: Any = page[0] if page else {}
    else:
        payload = {"data": page, "next_token": None if last else PLACEHOLDER_TOKEN}
    return json.dumps(payload, separators=(",", ":")).encode()


def _flat_table(name: str, data: Data) -> tuple[list[str], list[list[str]]]:
    docs = data.get(name)
    if isinstance(docs, dict):
        docs = [docs]
    flat = [flatten(doc) for doc in docs or []]
    header = list(dict.fromkeys(column for row in flat for column in row))
    return header, [[row.get(column, "") for column in header] for row in flat]


@dataclass
class Stages:
    """CPU seconds of the tool's own flatten and store code on the same pages, no HTTP."""

    flatten_s: float
    store_add_s: float
    store_commit_s: float


def measure_stages(pages: Pages, directory: Path) -> Stages | None:
    """Feed the decoded pages through CategoryStore.add_page, else oura_stats.store.flatten and
    CategoryStore.add, as the collector does (page by page, then one commit per category
    into a fresh directory)."""
    try:
        from oura_stats.api.categories import BY_NAME
        from oura_stats.store.csvstore import CategoryStore
    except ImportError as error:
        progress(f"stage timings skipped: {error}")
        return None
    directory.mkdir(parents=True, exist_ok=True)
    flatten_s = add_s = commit_s = 0.0
    for name, category_pages in pages.items():
        store = CategoryStore(BY_NAME[name], directory)
        for page in category_pages:
            began = time.process_time()
            if store.add_page(page):  # a time-series page kept whole as a block
                add_s += time.process_time() - began
                continue
            rows = [flatten(doc) for doc in page]
            flattened = time.process_time()
            store.add(rows)
            flatten_s += flattened - began
            add_s += time.process_time() - flattened
        began = time.process_time()
        store.commit()
        commit_s += time.process_time() - began
    return Stages(flatten_s, add_s, commit_s)


# --- checks on the output -----------------------------------------------------------------


def csv_rows(directory: Path) -> int:
    total = 0
    for path in sorted(directory.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            total += sum(1 for _ in csv.reader(handle)) - 1
    return total


def output_checks(
    backfills: list[tuple[str, int, int]], incrementals: list[Scenario]
) -> tuple[list[str], bool]:
    """Lines saying whether every backfill stored every document and the runs without
    changes reported none; and whether no data went missing (the numbers mean nothing
    otherwise)."""
    lines = ["checks:"]
    complete = True
    for name, stored, served in backfills:
        if stored == served:
            lines.append(f"  ok    {name}: {stored:,} CSV rows = {served:,} documents served")
        else:
            complete = False
            lines.append(
                f"  LOST  {name}: {stored:,} CSV rows, but {served:,} documents served "
                f"({served - stored:,} missing): the tool lost data"
            )
    for scenario in incrementals:
        if scenario.rows == 0:
            lines.append(f"  ok    {scenario.name}: 0 new or updated rows reported")
        else:
            lines.append(
                f"  odd   {scenario.name}: {scenario.rows} new or updated rows reported, "
                "though nothing changed on the server"
            )
    return lines, complete


# --- the report ---------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    measured: float
    limit: float
    unit: str = ""

    @property
    def passed(self) -> bool:
        return self.measured <= self.limit


def span_label(days: int) -> str:
    years = days / 365.25
    if days >= 365 and abs(years - round(years)) < 0.01:
        return f"{round(years)}-year"
    return f"{days}-day"


def format_scenarios(scenarios: list[Scenario]) -> list[str]:
    width = max(len(s.name) for s in scenarios)
    head = f"{'scenario':<{width}}  {'wall s':>7}  {'CPU s':>6}  {'peak RSS MB':>11}"
    lines = [head + f"  {'requests':>8}  {'rows':>9}  {'server CPU s':>12}"]
    for s in scenarios:
        rows = f"{s.rows:,}" if s.rows is not None else "-"
        lines.append(
            f"{s.name:<{width}}  {s.wall_s:7.2f}  {s.cpu_s:6.2f}  {s.peak_rss_mb:11.1f}"
            f"  {s.requests:8,}  {rows:>9}  {s.server_cpu_s:12.2f}"
        )
    return lines


def format_categories(
    documents: dict[str, int], minimum: dict[str, int], backfill: Scenario, incremental: Scenario
) -> list[str]:
    lines = [f"{'category':<26}{'documents':>10}{'minimum':>9}{'backfill':>10}{'incremental':>13}"]
    for name in CATEGORIES:
        lines.append(
            f"{name:<26}{documents[name]:>10,}{minimum[name]:>9,}"
            f"{backfill.per_category.get(name, 0):>10,}{incremental.per_category.get(name, 0):>13,}"
        )
    lines.append(
        f"{'total':<26}{sum(documents.values()):>10,}{sum(minimum.values()):>9,}"
        f"{backfill.requests:>10,}{incremental.requests:>13,}"
    )
    return lines


def format_targets(targets: list[Target]) -> list[str]:
    width = max(len(t.name) for t in targets)
    lines = [f"{'target':<{width}}  {'measured':>11}  {'limit':>10}  result"]
    for t in targets:
        measured = f"{t.measured:.3g}{t.unit}"
        limit = f"≤ {t.limit:g}{t.unit}"
        result = "PASS" if t.passed else "MISS"
        lines.append(f"{t.name:<{width}}  {measured:>11}  {limit:>10}  {result}")
    return lines


def format_cpu_split(
    backfill: Scenario,
    *,
    replay: Scenario,
    replay_startup: Scenario,
    startup: Scenario,
    floor: Floor,
    stages: Stages | None,
) -> list[str]:
    http_s = replay.cpu_s - replay_startup.cpu_s
    lines = [
        f"where the {backfill.name}'s {backfill.cpu_s:.2f} CPU s go (each part measured on "
        "its own, not a profile):",
        f"  start-up and imports (--version)            {startup.cpu_s:6.2f} s",
        f"  HTTP + .json() of the same requests         {http_s:6.2f} s  (replay minus its "
        "start-up)",
    ]
    rest = backfill.cpu_s - startup.cpu_s - http_s
    if stages is not None:
        lines += [
            f"  flatten (oura_stats.store.flatten)                {stages.flatten_s:6.2f} s",
            f"  store.add_page/add (blocks, keys, spool)    {stages.store_add_s:6.2f} s",
            f"  store.commit (sort, merge, CSV write)       {stages.store_commit_s:6.2f} s",
        ]
        rest -= stages.flatten_s + stages.store_add_s + stages.store_commit_s
    lines += [
        f"  the rest (threads, collector, state, ...)   {rest:6.2f} s",
        f"floor: json.loads {floor.json_s:.2f} s + csv.writer {floor.csv_s:.2f} s "
        f"= {floor.total_s:.2f} s",
    ]
    return lines


def format_profile(
    path: Path, cli_cpu_s: float, inside: list[FunctionCost], own: list[FunctionCost]
) -> list[str]:
    total = total_seconds(path)
    lines = [
        f"profile of one more backfill ({path}): --concurrency 1, no injected latency, "
        f"wall clock, every thread merged; {total:.2f} s profiled (child CPU {cli_cpu_s:.2f} s"
        " under the profiler; the main thread only waits for the worker).",
        "top 15 by cumulative time inside oura_stats:",
        f"  {'cum s':>7} {'own s':>7} {'calls':>10}  function",
    ]
    lines += [f"  {f.cumulative_s:7.2f} {f.own_s:7.2f} {f.calls:>10,}  {f.where}" for f in inside]
    lines += [
        "top 15 by own time, any module (lock waits left out: the main thread waits there):",
        f"  {'own s':>7} {'calls':>10}  function",
    ]
    lines += [f"  {f.own_s:7.2f} {f.calls:>10,}  {f.where}" for f in own]
    return lines


# --- the benchmark ------------------------------------------------------------------------


@dataclass
class Config:
    days: int
    small_days: int
    interval_s: int
    latency_s: float
    repeat: int
    seed: int


def parse_args(argv: list[str] | None) -> tuple[Config, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        description="Benchmark `oura-stats fetch` against the fake Oura API (see README.md)."
    )
    parser.add_argument("--years", type=float, default=5, help="long history in years (5)")
    parser.add_argument(
        "--interval", type=int, default=300, help="heart-rate sample interval, s (300)"
    )
    parser.add_argument(
        "--latency", type=float, default=0.05, help="injected latency per request, s (0.05)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 60- and 30-day histories, 5 ms latency"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each incremental scenario, median (3)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated history (0)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the numbers here")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="PATH",
        help="also profile one more backfill (all threads) into this pstats file",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories")
    parser.add_argument(
        "--no-db", action="store_true", help="skip the database mirror's scenarios (--db)"
    )
    parser.add_argument(
        "--database-only",
        action="store_true",
        help="only the CSV-only backfill and incremental runs, then the database-only ones "
        "(--no-csv, db export) against them",
    )
    args = parser.parse_args(argv)
    if args.quick:
        config = Config(60, 30, args.interval, 0.005, args.repeat, args.seed)
    else:
        days = round(args.years * 365.25)
        config = Config(
            days, SMALL_HISTORY_DAYS, args.interval, args.latency, args.repeat, args.seed
        )
    return config, args


def main(argv: list[str] | None = None) -> int:
    config, args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="oura-bench-"))
    try:
        return benchmark(config, args, tmp)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def benchmark(config: Config, args: argparse.Namespace, tmp: Path) -> int:
    began = time.perf_counter()
    today = dt.datetime.now(dt.UTC).date()  # the CLI plans with the real UTC date
    big, small = span_label(config.days), span_label(config.small_days)

    progress(f"generating the {big} history (heart rate every {config.interval_s} s)")
    data = make_history(
        config.days, end=today, heartrate_interval_s=config.interval_s, seed=config.seed
    )
    pages = minimal_pages(data)
    minimum = {name: len(category_pages) for name, category_pages in pages.items()}
    documents = document_counts(data)

    with serving(data, today, config.latency_s) as fake:
        progress(f"{big} backfill, default concurrency")
        backfill = fetch_scenario(f"{big} backfill", fake, tmp / "backfill", None)
        replay_log = [(r.path, r.params) for r in fake.requests]
        backfill_rows = csv_rows(tmp / "backfill" / "data")
        progress(f"{big} incremental, no changes (x{config.repeat})")
        incremental = fetch_scenario(
            f"{big} incremental (no changes)", fake, tmp / "backfill", None, config.repeat
        )
        db_rows: tuple[list[Scenario], list[Target], list[str]] = ([], [], [])
        bench = Bench(
            fake,
            tmp,
            big,
            backfill,
            incremental,
            config.repeat,
            fetch_scenario,
            run_child,
            Target,
            progress,
        )
        if args.database_only:
            rows, goals, notes = database_only_scenarios(bench)
            out = [*format_scenarios([backfill, incremental, *rows]), "", *format_targets(goals)]
            print("\n".join(["", *out, "", *(f"- {n}" for n in notes)]))
            return 0 if all(goal.passed for goal in goals) else 1
        if not args.no_db:
            db_rows = db_scenarios(bench)
        progress(f"{big} backfill, --concurrency 1")
        serial = fetch_scenario(f"{big} backfill --concurrency 1", fake, tmp / "serial", 1)
        serial_rows = csv_rows(tmp / "serial" / "data")
        shutil.rmtree(tmp / "serial", ignore_errors=True)
        progress("HTTP replay of the backfill's requests")
        replay = replay_scenario(fake, replay_log, tmp, "HTTP replay of the backfill (no latency)")
        replay_startup = replay_scenario(fake, [], tmp, "HTTP replay, start-up only")
    shutil.rmtree(tmp / "backfill", ignore_errors=True)

    progress(f"generating the {small} history")
    small_data = make_history(
        config.small_days, end=today, heartrate_interval_s=config.interval_s, seed=config.seed
    )
    with serving(small_data, today, config.latency_s) as fake:
        progress(f"{small} backfill, then incremental (x{config.repeat})")
        small_backfill = fetch_scenario(f"{small} backfill", fake, tmp / "small", None)
        small_rows = csv_rows(tmp / "small" / "data")
        small_incremental = fetch_scenario(
            f"{small} incremental (no changes)", fake, tmp / "small", None, config.repeat
        )
    small_documents = sum(document_counts(small_data).values())
    del small_data
    startup = startup_scenario()

    with frozen_heap():
        progress("floor: json.loads + csv.writer in this process")
        floor = measure_floor(data, pages)
        progress("the tool's flatten and store on the same pages, in this process")
        stages = measure_stages(pages, tmp / "stages")
    shutil.rmtree(tmp / "stages", ignore_errors=True)

    profile: list[str] = []
    profile_json: dict[str, Any] | None = None
    if args.profile is not None:
        progress("profiling one more backfill (--concurrency 1, no latency)")
        cli_cpu, inside, own = profile_backfill(data, today, args.profile, tmp)
        profile = format_profile(args.profile, cli_cpu, inside, own)
        profile_json = {
            "path": str(args.profile),
            "child_cpu_s": cli_cpu,
            "inside_oura_stats": [asdict(f) for f in inside],
            "own_time": [asdict(f) for f in own],
        }
    del data, pages

    scenarios = [backfill, serial, incremental, small_backfill, small_incremental]
    scenarios += [replay, replay_startup, startup, *db_rows[0]]
    as_is = backfill.cpu_s / floor.total_s
    processing_s = backfill.cpu_s - replay.cpu_s + floor.json_s
    without_http = processing_s / floor.total_s
    categories = len(CATEGORIES)
    targets = [
        Target(
            "backfill wall time, default ÷ --concurrency 1", backfill.wall_s / serial.wall_s, 0.4
        ),
        Target(f"{big} backfill peak RSS", backfill.peak_rss_mb, 100, " MB"),
        Target(
            f"{big} backfill requests ÷ minimum", backfill.requests / sum(minimum.values()), 1.05
        ),
        Target(
            f"incremental wall time, {big} ÷ {small}",
            incremental.wall_s / small_incremental.wall_s,
            1.3,
        ),
        Target(
            f"{big} incremental requests (1.2 x {categories})",
            incremental.requests,
            1.2 * categories,
        ),
        Target(
            f"{small} incremental requests (1.2 x {categories})",
            small_incremental.requests,
            1.2 * categories,
        ),
        Target("CPU ÷ floor, as is (whole child process)", as_is, 3),
        Target("CPU ÷ floor, HTTP and start-up taken out", without_http, 3),
        *db_rows[1],
    ]
    notes = [
        f"history: {big} ({config.days} days) ending {today} (today, UTC: the CLI plans "
        f"with the real date), heart rate every {config.interval_s} s, battery hourly; "
        f"{config.latency_s * 1000:g} ms injected latency per request; pages of "
        f"{DOC_PAGE_SIZE} documents / {SERIES_PAGE_SIZE} samples; seed {config.seed}.",
        f"the fake server runs in this process (threads), on the same {os.cpu_count()} CPU(s) "
        "as the CLI: its JSON encoding (server CPU s) competes with the child for the cores "
        "and lengthens wall times, not the child's CPU time.",
        "wall, CPU (user+system) and peak RSS are the child's own rusage (os.wait4 in "
        f"measure.py); the incremental rows show the median of {config.repeat} runs "
        "(RSS: the largest).",
        "minimum requests: documents ceil(n / page size), at least 1, per category; series: "
        f"the first-to-last sample span in {SERIES_MAX_DAYS}-day chunks, ceil(samples in chunk"
        " / page size), at least 1, per chunk; personal_info and ring_configuration 1 each.",
        f"floor: best of {FLOOR_REPEATS}, CPU of this process: json.loads of the "
        f"{floor.pages:,} pages of the minimum requests + csv.writer of {floor.rows:,} flat "
        "rows to /dev/null.",
        "CPU ÷ floor, as is: backfill child CPU ÷ floor; the child's CPU includes interpreter "
        "start-up, imports, HTTP (requests/urllib3) and the state file.",
        f"CPU ÷ floor, HTTP and start-up taken out: (backfill CPU {backfill.cpu_s:.2f} s - "
        f"replay CPU {replay.cpu_s:.2f} s + floor json.loads {floor.json_s:.2f} s) ÷ floor "
        f"{floor.total_s:.2f} s. The replay child starts Python, imports requests and sends "
        "the backfill's exact requests one by one, decoding each body with .json(); adding "
        "json.loads back leaves the tool's decoding, flattening, sorting, merging, writing.",
        "compare ratios across machines, not seconds.",
        *db_rows[2],
    ]

    out = ["", *format_scenarios(scenarios), ""]
    out += ["requests per category (minimum possible, measured):"]
    out += format_categories(documents, minimum, backfill, incremental)
    out += [
        "",
        *format_cpu_split(
            backfill,
            replay=replay,
            replay_startup=replay_startup,
            startup=startup,
            floor=floor,
            stages=stages,
        ),
    ]
    checks, complete = output_checks(
        [
            (backfill.name, backfill_rows, sum(documents.values())),
            (serial.name, serial_rows, sum(documents.values())),
            (small_backfill.name, small_rows, small_documents),
        ],
        [incremental, small_incremental],
    )
    out += ["", *checks]
    out += ["", *format_targets(targets), "", "notes:", *(f"- {note}" for note in notes)]
    if profile:
        out += ["", *profile]
    out.append(f"\nbenchmark finished in {time.perf_counter() - began:.0f} s")
    print("\n".join(out))

    if args.json is not None:
        report = {
            "config": asdict(config),
            "today": today.isoformat(),
            "scenarios": [asdict(s) for s in scenarios],
            "documents": documents,
            "minimum_requests": minimum,
            "floor": {**asdict(floor), "total_s": floor.total_s},
            "stages": asdict(stages) if stages is not None else None,
            "cpu_floor_ratio_as_is": as_is,
            "cpu_floor_ratio_without_http": without_http,
            "csv_rows": {
                backfill.name: backfill_rows,
                serial.name: serial_rows,
                small_backfill.name: small_rows,
            },
            "complete": complete,
            "targets": [{**asdict(t), "passed": t.passed} for t in targets],
            "notes": notes,
            "profile": profile_json,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if complete else 1


def profile_backfill(
    data: Data, today: dt.date, out: Path, tmp: Path
) -> tuple[float, list[FunctionCost], list[FunctionCost]]:
    """One more backfill under profile_cli.py: serial and without latency, so wall-clock
    times are CPU time plus waiting for the server (which shows under the client)."""
    with serving(data, today, 0.0) as fake:
        args = fetch_args(fake.url, tmp / "profiled", 1)
        run = run_child([sys.executable, str(HERE / "profile_cli.py"), str(out), *args])
    checked(run, "the profiled backfill")
    shutil.rmtree(tmp / "profiled", ignore_errors=True)
    own = [f for f in top_own_time(out, limit=16) if f.where not in WAITS][:15]
    return run.cpu_s, top_functions(out, inside="oura_stats"), own


if __name__ == "__main__":
    raise SystemExit(main())
