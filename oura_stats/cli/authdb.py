"""Credentials in a database: `--db`/`--plain-tokens` of the `auth` actions, `auth
import`, and which credential store a command uses (the file, or the --db's table)."""

from __future__ import annotations

import argparse
import contextlib
import logging
from collections.abc import Callable

from oura_stats.auth.credentials import load_credentials, resolve_path
from oura_stats.auth.manage import logout
from oura_stats.cli.common import Subparsers, add_command, add_output_options
from oura_stats.cli.helptext import SIMPLE_EXIT, epilog
from oura_stats.cli.tokens import flag_or_env, store_from_args
from oura_stats.errors import EXIT_OK, ConfigError

log = logging.getLogger(__name__)

IMPORT_EPILOG = epilog(
    [
        "oura-stats auth import --db postgresql://oura@db/oura   # key in OURA_STATS_SECRET_KEY",
        "oura-stats auth import --db postgresql://oura@db/oura --credentials-file ./c.json",
    ],
    SIMPLE_EXIT,
    notes="The login is moved: once the database holds it, the file is deleted (two "
    "copies would\neach spend the single-use refresh token the other still holds).",
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


def add_import_action(
    actions: Subparsers, file_option: Callable[[argparse.ArgumentParser], None]
) -> None:
    parser = add_command(
        actions,
        "import",
        help="move a saved login (the credentials file) into a database",
        description="Move the credentials file written by `auth login` into the --db "
        "database's credentials table, for database-only runs (`fetch --no-csv`).",
        epilog=IMPORT_EPILOG,
    )
    add_output_options(parser)
    file_option(parser)
    add_db_credentials_options(parser)
    parser.set_defaults(handler=run_import)


def run_import(args: argparse.Namespace) -> int:
    if not args.db:
        raise ConfigError("auth import needs --db postgresql://user@host/dbname")
    path, _ = resolve_path(args.credentials_file)
    credentials = load_credentials(path)
    store = store_from_args(args, writing=True)
    store.save(credentials)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    log.info("moved the login from %s into the %s", path, store.where)
    return EXIT_OK


def run_logout(args: argparse.Namespace) -> int:
    logout(
        store_from_args(args),
        token_url=flag_or_env(args, "token_url", "OURA_TOKEN_URL"),
        revoke_url=flag_or_env(args, "revoke_url", "OURA_REVOKE_URL"),
        revoke_first=not args.no_revoke,
    )
    return EXIT_OK
