"""Where a command's access token comes from: --token, the token variables, or the OAuth2
credentials saved by `auth login` (refreshed on their own)."""

from __future__ import annotations

import argparse
import os

import requests

from oura_stats.api.tokens import StaticToken, TokenProvider
from oura_stats.auth.credentials import resolve_path
from oura_stats.auth.defaults import TOKEN_ENV
from oura_stats.auth.provider import OAuthTokenProvider
from oura_stats.auth.seam import CredentialStore, FileCredentials
from oura_stats.db.target import Target, usable_target
from oura_stats.errors import ConfigError
from oura_stats.run.homes import credential_store
from oura_stats.scrub import remember


def flag_or_env(args: argparse.Namespace, name: str, variable: str) -> str | None:
    """The flag's value, else the environment variable's (read when the command runs)."""
    value: str | None = getattr(args, name, None) or os.environ.get(variable) or None
    return value


SANDBOX_TOKEN = "sandbox"  # noqa: S105 - not a secret: the sandbox accepts any bearer string


def given_token(args: argparse.Namespace) -> str | None:
    """--token, else the first token environment variable that is set."""
    token = getattr(args, "token", None) or next(
        (os.environ[name] for name in TOKEN_ENV if os.environ.get(name)), None
    )
    if not token:
        return None
    remember(token)  # masked in every error text and log line from now on
    return token.strip()


def resolve_tokens(args: argparse.Namespace, *, sandbox: bool = False) -> TokenProvider:
    """--token, then the token environment variables, then saved OAuth2 credentials."""
    token = given_token(args)
    if token:
        return StaticToken(token)
    saved = token_provider_from_args(args)
    if saved is not None:
        return saved
    if sandbox:
        return StaticToken(SANDBOX_TOKEN)
    raise ConfigError(
        "no access token: log in with `oura-stats auth login`, or pass --token "
        "(or set OURA_PERSONAL_ACCESS_TOKEN or OURA_ACCESS_TOKEN)"
    )


def token_provider_from_args(
    args: argparse.Namespace, *, session: requests.Session | None = None
) -> TokenProvider | None:
    """The OAuth2 provider if credentials are saved (a file, or with --no-csv the --db's
    table); None if there are none (not named)."""
    path, named = resolve_path(getattr(args, "credentials_file", None))
    store = store_from_args(args)
    if not store.exists():
        if named and isinstance(store, FileCredentials):
            raise ConfigError(
                f"credentials file {path} does not exist; run `oura-stats auth login` "
                "or pass --token"
            )
        return None
    return OAuthTokenProvider(
        store, token_url=flag_or_env(args, "token_url", "OURA_TOKEN_URL"), session=session
    )


def store_from_args(args: argparse.Namespace, *, writing: bool = False) -> CredentialStore:
    """The --db's credentials table (auth --db, or a --no-csv run), else the file."""
    path, _ = resolve_path(getattr(args, "credentials_file", None))
    return credential_store(
        db_of(args),
        path,
        plain_tokens=getattr(args, "plain_tokens", not writing),
        writing=writing,
    )


def db_of(args: argparse.Namespace) -> Target | None:
    """The database that holds the credentials, if any."""
    uses_db = getattr(args, "no_csv", False) or getattr(args, "auth_action", None)
    if not uses_db or not getattr(args, "db", None):
        return None
    return usable_target(args.db)
