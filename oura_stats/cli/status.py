"""`oura-stats status`: is collection current? A table (or JSON) and an exit code for monitors.

It reads the state file and the CSVs, or with --no-csv a database-only run's PostgreSQL --db.
Exit 0 when every category is fresh, 1 when any is stale or failing (or the API check fails).
The options are in `status_args.py`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import IO

from oura_stats.api.categories import CATEGORIES, select
from oura_stats.auth.defaults import TOKEN_ENV
from oura_stats.cli.common import db_target, imported
from oura_stats.errors import EXIT_FAILED, EXIT_OK, ConfigError
from oura_stats.monitor.freshness import (
    FAILING,
    OK,
    Policy,
    StatusView,
    build_view,
    local_now,
)
from oura_stats.monitor.judged import DAILY_BY_NATURE, NEVER_STALE
from oura_stats.monitor.records import open_records
from oura_stats.monitor.status import shown_categories, status_json
from oura_stats.monitor.status_table import ApiCheck, render_table
from oura_stats.scrub import remember, scrub
from oura_stats.store.statehome import state_path


def run_status(
    args: argparse.Namespace,
    *,
    now: Callable[[], dt.datetime] = local_now,
    out: IO[str] | None = None,
) -> int:
    """Print the status of the collection; 0 when all is fresh, else 1."""
    if args.accounts:  # a study's database: its modules only then
        code: int = imported("oura_stats.cli.status_study:run_accounts_status")(
            args, out or sys.stdout
        )
        return code
    policy = policy_from_args(args)
    moment = now()
    view = _view(args, policy, moment)
    api: ApiCheck | None = None
    if args.check_api:  # a token and an HTTP client: only then
        api = imported("oura_stats.cli.status_api:check_api")(args)
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


def _view(args: argparse.Namespace, policy: Policy, moment: dt.datetime) -> StatusView:
    """The view from the state file and the CSVs, or with --no-csv from the --db."""
    target = db_target(args) if args.no_csv else None
    path = state_path(args.output_dir, args.state_file)
    records = open_records(args.output_dir, path, target, no_csv=args.no_csv)
    try:
        snapshot = records.state()
        if snapshot is None:
            raise ConfigError(records.nothing_saved())
        since = moment - dt.timedelta(hours=policy.stale_hours)
        shown = shown_categories(snapshot, records.stored, args.categories, since)
        return build_view(snapshot, records.facts(shown, snapshot), moment, policy)
    finally:
        records.close()


def _without_secrets(text: str, args: argparse.Namespace) -> str:
    for secret in _given_tokens(args):
        remember(secret)
    return scrub(text)


def _given_tokens(args: argparse.Namespace) -> list[str]:
    candidates = [getattr(args, "token", None), *(os.environ.get(n) for n in TOKEN_ENV)]
    return [t.strip() for t in candidates if t and len(t.strip()) >= 4]


def policy_from_args(args: argparse.Namespace) -> Policy:
    """The freshness policy given by --stale-hours and --stale-categories."""
    names: list[str] = list(args.stale_categories or DAILY_BY_NATURE)
    if [n.strip().lower() for n in names] == ["all"]:
        judged = frozenset(c.name for c in CATEGORIES) - NEVER_STALE
    else:
        judged = frozenset(c.name for c in select(names))
    return Policy(stale_hours=args.stale_hours, judged=judged)
