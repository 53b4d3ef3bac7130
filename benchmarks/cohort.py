"""Benchmark a study: `fetch --all-accounts` for many participants into PostgreSQL.

    python benchmarks/cohort.py                          # 200 participants x 1 year, 4 shards
    python benchmarks/cohort.py --quick                  # 8 x 20 days: a smoke run
    python benchmarks/cohort.py --participants 50 --days 90 --scaling 1,2,4

A throwaway PostgreSQL cluster (initdb into a temporary directory, as the tests do) and
the synthetic study API (`oura_stats/demo/cohort.py`: one token per participant) are
started here, the API in its own process so its CPU is not counted with anyone's. Each
scenario enrols everyone into a fresh database and runs `oura-stats fetch --all-accounts
--shard I/N` as N child processes at once, each started through `measure.py` (its own
wall time, CPU and peak RSS). See benchmarks/README.md for what is measured and the
targets.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import pg_cluster  # noqa: E402
import psycopg  # noqa: E402
from profile_cli import top_functions, top_own_time  # noqa: E402
from run import minimal_pages  # noqa: E402

from oura_stats.db.participants import Registry  # noqa: E402
from oura_stats.db.target import parse_target  # noqa: E402
from oura_stats.demo.api_query import build_index  # noqa: E402
from oura_stats.demo.cohort import CohortOura, Member, member_history  # noqa: E402
from oura_stats.demo.pipeline import until_now  # noqa: E402
from oura_stats.demo.server import ROUTES, FakeOura  # noqa: E402
from oura_stats.demo.study import enrol_member  # noqa: E402

PORT = 54339
NO_WAITING_BUDGET = "1000000/300"  # the simulator has no app budget to respect
OURA_BUDGET = (5000, 300.0)  # Oura's default per app: requests per seconds
SERIES = ("heartrate", "ring_battery_level")  # no ids: shared between repeated histories
STARTED = time.perf_counter()


def progress(message: str) -> None:
    sys.stderr.write(f"[{time.perf_counter() - STARTED:7.1f} s] {message}\n")
    sys.stderr.flush()


# --- PostgreSQL ----------------------------------------------------------------------------


@contextlib.contextmanager
def cluster() -> Iterator[tuple[str, int]]:
    """A throwaway cluster with pg_stat_statements; yield its URL and the postmaster's pid."""
    bindir = pg_cluster.binaries()
    if bindir is None:
        raise SystemExit("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    root = Path(tempfile.mkdtemp(prefix="oura-bench-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "nobody")
    data = root / "data"
    as_owner = pg_cluster._as_owner
    try:
        initdb = [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
        pg_cluster._run([*initdb, "-E", "UTF8", "--no-sync", "--no-instructions"])
        options = (
            f"-k {root} -c listen_addresses='' -p {PORT} -F -c max_connections=300 "
            "-c shared_preload_libraries=pg_stat_statements -c shared_buffers=256MB"
        )
        start = [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-o", options]
        pg_cluster._run([*start, "-w", "start"])
        pid = int((data / "postmaster.pid").read_text().split()[0])
        url = f"postgresql://postgres@/postgres?host={root}&port={PORT}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        yield url, pid
    finally:
        stop = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
        subprocess.run(as_owner(stop), check=False, capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def pg_cpu_seconds(postmaster: int) -> float:
    """CPU of the whole cluster so far: the postmaster, the backends it has reaped, and the
    processes still running under it."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = _stat_ticks(postmaster, children=True)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == postmaster:
                    total += int(fields[11]) + int(fields[12])
    return total / ticks


def _stat_ticks(pid: int, *, children: bool) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = int(fields[11]) + int(fields[12])
    return own + (int(fields[13]) + int(fields[14]) if children else 0)


def fresh_database(admin_url: str, name: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")  # type: ignore[arg-type]
        conn.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
        conn.execute("SELECT pg_stat_statements_reset()")
    return admin_url.replace("/postgres?", f"/{name}?")


def statement_times(admin_url: str, limit: int = 12) -> list[tuple[float, int, str]]:
    """(total ms, calls, statement) of the costliest statements since the last reset."""
    with psycopg.connect(admin_url) as conn:
        rows = conn.execute(
            "SELECT total_exec_time, calls, query FROM pg_stat_statements "
            "ORDER BY total_exec_time DESC LIMIT %s",
            (limit,),
        ).fetchall()
    return [(float(ms), int(calls), " ".join(str(q).split())[:110]) for ms, calls, q in rows]


# --- the synthetic study, served in its own process ----------------------------------------


def study_members(participants: int, days: int, distinct: int, today: dt.date) -> list[Member]:
    """p001… each with their own token and user id; their histories repeat every `distinct`
    participants (generating a year takes seconds and ~45 MB each, 200 of them would not
    fit), which changes nothing for the collector: every participant's rows are their own."""
    histories = [
        until_now(member_history(index, days, today, silent_days=4 if index % 7 == 0 else 0))
        for index in range(1, distinct + 1)
    ]
    shared = [
        {name: build_index(ROUTES[name], h[name]) for name in SERIES if h.get(name)}
        for h in histories
    ]
    members = []
    for number in range(1, participants + 1):
        slot = (number - 1) % distinct
        api = FakeOura(own_ids(histories[slot], number), today=today)
        api._indexes = dict(shared[slot])
        members.append(Member(f"p{number:03d}", f"bench-token-p{number:03d}", api))
    return members


def own_ids(history: dict[str, Any], number: int) -> dict[str, Any]:
    """The history with this participant's own document ids (Oura's are unique; a nested
    series row is keyed by its parent's id) and user id; the series are shared as they are."""
    data: dict[str, Any] = {}
    for name, docs in history.items():
        if name in SERIES or not isinstance(docs, list):
            data[name] = docs
        else:
            data[name] = [{**d, "id": f"{d['id']}-{number}"} if "id" in d else d for d in docs]
    data["personal_info"] = {**history["personal_info"], "id": f"user-{number:04d}"}
    return data


def minimum_requests(member: Member) -> Counter[str]:
    return Counter({name: len(pages) for name, pages in minimal_pages(member.api.data).items()})


def expected_rows(members: list[Member]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for member in members:
        for name, docs in member.api.data.items():
            if isinstance(docs, list):
                counts[name] += len(docs)
    return dict(counts)


def serve(pipe: Connection, participants: int, days: int, distinct: int) -> None:
    today = dt.datetime.now(dt.UTC).date()
    members = study_members(participants, days, distinct, today)
    minimum = [minimum_requests(m) for m in members[:distinct]]
    with CohortOura(members) as api:
        enrolled = [(m.name, m.token, m.user_id) for m in members]
        pipe.send((api.url, enrolled, minimum, expected_rows(members)))
        while True:
            command = pipe.recv()
            if command == "requests":
                pipe.send([Counter(r.category for r in m.api.requests) for m in members])
            elif command == "clear":
                for member in members:
                    member.api.clear_requests()
                pipe.send(None)
            elif command == "cpu":
                usage = resource.getrusage(resource.RUSAGE_SELF)
                pipe.send(usage.ru_utime + usage.ru_stime)
            else:
                return


@dataclass
class Study:
    url: str
    members: list[tuple[str, str, str]]  # name, token, user id
    minimum: list[Counter[str]]  # per distinct history
    rows: dict[str, int]
    pipe: Connection

    def ask(self, command: str) -> Any:
        self.pipe.send(command)
        return self.pipe.recv()

    def minimum_total(self) -> int:
        return sum(sum(self.minimum[i % len(self.minimum)].values()) for i in range(len(self)))

    def __len__(self) -> int:
        return len(self.members)

    def enrol(self, db_url: str) -> None:
        target = parse_target(db_url)
        token_url = self.url + "/oauth/token"
        with Registry(target) as registry:
            registry.create_tables()
            for name, token, user in self.members:
                account = FakeOura({"personal_info": {"id": user}})
                enrol_member(registry, target, Member(name, token, account), token_url)


@contextlib.contextmanager
def served_study(participants: int, days: int, distinct: int) -> Iterator[Study]:
    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=serve, args=(theirs, participants, days, distinct), daemon=True
    )
    process.start()
    try:
        url, members, minimum, rows = ours.recv()
        yield Study(url, members, minimum, rows, ours)
        ours.send("stop")
        process.join(timeout=30)
    finally:
        if process.is_alive():
            process.kill()


# --- one scenario: N shard processes at once -----------------------------------------------


@dataclass
class Child:
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    exit_code: int


@dataclass
class Scenario:
    name: str
    shards: int
    wall_s: float
    children: list[Child]
    requests: int
    pg_cpu_s: float
    server_cpu_s: float
    statements: list[tuple[float, int, str]] = field(default_factory=list)

    @property
    def peak_rss_mb(self) -> float:
        return max(c.peak_rss_mb for c in self.children)

    @property
    def cpu_s(self) -> float:
        return sum(c.cpu_s for c in self.children)

    @property
    def failed(self) -> bool:
        return any(c.exit_code != 0 for c in self.children)


def fetch_argv(study: Study, db_url: str, shard: str, budget: str) -> list[str]:
    return [
        "-m", "oura_stats", "fetch", "--all-accounts", "--db", db_url, "--plain-tokens",
        "--base-url", study.url, "--shard", shard, "--app-budget", budget,
    ]  # fmt: skip


def run_shards(
    name: str,
    study: Study,
    db_url: str,
    shards: int,
    work: Path,
    *,
    budget: str,
    postmaster: int,
    admin_url: str,
    profile: Path | None = None,
) -> Scenario:
    """Every shard's process at once; the scenario's wall time is until the last ends."""
    study.ask("clear")
    server_before, pg_before = study.ask("cpu"), pg_cpu_seconds(postmaster)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OURA_STATS_")}
    env["PYTHONPATH"] = str(ROOT)
    launched = []
    began = time.perf_counter()
    for index in range(shards):
        result = work / f"{name}-{index}.json"
        cli = fetch_argv(study, db_url, f"{index}/{shards}", budget)
        if profile is not None:
            cli = [str(HERE / "profile_cli.py"), str(profile / f"{name}-{index}.prof"), *cli[2:]]
        argv = [sys.executable, str(HERE / "measure.py"), str(result), sys.executable, *cli]
        log = (work / f"{name}-{index}.log").open("w")
        launched.append((subprocess.Popen(argv, env=env, stderr=log, stdout=log), result, log))
    for process, _, log in launched:
        process.wait()
        log.close()
    wall = time.perf_counter() - began
    children = []
    for _, result, _ in launched:
        got = json.loads(result.read_text())
        cpu = got["user_s"] + got["system_s"]
        children.append(Child(got["wall_s"], cpu, got["peak_rss_kb"] / 1024, got["exit_code"]))
    requests = sum(sum(c.values()) for c in study.ask("requests"))
    return Scenario(
        name,
        shards,
        wall,
        children,
        requests,
        pg_cpu_seconds(postmaster) - pg_before,
        study.ask("cpu") - server_before,
        statement_times(admin_url),
    )


def stored_rows(db_url: str, tables: list[str]) -> dict[str, int]:
    with psycopg.connect(db_url) as conn:
        return {
            t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])  # type: ignore
            for t in tables
        }


# --- reporting -----------------------------------------------------------------------------


def format_scenario(s: Scenario) -> list[str]:
    lines = [
        f"{s.name}: {s.shards} process(es), wall {s.wall_s:.1f} s, {s.requests:,} requests, "
        f"CLI CPU {s.cpu_s:.1f} s, PostgreSQL CPU {s.pg_cpu_s:.1f} s, "
        f"API simulator CPU {s.server_cpu_s:.1f} s"
    ]
    for index, c in enumerate(s.children):
        lines.append(
            f"  shard {index}/{s.shards}: wall {c.wall_s:.1f} s, CPU {c.cpu_s:.1f} s, "
            f"peak RSS {c.peak_rss_mb:.0f} MB, exit {c.exit_code}"
        )
    return lines


def verdict(label: str, value: str, ok: bool, limit: str) -> str:
    return f"  {label:<46} {value:>24}  {limit:<10} {'PASS' if ok else 'MISS'}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--shards", type=int, default=4, help="processes of the main backfill")
    parser.add_argument(
        "--scaling", default="1,2", help="other process counts to time the backfill with ('' none)"
    )
    parser.add_argument("--distinct", type=int, default=8, help="distinct histories (repeated)")
    parser.add_argument("--budget", default=NO_WAITING_BUDGET, help="--app-budget of the runs")
    parser.add_argument("--quick", action="store_true", help="8 participants x 20 days, 2 shards")
    parser.add_argument("--profile", type=Path, help="a directory for a cProfile per process")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--keep", type=Path, help="keep the processes' logs in this directory")
    args = parser.parse_args(argv)
    if args.quick:
        args.participants, args.days, args.shards, args.distinct = 8, 20, 2, 2
        args.scaling = "1"
    args.distinct = max(1, min(args.distinct, args.participants))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="oura-cohort-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    try:
        return benchmark(args, work)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def benchmark(args: argparse.Namespace, work: Path) -> int:
    progress(f"generating {args.participants} participants x {args.days} days")
    with (
        cluster() as (admin, postmaster),
        served_study(args.participants, args.days, args.distinct) as study,
    ):
        progress(f"study served at {study.url}; PostgreSQL up")
        runs = {"budget": args.budget, "postmaster": postmaster, "admin_url": admin}
        db = fresh_database(admin, "cohort_main")
        study.enrol(db)
        progress(f"backfill with {args.shards} processes")
        backfill = run_shards(
            "backfill", study, db, args.shards, work, **runs, profile=args.profile
        )
        rows = stored_rows(db, sorted(study.rows))
        progress("incremental round right after")
        incremental = run_shards("incremental", study, db, args.shards, work, **runs)
        single = run_shards("incremental-1", study, db, 1, work, **runs, profile=args.profile)
        scaling = {args.shards: backfill.wall_s}
        extra = []
        for count in (int(c) for c in args.scaling.split(",") if c.strip()):
            progress(f"backfill with {count} process(es), fresh database")
            scaled_db = fresh_database(admin, f"cohort_{count}")
            study.enrol(scaled_db)
            extra.append(run_shards(f"backfill-{count}", study, scaled_db, count, work, **runs))
            scaling[count] = extra[-1].wall_s
    scenarios = [backfill, incremental, single, *extra]
    lost = {t: (rows[t], n) for t, n in study.rows.items() if rows[t] != n}
    print_report(args, study, scenarios, scaling, lost)
    if args.profile is not None:
        print_profiles(args.profile, backfill)
    if args.json is not None:
        figures = {"args": {k: str(v) for k, v in vars(args).items()}, "lost": lost}
        figures |= {"scenarios": [asdict(s) for s in scenarios], "scaling": scaling}
        figures["minimum_requests"] = study.minimum_total()
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 1 if lost or any(s.failed for s in scenarios) else 0


