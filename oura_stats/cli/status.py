"""`oura-stats status`: is collection current? A table (or JSON) and an exit code for monitors.

Exit 0 when every category is fresh, 1 when any is stale or failing (or the API check fails).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import IO

from oura_stats.api.client import DEFAULT_BASE_URL
from oura_stats.api.tokens import TokenProvider
from oura_stats.cli.auth import add_credential_options
from oura_stats.cli.common import (
    Subparsers,
    add_category_option,
    add_command,
    add_freshness_options,
    policy_from_args,
)
from oura_stats.cli.fetch import add_db_option, db_target
from oura_stats.cli.helptext import STATUS_EXIT, epilog
from oura_stats.cli.tokens import TOKEN_ENV, resolve_tokens
from oura_stats.errors import EXIT_FAILED, EXIT_OK, ConfigError
from oura_stats.monitor.adherence import as_json as adherence_json
from oura_stats.monitor.adherence import as_table as adherence_table
from oura_stats.monitor.adherence import needs_attention, study_adherence
from oura_stats.monitor.freshness import FAILING, OK, build_view, local_now
from oura_stats.monitor.status import check_api, load_state, shown_categories, status_json
from oura_stats.monitor.status_table import render_table
from oura_stats.scrub import remember, scrub
from oura_stats.store.csvfacts import facts_for
from oura_stats.store.statehome import state_path

STATUS_EPILOG = epilog(
    [
        "oura-stats status --output-dir ~/oura",
        "oura-stats status --utc                 # times in UTC instead of local time",
        "oura-stats status --json | jq '.categories | map_values(.verdict)'",
        "oura-stats status -q     # cron: prints nothing while every category is fresh",
    ],
    STATUS_EXIT,
)


def add_status_command(
    commands: Subparsers,
    parents: list[argparse.ArgumentParser],
) -> None:
    """Add `oura-stats status` to the CLI."""
    parser = add_command(
        commands,
        "status",
        parents=parents,
        help="is collection current? per category: newest data, rows, last success, errors",
        description="Report, per category, the newest data stored, the row count, the last "
        "successful run, the last error and a verdict: ok, stale or failing. Reads only the "
        "state file and the CSVs unless --check-api is given.",
        epilog=STATUS_EPILOG,
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        help="state file written by fetch/service (default: .oura_state.json in --output-dir)",
    )
    parser.add_argument(
        "--output-dir", type=Path, default=Path("data"), help="where the CSV files are (./data)"
    )
    add_category_option(
        parser,
        "--categories",
        "categories to report (default: those collected by the runs of the last "
        "--stale-hours; all known ones when there was no run in that time)",
    )
    add_freshness_options(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--utc",
        action="store_true",
        help="show times in UTC (default: this machine's local time, with its UTC offset)",
    )
    _add_check_api_options(parser)
    parser.add_argument(
        "--accounts",
        action="store_true",
        help="a study's adherence instead, per participant (needs --db postgresql://…): last "
        "day with sleep, daily and heart-rate data, nights missing of the last 14, failing "
        "since, needs consent",
    )
    add_db_option(parser)
    parser.set_defaults(handler=run_status)


def _add_check_api_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check-api",
        action="store_true",
        help="also ask the API for personal_info: is it reachable, is the token accepted?",
    )
    parser.add_argument(
        "--token",
        help="access token for --check-api (env OURA_PERSONAL_ACCESS_TOKEN or OURA_ACCESS_TOKEN)",
    )
    parser.add_argument(
        "--base-url",
        default=os.environ.get("OURA_API_BASE_URL", DEFAULT_BASE_URL),
        help=f"API base URL for --check-api (env OURA_API_BASE_URL; {DEFAULT_BASE_URL})",
    )
    add_credential_options(parser)


def run_status(
    args: argparse.Namespace,
    *,
    now: Callable[[], dt.datetime] = local_now,
    out: IO[str] | None = None,
) -> int:
    """Print the status of the collection; 0 when all is fresh, else 1."""
    if args.accounts:
        return run_accounts_status(args, out or sys.stdout)
    policy = policy_from_args(args)
    snapshot = load_state(state_path(args.output_dir, args.state_file))
    moment = now()
    since = moment - dt.timedelta(hours=policy.stale_hours)
    shown = shown_categories(snapshot, args.output_dir, args.categories, since)
    view = build_view(snapshot, facts_for(shown, args.output_dir, snapshot), moment, policy)
    api = check_api(args.base_url, _tokens(args)) if args.check_api else None
    if api is not None and not api.ok:
        view = replace(view, verdict=FAILING)
    if args.json:
        text = json.dumps(status_json(view, api), indent=2) + "\n"
    else:
        text = render_table(view, api, dt.UTC if args.utc else moment.tzinfo or dt.UTC)
    healthy = view.verdict == OK
    if not (healthy and getattr(args, "quiet", False)):  # -q: speak only when something is wrong
        (out or sys.stdout).write(_without_secrets(text, args))
    return EXIT_OK if healthy else EXIT_FAILED


def _without_secrets(text: str, args: argparse.Namespace) -> str:
    for secret in _given_tokens(args):
        remember(secret)
    return scrub(text)


def _given_tokens(args: argparse.Namespace) -> list[str]:
    candidates = [getattr(args, "token", None), *(os.environ.get(n) for n in TOKEN_ENV)]
    return [t.strip() for t in candidates if t and len(t.strip()) >= 4]


def _tokens(args: argparse.Namespace) -> TokenProvider:
    try:
        return resolve_tokens(args)
    except ConfigError:
        raise ConfigError(
            "--check-api needs a token: pass --token, set OURA_PERSONAL_ACCESS_TOKEN "
            "(or OURA_ACCESS_TOKEN), or log in with `oura-stats auth login`"
        ) from None


def run_accounts_status(args: argparse.Namespace, out: IO[str]) -> int:
    """`status --accounts`: 0 when no participant needs attention, else 1."""
    target = db_target(args)
    if target is None or target.kind != "postgresql":
        raise ConfigError("--accounts reads a study's database: add --db postgresql://…")
    today = dt.datetime.now(dt.UTC).date()
    rows = study_adherence(target, today)
    text = adherence_json(rows, today) if args.json else adherence_table(rows, today)
    calm = not any(needs_attention(row, today) for row in rows)
    if not (calm and getattr(args, "quiet", False)):
        out.write(text)
    return EXIT_OK if calm else EXIT_FAILED
