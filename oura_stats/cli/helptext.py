"""The closing part of every command's --help: examples, environment, exit status.

Each command's help ends the same way, so the variables and exit codes read alike everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

# Where each command's help names the variables it reads: `envopts.name_variables` puts
# `environment_section` of the command's own options here.
ENVIRONMENT = "environment: (the variables this command reads)"
_OPTION_VARIABLES = """  OURA_STATS_<OPTION>    each option above, as named beside it (--log-level:
                         OURA_STATS_LOG_LEVEL); the command line wins"""
# Variables older than OURA_STATS_<OPTION>, by the option they back (theirs comes second).
OLDER_VARIABLES = {
    "--token": (
        "OURA_PERSONAL_ACCESS_TOKEN, OURA_ACCESS_TOKEN",
        "access token, as --token (the first one set wins); without any,\n"
        "the OAuth2 credentials saved by `oura-stats auth login`",
    ),
    "--credentials-file": (
        "OURA_CREDENTIALS_FILE",
        "OAuth2 credentials file, as --credentials-file",
    ),
    "--base-url": ("OURA_API_BASE_URL", "API base URL, as --base-url"),
    "--client-id": ("OURA_CLIENT_ID", "your application's client id, as --client-id"),
    "--client-secret": ("OURA_CLIENT_SECRET", "its client secret, as --client-secret"),
    "--portal": ("OURA_PORTAL", "new or legacy, as --portal"),
    "--scope-prefix": ("OURA_SCOPE_PREFIX", "scope name prefix, as --scope-prefix"),
    "--auth-url": ("OURA_AUTH_URL", "OAuth2 consent page, as --auth-url"),
    "--token-url": ("OURA_TOKEN_URL", "OAuth2 token endpoint, as --token-url"),
    "--revoke-url": ("OURA_REVOKE_URL", "OAuth2 revoke endpoint, as --revoke-url"),
    "--db": ("OURA_STATS_DB", "the database, as --db"),
}


def environment_section(options: Sequence[str]) -> str:
    """The variables a command with these long options reads."""
    lines = ["environment:", _OPTION_VARIABLES]
    for option, (names, meaning) in OLDER_VARIABLES.items():
        if option not in options:
            continue
        text = meaning.replace("\n", "\n" + " " * 25)
        lines.append(
            f"  {names:<21}  {text}" if len(names) <= 21 else f"  {names}\n{' ' * 25}{text}"
        )
    return "\n".join(lines)


COLLECT_EXIT = """exit status:
  0    every selected category succeeded
  1    a category failed (the others were saved), the token was rejected,
       another run holds the lock, or with --db the database was not written
  2    usage or configuration error
  130  interrupted by Ctrl-C (what finished is saved)"""

DB_EXIT = """exit status:
  0    done
  1    a table could not be written (the others were), or another run holds the lock
  2    usage or configuration error (also: PostgreSQL without its driver)
  130  interrupted by Ctrl-C"""

SERVICE_EXIT = """exit status:
  0    stopped by SIGTERM; with --max-runs, the last round succeeded
  1    with --max-runs, the last round had a failed category
  2    usage or configuration error
  130  interrupted by Ctrl-C"""

STATUS_EXIT = """exit status:
  0    every reported category is fresh
  1    a category is stale or failing, or --check-api failed
  2    usage error, unreadable state file or unreachable --no-csv database
  130  interrupted by Ctrl-C"""

REPORT_EXIT = """exit status:
  0    the report was written
  1    the report could not be written (disk full, read-only file system)
  2    usage or configuration error (also: no data in the period, no such directory)
  130  interrupted by Ctrl-C (the old report is left as it was)"""

DEMO_EXIT = """exit status:
  0    every category was collected and the report written
  1    a category failed or the report could not be written
  2    usage or configuration error
  130  interrupted by Ctrl-C"""

CATEGORIES_EXIT = """exit status:
  0    done
  2    usage error (an unknown category name, say)
  130  interrupted by Ctrl-C"""

SIMPLE_EXIT = """exit status:
  0    done
  1    the operation failed (for example Oura could not be reached)
  2    usage or configuration error
  130  interrupted by Ctrl-C"""


def epilog(examples: Sequence[str], exit_status: str, *, notes: str = "") -> str:
    """Examples first, then any notes, the environment and the exit status (last)."""
    parts = ["examples:\n" + "\n".join(f"  {line}" for line in examples)]
    if notes:
        parts.append(notes.strip("\n"))
    parts.extend([ENVIRONMENT, exit_status])
    return "\n\n".join(parts) + "\n"
