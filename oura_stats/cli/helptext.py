"""The closing part of every command's --help: examples, environment, exit status.

Each command's help ends the same way, so the variables and exit codes read alike everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

ENVIRONMENT = """environment:
  OURA_PERSONAL_ACCESS_TOKEN, OURA_ACCESS_TOKEN
                         access token, as --token (the first one set wins); without any,
                         the OAuth2 credentials saved by `oura-stats auth login`
  OURA_CREDENTIALS_FILE  OAuth2 credentials file, as --credentials-file
  OURA_API_BASE_URL      API base URL, as --base-url
  OURA_STATS_DB          database mirror, as --db"""

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
  2    usage error or unreadable state file
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
