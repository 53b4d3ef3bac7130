"""A command imports only what it runs: building the parser imports no command's handler,
and `fetch` for one person imports neither the report, the database mirror, the demo, a
study, the service loop nor the login flow (unless --report or --db asks for them). Every
cron run and every cohort pod pays for what the CLI imports."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import TOKEN, Workspace, fetch_args, run_cli

from oura_stats.cli.common import Handler, imported
from oura_stats.cli.envopts import parsers
from oura_stats.cli.main import build_parser
from oura_stats.demo.server import FakeOura

# What the parser needs; every other module of the command line is a handler's.
PARSER_SIDE = {"__init__", "main", "common", "argtypes", "envopts", "helptext"}
# Imported only by the commands that use them.
NOT_FOR_FETCH = (
    "oura_stats.report",
    "oura_stats.db.mirror",
    "oura_stats.db.schema",
    "oura_stats.demo",
    "oura_stats.run.cohort",
    "oura_stats.run.service",
    "oura_stats.cli.study",
    "oura_stats.auth.login",
    "oura_stats.monitor.health",
    "psycopg",
)
NOT_FOR_PARSING = (*NOT_FOR_FETCH, "requests")


def modules_after(code: str, tmp_path: Path) -> set[str]:
    """The modules a fresh interpreter holds after running `code` (which may exit)."""
    out = tmp_path / "modules.json"
    script = textwrap.dedent(code) + textwrap.dedent(
        f"""
        import json, sys
        with open({str(out)!r}, "w") as handle:
            json.dump(sorted(sys.modules), handle)
        """
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OURA_")}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(out.read_text()))


def among(loaded: set[str], names: tuple[str, ...]) -> set[str]:
    """The modules of `loaded` that are one of `names` or inside one of them."""
    return {m for m in loaded if any(m == n or m.startswith(n + ".") for n in names)}


def handler_modules(loaded: set[str]) -> set[str]:
    prefix = "oura_stats.cli."
    return {
        m
        for m in loaded
        if m.startswith(prefix)
        and m.removeprefix(prefix) not in PARSER_SIDE
        and not m.endswith("_args")
    }


@pytest.mark.parametrize(
    "argv",
    [
        ["fetch", "--output-dir", "data", "--categories", "sleep"],
        ["status", "--json"],
        ["report", "--last", "30"],
        ["-q", "categories"],
    ],
)
def test_parsing_a_command_line_imports_no_handler(tmp_path: Path, argv: list[str]) -> None:
    loaded = modules_after(
        f"""
        from oura_stats.cli import envopts
        from oura_stats.cli.main import build_parser
        args = envopts.parse(build_parser(), {argv!r})
        assert args.command == {argv[-1] if argv[0] == "-q" else argv[0]!r}
        """,
        tmp_path,
    )
    assert "oura_stats.cli.main" in loaded  # the probe ran
    assert handler_modules(loaded) == set()
    assert among(loaded, NOT_FOR_PARSING) == set()


def test_help_imports_no_handler(tmp_path: Path) -> None:
    loaded = modules_after(
        """
        import contextlib, io
        from oura_stats.cli.main import main
        with contextlib.redirect_stdout(io.StringIO()) as shown, contextlib.suppress(SystemExit):
            main(["fetch", "--help"])
        assert "--concurrency" in shown.getvalue()
        """,
        tmp_path,
    )
    assert handler_modules(loaded) == set()
    assert among(loaded, NOT_FOR_PARSING) == set()


def test_fetch_for_one_person_imports_no_other_commands_modules(
    api: FakeOura, ws: Workspace, tmp_path: Path
) -> None:
    argv = fetch_args(api, ws, "--categories", "sleep", "heartrate")
    loaded = modules_after(
        f"""
        from oura_stats.cli.main import main
        assert main({argv!r}) == 0
        """,
        tmp_path,
    )
    assert len(ws.csv("sleep")) > 0 and len(ws.csv("heartrate")) > 0
    assert "oura_stats.cli.fetch" in loaded
    assert among(loaded, NOT_FOR_FETCH) == set()
    assert handler_modules(loaded) <= {
        "oura_stats.cli.fetch",
        "oura_stats.cli.progress",
        "oura_stats.cli.tokens",
    }


def test_every_command_names_a_handler_that_exists() -> None:
    handlers = [
        each.get_default("handler")
        for each in parsers(build_parser())
        if each.get_default("handler")
    ]
    assert len(handlers) >= 15  # every command and action that runs something
    for handler in handlers:
        assert isinstance(handler, Handler)
        assert callable(imported(handler.reference)), handler


def test_fetch_with_report_and_db_imports_them_and_still_writes_both(
    api: FakeOura, ws: Workspace, tmp_path: Path
) -> None:
    report, database = tmp_path / "report.html", tmp_path / "oura.db"
    argv = fetch_args(api, ws, "--categories", "sleep", "--report", str(report))
    argv += ["--db", str(database)]
    loaded = modules_after(
        f"""
        from oura_stats.cli.main import main
        assert main({argv!r}) == 0
        """,
        tmp_path,
    )
    assert {"oura_stats.report.build", "oura_stats.db.mirror"} <= loaded
    assert report.read_text(encoding="utf-8").startswith("<!doctype html>")
    rows = sqlite3.connect(database).execute("SELECT count(*) FROM sleep").fetchone()[0]
    assert rows == len(ws.csv("sleep")) > 0


def test_fetch_for_a_study_imports_neither_the_service_loop_nor_the_report(
    api: FakeOura, tmp_path: Path
) -> None:
    argv = ["fetch", "--all-accounts", "--base-url", api.url, "--output-dir", str(tmp_path)]
    loaded = modules_after(
        f"""
        import contextlib, io
        from oura_stats.cli.main import main
        with contextlib.redirect_stderr(io.StringIO()) as said:
            code = main({argv!r})
        assert code == 2, said.getvalue()  # no PostgreSQL --db, found after the import
        assert "a study is collected into PostgreSQL" in said.getvalue(), said.getvalue()
        """,
        tmp_path,
    )
    assert {"oura_stats.cli.study", "oura_stats.run.cohort"} <= loaded
    service = ("oura_stats.report", "oura_stats.run.service", "oura_stats.monitor.health")
    assert among(loaded, service) == set()


def test_status_without_check_api_imports_no_http_client_and_no_study(
    api: FakeOura, ws: Workspace, tmp_path: Path
) -> None:
    assert run_cli(*fetch_args(api, ws, "--categories", "sleep")).returncode == 0
    argv = ["status", "--output-dir", str(ws.data), "--state-file", str(ws.state), "--json"]
    loaded = modules_after(
        f"""
        import contextlib, io, json
        from oura_stats.cli.main import main
        with contextlib.redirect_stdout(io.StringIO()) as shown:
            main({argv!r})
        assert "sleep" in json.loads(shown.getvalue())["categories"]
        """,
        tmp_path,
    )
    assert "oura_stats.cli.status" in loaded
    unneeded = (
        "requests",
        "oura_stats.api.client",
        "oura_stats.auth.provider",
        "oura_stats.db.participants",
        "oura_stats.run.homes",
        "oura_stats.db.pgfacts",
        "psycopg",
    )
    assert among(loaded, unneeded) == set()


def test_status_of_a_database_only_run_imports_psycopg_but_no_http_client(
    api: FakeOura, pg_url: str, tmp_path: Path
) -> None:
    fetched = run_cli(
        "fetch", "--base-url", api.url, "--token", TOKEN, "--db", pg_url, "--no-csv",
        "--categories", "sleep",
    )  # fmt: skip
    assert fetched.returncode == 0, fetched.stderr
    argv = ["status", "--db", pg_url, "--no-csv", "--json"]
    loaded = modules_after(
        f"""
        import contextlib, io, json
        from oura_stats.cli.main import main
        with contextlib.redirect_stdout(io.StringIO()) as shown:
            assert main({argv!r}) == 0
        assert json.loads(shown.getvalue())["categories"]["sleep"]["rows"] > 0
        """,
        tmp_path,
    )
    assert {"psycopg", "oura_stats.db.pgfacts"} <= loaded
    unneeded = ("requests", "oura_stats.api.client", "oura_stats.run.homes", "oura_stats.report")
    assert among(loaded, unneeded) == set()
