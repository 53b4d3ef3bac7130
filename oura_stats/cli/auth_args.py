"""The options of `oura-stats auth login|status|logout|import`, and the credential options
of `fetch`/`service` (the handlers are in `auth.py`)."""

from __future__ import annotations

import argparse

from oura_stats.api.defaults import DEFAULT_BASE_URL
from oura_stats.auth.defaults import CREDENTIALS_ENV, LOGIN_TIMEOUT
from oura_stats.auth.portals import LEGACY, NEW, PORTAL_ENV, PORTALS
from oura_stats.cli.argtypes import listen_port, positive_float
from oura_stats.cli.common import Subparsers, add_command, add_output_options, run_by
from oura_stats.cli.helptext import ENVIRONMENT, SIMPLE_EXIT, epilog

DEFAULT_PORT = 8765

LOGIN_EPILOG = f"""examples:
  oura-stats auth login                          # client id and secret from the environment
  oura-stats auth login --manual                 # headless: paste the redirected URL
  oura-stats auth login --portal legacy          # an application from the old console

Create your application at {NEW.console} and register
http://localhost:<port>/callback (default port 8765) as its redirect URI first; the
command prints the exact URI. Applications made in the old console
(cloud.ouraring.com) need --portal legacy.
"""

AUTH_FOOTER = f"\n{ENVIRONMENT}\n\n{SIMPLE_EXIT}\n"
STATUS_EPILOG = epilog(
    ["oura-stats auth status", "oura-stats auth status --credentials-file ./credentials.json"],
    SIMPLE_EXIT,
)
LOGOUT_EPILOG = epilog(
    ["oura-stats auth logout", "oura-stats auth logout --no-revoke   # only delete the file"],
    SIMPLE_EXIT,
)

IMPORT_EPILOG = epilog(
    [
        "oura-stats auth import --db postgresql://oura@db/oura   # key in OURA_STATS_SECRET_KEY",
        "oura-stats auth import --db postgresql://oura@db/oura --credentials-file ./c.json",
    ],
    SIMPLE_EXIT,
    notes="The login is moved: once the database holds it, the file is deleted (two "
    "copies would\neach spend the single-use refresh token the other still holds).",
)


AUTH_EPILOG = """examples:
  oura-stats auth login --client-id ID          # secret from $OURA_CLIENT_SECRET or a prompt
  oura-stats auth login --manual --scopes all   # headless server: paste the redirected URL
  oura-stats auth status
  oura-stats auth logout
"""


def _add_file_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--credentials-file",
        metavar="FILE",
        help=f"OAuth2 credentials file (env {CREDENTIALS_ENV}; default "
        "$XDG_CONFIG_HOME/oura-stats/credentials.json or ~/.config/oura-stats/credentials.json)",
    )


def _add_token_url_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--token-url",
        metavar="URL",
        help="OAuth2 token endpoint (env OURA_TOKEN_URL; default: at login the portal's, "
        "afterwards the one saved at login)",
    )


def add_credential_options(parser: argparse.ArgumentParser) -> None:
    """--credentials-file, --token-url and --auth-url, for `fetch` and `service`."""
    _add_file_option(parser)
    _add_token_url_option(parser)
    parser.add_argument(
        "--auth-url",
        metavar="URL",
        help="OAuth2 authorization URL (env OURA_AUTH_URL; default: the portal's consent "
        "page); only `auth login` uses it, accepted here so one set of options and "
        "variables serves every command",
    )


def add_auth_command(subparsers: Subparsers) -> None:
    auth = add_command(
        subparsers,
        "auth",
        help="log in to Oura (OAuth2), show or remove the saved credentials",
        description="Manage the OAuth2 credentials that `fetch` and `service` refresh "
        "on their own.",
        epilog=AUTH_EPILOG + AUTH_FOOTER,
    )
    add_output_options(auth)  # -v/-q also between `auth` and its action
    actions = auth.add_subparsers(dest="auth_action", metavar="ACTION", required=True)
    _add_login(actions)
    status = _add_credentials_action(
        actions, "status", "who is logged in, granted scopes, expiry, token endpoint (no secrets)"
    )
    status.description = (
        "Show the saved OAuth2 credentials: the account's e-mail (asked of Oura), the granted "
        "scopes and the categories they leave out, the token's expiry and the token endpoint. "
        "Secrets are never printed."
    )
    status.epilog = STATUS_EPILOG
    status.add_argument(
        "--base-url",
        metavar="URL",
        help="API base URL for personal_info (env OURA_API_BASE_URL; default: the one the "
        f"login was for, else {DEFAULT_BASE_URL})",
    )
    add_db_credentials_options(status)
    run_by(status, "oura_stats.cli.auth:run_status")
    logout = _add_credentials_action(
        actions, "logout", "revoke the grant at Oura, then delete the credentials file"
    )
    logout.description = (
        "Revoke the saved grant at Oura, then delete the credentials file. When Oura cannot "
        "be reached the file is kept, so that you can retry; --no-revoke only deletes it."
    )
    logout.epilog = LOGOUT_EPILOG
    logout.add_argument(
        "--revoke-url",
        metavar="URL",
        help="revoke endpoint (env OURA_REVOKE_URL; default: the saved portal's, "
        f"{NEW.revoke_url} or {LEGACY.revoke_url}; beside a custom token URL, its "
        "…/revoke sibling)",
    )
    logout.add_argument(
        "--no-revoke", action="store_true", help="only delete the local credentials file"
    )
    add_db_credentials_options(logout)
    run_by(logout, "oura_stats.cli.auth:run_logout")
    _add_import(actions)


