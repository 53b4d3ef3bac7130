"""The options of `oura-stats accounts add|list|remove|invite` (the handlers are in
`accounts.py`)."""

from __future__ import annotations

import argparse

from oura_stats.cli.auth_args import add_credential_options, add_login_options
from oura_stats.cli.common import Subparsers, add_command, run_by
from oura_stats.cli.fetch_args import add_db_option
from oura_stats.cli.helptext import SIMPLE_EXIT, epilog
from oura_stats.db.studyterms import INVITE_DAYS, check_name
from oura_stats.errors import ConfigError

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
    run_by(parser, "oura_stats.cli.accounts:run_add")


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
    run_by(parser, "oura_stats.cli.accounts:run_remove")


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
    run_by(parser, "oura_stats.cli.accounts:run_list")


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
    run_by(parser, "oura_stats.cli.accounts:run_invite")


def _name(text: str) -> str:
    try:
        return check_name(text)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
