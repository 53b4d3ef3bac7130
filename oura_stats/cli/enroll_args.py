"""The options of `oura-stats enroll` (the handler is in `enroll.py`)."""

from __future__ import annotations

import argparse

from oura_stats.auth.portals import PORTALS
from oura_stats.cli.accounts_args import EXAMPLE_PUBLIC_URL
from oura_stats.cli.argtypes import listen_port
from oura_stats.cli.common import Subparsers, add_command, run_by
from oura_stats.cli.fetch_args import add_db_option
from oura_stats.cli.helptext import SERVICE_EXIT, epilog

EXAMPLES = [
    f"oura-stats enroll --db postgresql://study@db/oura --public-url {EXAMPLE_PUBLIC_URL} "
    "--host 0.0.0.0 --port 8080",
]
NOTES = """notes:
  Register <public-url>/callback as a redirect URI of the study's Oura application.
  Serve it behind HTTPS (a reverse proxy or an Ingress): the pages set a Secure cookie
  when --public-url is https, and carry secrets in their addresses."""


def add_enroll_command(commands: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    parser = add_command(
        commands,
        "enroll",
        parents=parents,
        help="serve the enrolment pages that `accounts invite` links lead to",
        description="Serve the pages a participant opens from their invitation link: they "
        "are sent to Oura's consent page, and their tokens are stored under their name.",
        epilog=epilog(EXAMPLES, SERVICE_EXIT, notes=NOTES),
    )
    add_db_option(parser, required=True)
    add = parser.add_argument
    add("--public-url", required=True, metavar="URL", help="the address participants reach")
    add("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    add("--port", type=listen_port, default=8080, help="port to listen on (8080)")
    add("--client-id", metavar="ID", help="the study's Oura application (env OURA_CLIENT_ID)")
    add("--client-secret", metavar="SECRET", help="its secret (env OURA_CLIENT_SECRET)")
    add("--portal", choices=tuple(PORTALS), help="where the application was created (new)")
    add("--scopes", metavar="LIST", help="scopes to ask for (the portal's defaults)")
    add("--auth-url", metavar="URL", help="OAuth2 consent page (env OURA_AUTH_URL)")
    add("--token-url", metavar="URL", help="OAuth2 token endpoint (env OURA_TOKEN_URL)")
    add("--base-url", metavar="URL", help="API base URL (env OURA_API_BASE_URL)")
    add("--plain-tokens", action="store_true", help="store tokens unencrypted (no key)")
    run_by(parser, "oura_stats.cli.enroll:run_enroll")
