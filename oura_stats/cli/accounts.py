"""`oura-stats accounts add|list|remove|invite` and `oura-stats enroll`: a study's participants."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from typing import Any

from oura_stats.api.client import DEFAULT_BASE_URL
from oura_stats.cli.auth import add_credential_options, add_login_options, login_request
from oura_stats.cli.common import Subparsers, add_command
from oura_stats.cli.fetch import add_db_option, db_target
from oura_stats.cli.helptext import SIMPLE_EXIT, epilog
from oura_stats.db.adherence import Adherence
from oura_stats.db.participants import INVITE_DAYS, Registry, check_name
from oura_stats.db.target import Target
from oura_stats.errors import EXIT_OK, ConfigError
from oura_stats.monitor.adherence import study_adherence
from oura_stats.run.participants import add_participant, remove_participant

log = logging.getLogger(__name__)

EXAMPLE_PUBLIC_URL = "https://enrol.example.org"
EXAMPLES = [
    "oura-stats accounts add p017 --db postgresql://study@db/oura",
    "oura-stats accounts invite p018 --db postgresql://study@db/oura "
    f"--public-url {EXAMPLE_PUBLIC_URL}",
    "oura-stats accounts list --db postgresql://study@db/oura",
    "oura-stats accounts remove p017 --db postgresql://study@db/oura --delete-data",
]


def add_accounts_command(commands: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    accounts = add_command(
        commands,
        "accounts",
        parents=parents,
        help="a study's participants: enrol, invite, list, withdraw",
        description="The participants of a study, kept in a PostgreSQL database (--db): "
        "each has a name the study chose and the Oura account that consented.",
        epilog=epilog(EXAMPLES, SIMPLE_EXIT),
    )
    actions = accounts.add_subparsers(dest="accounts_command", required=True, metavar="ACTION")
    _add_add(actions, parents)
    _add_list(actions, parents)
    _add_remove(actions, parents)
    _add_invite(actions, parents)


def _add_add(actions: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    parser = add_command(
        actions,
        "add",
        parents=parents,
        help="enrol a participant here: they sign in to Oura and approve (as `auth login`)",
        description="Run Oura's consent for one participant at this computer (the same flow "
        "as `auth login`) and store their tokens under NAME in the database. One Oura "
        "account can be enrolled under one name only.",
        epilog=epilog([EXAMPLES[0]], SIMPLE_EXIT),
    )
    parser.add_argument("name", type=_name, metavar="NAME", help="the participant's name (p017)")
    add_db_option(parser, required=True)
    add_login_options(parser)
    add_credential_options(parser)
    parser.add_argument("--base-url", metavar="URL", help="API base URL (env OURA_API_BASE_URL)")
    parser.add_argument(
        "--plain-tokens", action="store_true", help="store tokens unencrypted (no key)"
    )
    parser.set_defaults(handler=run_add)


def _add_remove(actions: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    parser = add_command(
        actions,
        "remove",
        parents=parents,
        help="withdraw a participant: revoke their grant at Oura, optionally delete their data",
        description="Revoke NAME's grant at Oura and forget their tokens; they are listed as "
        "withdrawn. With --delete-data, every row of theirs is deleted from every table, "
        "in one transaction, and what was removed is logged.",
        epilog=epilog([EXAMPLES[3]], SIMPLE_EXIT),
    )
    parser.add_argument("name", type=_name, metavar="NAME", help="the participant's name")
    add_db_option(parser, required=True)
    parser.add_argument(
        "--delete-data", action="store_true", help="also delete all their rows (withdrawal)"
    )
    parser.add_argument(
        "--no-revoke", action="store_true", help="do not ask Oura to revoke the grant first"
    )
    parser.add_argument("--revoke-url", metavar="URL", help="revoke endpoint (env OURA_REVOKE_URL)")
    parser.add_argument(
        "--plain-tokens", action="store_true", help="their tokens were stored unencrypted"
    )
    parser.set_defaults(handler=run_remove)


def _add_list(actions: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    parser = add_command(
        actions,
        "list",
        parents=parents,
        help="show every participant: Oura user id, enrolled, last day with data, state",
        description="Every participant with their Oura user id, when they enrolled, the "
        "last day with data and their state (ok, needs consent, withdrawn).",
        epilog=epilog([EXAMPLES[2]], SIMPLE_EXIT),
    )
    add_db_option(parser, required=True)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=run_list)


def _add_invite(actions: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    parser = add_command(
        actions,
        "invite",
        parents=parents,
        help="print a single-use enrolment link for a participant",
        description="Print a link that enrols NAME when opened (served by `oura-stats "
        "enroll`). It works once and expires; only a hash of it is stored.",
        epilog=epilog([EXAMPLES[1]], SIMPLE_EXIT),
    )
    parser.add_argument("name", type=_name, metavar="NAME", help="the participant's name (p017)")
    add_db_option(parser, required=True)
    parser.add_argument(
        "--public-url",
        required=True,
        metavar="URL",
        help="the address participants reach `oura-stats enroll` at (https://…)",
    )
    parser.add_argument(
        "--days",
        type=float,
        default=INVITE_DAYS,
        metavar="DAYS",
        help=f"how long the link works ({INVITE_DAYS:g} days)",
    )
    parser.set_defaults(handler=run_invite)


def _name(text: str) -> str:
    try:
        return check_name(text)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def study_target(args: argparse.Namespace) -> Target:
    target = db_target(args)
    if target is None or target.kind != "postgresql":
        raise ConfigError(
            "a study lives in PostgreSQL: pass --db postgresql://… (or OURA_STATS_DB)"
        )
    return target


def public_url(text: str) -> str:
    url = text.strip().rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"--public-url {text!r} must start with https:// (or http://)")
    return url


def run_add(args: argparse.Namespace) -> int:
    add_participant(
        study_target(args),
        args.name,
        login_request(args),
        args.base_url or os.environ.get("OURA_API_BASE_URL") or DEFAULT_BASE_URL,
        manual=args.manual,
        open_browser=not (args.no_browser or args.manual),
        timeout=args.timeout,
        plain_tokens=args.plain_tokens,
    )
    return EXIT_OK


def run_remove(args: argparse.Namespace) -> int:
    remove_participant(
        study_target(args),
        args.name,
        delete_data=args.delete_data,
        revoke_first=not args.no_revoke,
        revoke_url=args.revoke_url or os.environ.get("OURA_REVOKE_URL") or None,
        plain_tokens=args.plain_tokens,
    )
    return EXIT_OK


def run_invite(args: argparse.Namespace) -> int:
    if not 0 < args.days <= 365:
        raise ConfigError("--days must be more than 0 and at most 365")
    base = public_url(args.public_url)
    with Registry(study_target(args)) as registry:
        registry.create_tables()
        secret = registry.invite(args.name, args.days)
    sys.stdout.write(f"{base}/enroll/{secret}\n")
    log.info("link for %s: works once, for %g days", args.name, args.days)
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    today = dt.datetime.now(dt.UTC).date()
    rows = [_row(a) for a in study_adherence(study_target(args), today)]
    if args.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_OK
    header = ("NAME", "OURA USER ID", "ENROLLED", "LAST DAY", "STATE")
    table = [
        header,
        *(
            (r["name"], r["oura_user_id"] or "-", r["enrolled"], r["last_day"] or "-", r["state"])
            for r in rows
        ),
    ]
    widths = [max(len(str(line[i])) for line in table) for i in range(len(header))]
    for line in table:
        sys.stdout.write("  ".join(str(v).ljust(w) for v, w in zip(line, widths, strict=True)))
        sys.stdout.write("\n")
    return EXIT_OK


def _row(seen: Adherence) -> dict[str, Any]:
    participant, last = seen.participant, seen.last_any()
    return {
        "name": participant.name,
        "oura_user_id": participant.oura_user_id,
        "enrolled": participant.enrolled_at.date().isoformat(),
        "last_day": last.isoformat() if last else None,
        "state": participant.state,
    }