def print_report(
    args: argparse.Namespace,
    study: Study,
    scenarios: list[Scenario],
    scaling: dict[int, float],
    lost: dict[str, tuple[int, int]],
) -> None:
    backfill, incremental, single = scenarios[:3]
    out = [f"\n{len(study)} participants x {args.days} days ({args.distinct} distinct histories)"]
    for scenario in scenarios:
        out += format_scenario(scenario)
    minimum = study.minimum_total()
    ratio = backfill.requests / minimum
    rss = max(s.peak_rss_mb for s in scenarios)
    oura_floor = backfill.requests / OURA_BUDGET[0] * OURA_BUDGET[1]
    out += [
        "",
        "targets:",
        verdict(f"backfill wall time, {backfill.shards} processes", f"{backfill.wall_s:.0f} s",
                backfill.wall_s <= 600, "<= 600 s"),
        verdict(f"incremental round, {incremental.shards} processes",
                f"{incremental.wall_s:.1f} s", incremental.wall_s <= 60, "<= 60 s"),
        verdict("incremental round, 1 process", f"{single.wall_s:.1f} s", single.wall_s <= 60,
                "<= 60 s"),
        verdict("backfill requests / minimum", f"{backfill.requests:,} / {minimum:,} = "
                f"{ratio:.3f}", ratio <= 1.05, "<= 1.05"),
        verdict("peak RSS of any process", f"{rss:.0f} MB", rss <= 100, "<= 100 MB"),
        "",
        "backfill wall time by processes: "
        + ", ".join(f"{n}: {w:.0f} s" for n, w in sorted(scaling.items()))
        + "; speed-up "
        + ", ".join(f"{n}: {scaling[min(scaling)] / w:.2f}x" for n, w in sorted(scaling.items())),
        f"at Oura's default app budget (5000 requests / 5 min) the backfill's {backfill.requests:,}"
        f" requests need at least {oura_floor / 60:.1f} min",
        f"incremental requests per participant: {incremental.requests / len(study):.1f}",
    ]  # fmt: skip
    if lost:
        out.append(f"LOST rows (stored, served): {lost}")
    out += ["", "PostgreSQL, costliest statements of the last scenario (ms, calls):"]
    out += [f"  {ms:10.0f} {calls:8d}  {q}" for ms, calls, q in scenarios[-1].statements]
    print("\n".join(out))


def print_profiles(directory: Path, backfill: Scenario) -> None:
    for path in [directory / "backfill-0.prof", directory / "incremental-1-0.prof"]:
        print(f"\nprofile {path.name} (wall clock, every thread), oura_stats by cumulative:")
        for row in top_functions(path, limit=25, inside="oura_stats"):
            print(f"  {row.cumulative_s:8.1f} {row.own_s:8.1f} {row.calls:9d}  {row.where}")
        print("by own time:")
        for row in top_own_time(path, limit=12):
            print(f"  {row.own_s:8.1f} {row.calls:9d}  {row.where}")
    print(f"(backfill statements in PostgreSQL: {len(backfill.statements)} listed above run)")


if __name__ == "__main__":
    raise SystemExit(main())
