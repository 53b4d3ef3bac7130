"""`oura-stats status`: is collection current? A table (or JSON) and an exit code for monitors.

Reads the state file and the CSVs only (no lock, no network) unless `--check-api` is given.
Exit 0 when every category is fresh, 1 when any is stale or failing (or the API check fails).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from oura_stats.argtypes import positive_float
from oura_stats.categories import BY_NAME, CATEGORIES, Category, select
from oura_stats.cli_auth import TOKEN_ENV, add_credential_options, resolve_tokens
from oura_stats.client import DEFAULT_BASE_URL, OuraClient, RequestStats, RetryPolicy
from oura_stats.csvfacts import facts_for
from oura_stats.errors import EXIT_FAILED, EXIT_OK, ConfigError, ForbiddenError, OuraStatsError
from oura_stats.freshness import (
    DAILY_BY_NATURE,
    DEFAULT_STALE_HOURS,
    FAILING,
    NEVER_STALE,
    OK,
    Policy,
    StatusView,
    build_view,
    scrub,
    view_to_json,
)
from oura_stats.state import State
from oura_stats.status_table import ApiCheck, render_table
from oura_stats.tokens import TokenProvider

CHECK_RETRY = RetryPolicy(attempts=2, backoff_base=0.5, rate_limit_retries=1, longest_wait=10.0)

STATUS_EPILOG = """examples:
  oura-stats status --output-dir ~/oura --state-file ~/oura/.oura_state.json
  oura-stats status --json | jq '.categories | map_values(.verdict)'
  oura-stats status -q     # cron: prints nothing while every category is fresh

exit status: 0 every category fresh; 1 any stale or failing (or --check-api failed);
2 usage error or unreadable state file.
"""


def add_status_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Add `oura-stats status` to the CLI."""
    parser = commands.add_parser(
        "status",
        parents=parents,
        help="is collection current? per category: newest data, rows, last success, errors",
        description="Report, per category, the newest data stored, the row count, the last "
        "successful run, the last error and a verdict: ok, stale or failing. Reads only the "
        "state file and the CSVs unless --check-api is given.",
        epilog=STATUS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        default=Path(".oura_state.json"),
        help="state file written by fetch/service (./.oura_state.json)",
    )
    parser.add_argument(
        "--output-dir", type=Path, default=Path("data"), help="where the CSV files are (./data)"
    )
    parser.add_argument(
        "--categories",
        action="append",
        metavar="LIST",
        help="comma-separated categories to report (default: those collected by the runs of "
        "the last --stale-hours; all known ones when there was no run in that time)",
    )
    add_freshness_options(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _add_check_api_options(parser)
    parser.set_defaults(handler=run_status)


def add_freshness_options(parser: argparse.ArgumentParser) -> None:
    """--stale-hours and --stale-categories, shared by `status` and `service --health-port`."""
    parser.add_argument(
        "--stale-hours",
        type=positive_float,
        default=DEFAULT_STALE_HOURS,
        help=f"a category is stale after this many hours without new data "
        f"({DEFAULT_STALE_HOURS:g})",
    )
    parser.add_argument(
        "--stale-categories",
        metavar="LIST",
        default=",".join(DAILY_BY_NATURE),
        help="comma-separated categories that can be stale, or 'all'; sparse ones such as "
        f"tag, workout or vO2_max are not judged by default ({','.join(DAILY_BY_NATURE)})",
    )


def _add_check_api_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check-api",
        action="store_true",
        help="also ask the API for personal_info: is it reachable, is the token accepted?",
    )
    parser.add_argument(
        "--token", help="access token for --check-api (env OURA_PERSONAL_ACCESS_TOKEN)"
    )
    parser.add_argument(
        "--base-url",
        default=os.environ.get("OURA_API_BASE_URL", DEFAULT_BASE_URL),
        help=f"API base URL for --check-api (env OURA_API_BASE_URL; {DEFAULT_BASE_URL})",
    )
    add_credential_options(parser)


def policy_from_args(args: argparse.Namespace) -> Policy:
    """The freshness policy given by --stale-hours and --stale-categories."""
    text = str(args.stale_categories).strip()
    if text.lower() == "all":
        judged = frozenset(c.name for c in CATEGORIES) - NEVER_STALE
    else:
        judged = frozenset(c.name for c in select([text]))
    return Policy(stale_hours=args.stale_hours, judged=judged)