def _add_credentials_action(
    actions: Subparsers, name: str, help_text: str
) -> argparse.ArgumentParser:
    """An `auth` action that works on saved credentials: -v/-q, the file, the token URL."""
    parser = add_command(
        actions,
        name,
        help=help_text,
    )
    add_output_options(parser)
    _add_file_option(parser)
    _add_token_url_option(parser)
    return parser


def _add_login(actions: Subparsers) -> None:
    login_parser = add_command(
        actions,
        "login",
        help="authorise oura-stats in a browser and save the credentials",
        description="Run the OAuth2 authorization-code flow and save the credentials "
        "that `fetch` and `service` then refresh on their own.",
        epilog=LOGIN_EPILOG + AUTH_FOOTER,
    )
    add_login_options(login_parser)
    login_parser.add_argument(
        "--base-url",
        metavar="URL",
        help="API base URL these credentials are for, saved with them for `auth status` "
        f"(env OURA_API_BASE_URL; default {DEFAULT_BASE_URL})",
    )
    add_output_options(login_parser)
    add_credential_options(login_parser)
    add_db_credentials_options(login_parser)
    run_by(login_parser, "oura_stats.cli.auth:run_login")


def add_login_options(parser: argparse.ArgumentParser) -> None:
    """The options of the authorization-code flow (`auth login`, `accounts add`)."""
    add = parser.add_argument
    add("--client-id", metavar="ID", help="your Oura application's client id (env OURA_CLIENT_ID)")
    described = "its client secret (env OURA_CLIENT_SECRET; prompted for on a terminal if absent)"
    add("--client-secret", metavar="SECRET", help=described)
    add(
        "--portal",
        choices=tuple(PORTALS),
        help=f"where your application was created (env {PORTAL_ENV}): `new` "
        f"({NEW.console}; the default) or `legacy` (the old cloud.ouraring.com console); "
        "sets the consent, token and revoke endpoints and the scope names",
    )
    add(
        "--scopes",
        metavar="LIST",
        help=f"scopes to request, comma- or space-separated (default for the new portal: "
        f"{' '.join(NEW.default_scopes)}; legacy: {' '.join(LEGACY.default_scopes)}; `all` "
        "adds what the portal offers beyond those)",
    )
    add(
        "--scope-prefix",
        metavar="PREFIX",
        help="prefix for every requested scope name (env OURA_SCOPE_PREFIX; default "
        f"`{NEW.scope_prefix}` for the new portal, none for legacy)",
    )
    add(
        "--port",
        type=listen_port,
        default=DEFAULT_PORT,
        help=f"local callback port (default {DEFAULT_PORT})",
    )
    add("--no-browser", action="store_true", help="do not open a browser; just print the URL")
    add(
        "--manual",
        action="store_true",
        help="headless: paste the redirected URL (or code) on stdin",
    )
    add(
        "--timeout",
        type=positive_float,
        default=LOGIN_TIMEOUT,
        metavar="SECONDS",
        help=f"how long to wait for the redirect (default {LOGIN_TIMEOUT:.0f})",
    )


def add_db_credentials_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        help="keep the credentials in this PostgreSQL database (postgresql://user@host/db) "
        "instead of a file; tokens are encrypted with OURA_STATS_SECRET_KEY",
    )
    parser.add_argument(
        "--plain-tokens",
        action="store_true",
        help="with --db and no OURA_STATS_SECRET_KEY: store the tokens unencrypted",
    )


def _add_import(actions: Subparsers) -> None:
    parser = add_command(
        actions,
        "import",
        help="move a saved login (the credentials file) into a database",
        description="Move the credentials file written by `auth login` into the --db "
        "database's credentials table, for database-only runs (`fetch --no-csv`).",
        epilog=IMPORT_EPILOG,
    )
    add_output_options(parser)
    _add_file_option(parser)
    add_db_credentials_options(parser)
    run_by(parser, "oura_stats.cli.auth:run_import")
