"""`oura-stats status`: is collection current? A table (or JSON) and an exit code for monitors.

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
from oura_stats.api.tokens import TokenProvider
from oura_stats.cli.common import db_target
from oura_stats.cli.tokens import TOKEN_ENV, resolve_tokens
from oura_stats.errors import EXIT_FAILED, EXIT_OK, ConfigError
from oura_stats.monitor.adherence import as_json as adherence_json
from oura_stats.monitor.adherence import as_table as adherence_table
from oura_stats.monitor.adherence import needs_attention, study_adherence
from oura_stats.monitor.freshness import FAILING, OK, Policy, build_view, local_now
from oura_stats.monitor.judged import DAILY_BY_NATURE, NEVER_STALE
from oura_stats.monitor.status import check_api, load_state, shown_categories, status_json
from oura_stats.monitor.status_table import render_table
from oura_stats.scrub import remember, scrub
from oura_stats.store.csvfacts import facts_for
from oura_stats.store.statehome import state_path


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


def policy_from_args(args: argparse.Namespace) -> Policy:
    """The freshness policy given by --stale-hours and --stale-categories."""
    names: list[str] = list(args.stale_categories or DAILY_BY_NATURE)
    if [n.strip().lower() for n in names] == ["all"]:
        judged = frozenset(c.name for c in CATEGORIES) - NEVER_STALE
    else:
        judged = frozenset(c.name for c in select(names))
    return Policy(stale_hours=args.stale_hours, judged=judged)
