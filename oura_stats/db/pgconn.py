"""One PostgreSQL connection for the run's bookkeeping (cursors, credentials, locks, rows):
how it is opened, how it names its process, and driver errors as one line."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from typing import Any

from oura_stats.db.backend import first_line
from oura_stats.errors import ConfigError, DatabaseError

INSTALL_HINT = "PostgreSQL needs psycopg: pip install 'oura-stats[postgres]'"
CONNECT_TIMEOUT = 10


def driver() -> Any:
    try:
        import psycopg  # noqa: PLC0415 - optional dependency, loaded when used
    except ImportError as error:
        raise ConfigError(INSTALL_HINT) from error
    return psycopg


def holder_name() -> str:
    """How a lock holder is named to a second run: this process and its host (a pod)."""
    return f"oura-stats pid {os.getpid()} on {socket.gethostname()}"[:63]


def connect(url: str, display: str, *, autocommit: bool = True) -> Any:
    """A connection in UTC, named after this process (pg_stat_activity shows it)."""
    psycopg = driver()
    try:  # the password comes from the URL, PGPASSWORD or ~/.pgpass (libpq reads them)
        conn = psycopg.connect(
            url,
            autocommit=autocommit,
            connect_timeout=CONNECT_TIMEOUT,
            application_name=holder_name(),
        )
        conn.execute("SET client_min_messages = warning")
        conn.execute("SET TIME ZONE 'UTC'")
        if not autocommit:
            conn.commit()
    except psycopg.Error as error:
        raise DatabaseError(f"cannot connect to {display}: {first_line(error)}") from error
    return conn


@contextlib.contextmanager
def errors(display: str) -> Iterator[None]:
    """Driver errors (a dropped connection, a read-only database) as DatabaseError."""
    psycopg = driver()
    try:
        yield
    except psycopg.Error as error:
        raise DatabaseError(f"database {display}: {first_line(error)}") from error