def local_now() -> dt.datetime:
    """Now, in this machine's time zone (days end at local midnight)."""
    return dt.datetime.now().astimezone()


# the command --------------------------------------------------------------------------------


def run_status(
    args: argparse.Namespace,
    *,
    now: Callable[[], dt.datetime] = local_now,
    out: IO[str] | None = None,
) -> int:
    """Print the status of the collection; 0 when all is fresh, else 1."""
    policy = policy_from_args(args)
    snapshot = load_state(args.state_file)
    moment = now()
    since = moment - dt.timedelta(hours=policy.stale_hours)
    shown = shown_categories(snapshot, args.output_dir, args.categories, since)
    view = build_view(snapshot, facts_for(shown, args.output_dir, snapshot), moment, policy)
    api = check_api(args) if args.check_api else None
    if api is not None and not api.ok:
        view = replace(view, verdict=FAILING)
    if args.json:
        text = json.dumps(status_json(view, api), indent=2) + "\n"
    else:
        text = render_table(view, api, moment.tzinfo or dt.UTC)
    healthy = view.verdict == OK
    if not (healthy and getattr(args, "quiet", False)):  # -q: speak only when something is wrong
        (out or sys.stdout).write(_without_secrets(text, args))
    return EXIT_OK if healthy else EXIT_FAILED


def load_state(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(
            f"no state file {path}: nothing has been collected there yet; check --state-file "
            "(it must match the one given to fetch/service) or run `oura-stats fetch` first"
        )
    if path.is_dir():
        raise ConfigError(f"--state-file {path} is a directory; name a file")
    return State.load(path).snapshot()


def shown_categories(
    state: Mapping[str, Any],
    output_dir: Path,
    selected: list[str] | None,
    since: dt.datetime,
) -> list[Category]:
    """The selected categories; else those collected by a run started after `since` (so a
    category no longer collected drops out); else, when no run is that recent, every
    category the state or the output directory knows (so that all of them show as stale)."""
    if selected:
        return select(selected)
    names: set[str] = set()
    for run in state.get("runs", []):
        if _after(run.get("started"), since):
            names.update(run.get("categories", {}))
    if not names:
        names.update(state.get("categories", {}))
        names.update(c.name for c in CATEGORIES if (output_dir / f"{c.name}.csv").is_file())
    return [c for c in CATEGORIES if c.name in names]


def _after(text: Any, since: dt.datetime) -> bool:
    try:
        moment = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return False
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)) >= since


def status_json(view: StatusView, api: ApiCheck | None) -> dict[str, Any]:
    document = view_to_json(view)
    if api is not None:
        document["api"] = {"ok": api.ok, "message": api.message}
    return document


def _without_secrets(text: str, args: argparse.Namespace) -> str:
    for secret in _given_tokens(args):
        text = text.replace(secret, "<redacted>")
    return text


def _given_tokens(args: argparse.Namespace) -> list[str]:
    candidates = [getattr(args, "token", None), *(os.environ.get(n) for n in TOKEN_ENV)]
    return [t.strip() for t in candidates if t and len(t.strip()) >= 4]


# --check-api --------------------------------------------------------------------------------


def check_api(args: argparse.Namespace) -> ApiCheck:
    """One personal_info request: the cheapest proof that the API and the token work."""
    client = OuraClient(args.base_url, _tokens(args), retry=CHECK_RETRY, pool_size=1)
    try:
        client.get_object(BY_NAME["personal_info"].path, RequestStats())
    except ForbiddenError as error:
        return ApiCheck(True, f"API reachable, token accepted; personal_info refused: {error}")
    except OuraStatsError as error:
        return ApiCheck(False, scrub(str(error)))
    finally:
        client.close()
    return ApiCheck(True, "API reachable, token accepted")


def _tokens(args: argparse.Namespace) -> TokenProvider:
    try:
        return resolve_tokens(args)
    except ConfigError:
        raise ConfigError(
            "--check-api needs a token: pass --token, set OURA_PERSONAL_ACCESS_TOKEN, "
            "or log in with `oura-stats auth login`"
        ) from None
