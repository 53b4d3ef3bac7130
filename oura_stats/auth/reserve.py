"""Room for the next credentials file, taken before a single-use refresh token is spent.

A refresh spends the old refresh token at Oura, so the new pair must reach the disk. The
space for it is reserved first (a temp file written and fsync-ed at a size the new file
cannot exceed); if even that fails, nothing is refreshed and the old token keeps working.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from oura_stats.auth.credentials import Credentials
from oura_stats.errors import AuthError
from oura_stats.store.atomic import TEMP_SUFFIX, fsync_directory, remove_stale_temp_files

RESERVE_MARGIN = 4096  # bytes beyond twice the current file: new tokens may be longer


class CredentialsNotSaved(AuthError):
    """The credentials file cannot be written (disk full, read-only, permissions)."""


class Reservation:
    """A temp file beside the credentials, 0600, already holding `size` written bytes.

    A refresh spends the single-use refresh token, so the new pair must be saved: the
    space for it is taken (written and fsync-ed) before the token endpoint is called,
    and saving then only overwrites and shrinks this file before renaming it into place.
    A full disk or a read-only directory is found while the old refresh token still works.
    (On copy-on-write filesystems an overwrite may still need new blocks: best effort.)
    """

    def __init__(self, path: Path, size: int) -> None:
        self._path = path
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
        self._fd: int | None = fd
        self._temp = Path(name)
        try:
            _write_all(fd, b" " * size)
            os.fsync(fd)
        except BaseException:
            self.discard()
            raise

    def commit(self, credentials: Credentials) -> None:
        """Write `credentials` into the reserved file and rename it over the real one."""
        assert self._fd is not None, "a reservation is committed once"
        data = credentials.to_json().encode()
        os.lseek(self._fd, 0, os.SEEK_SET)
        _write_all(self._fd, data)
        os.ftruncate(self._fd, len(data))
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = None
        self._temp.replace(self._path)
        fsync_directory(self._path.parent)

    def discard(self) -> None:
        """Give the space back (a no-op after `commit`)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            with contextlib.suppress(FileNotFoundError):
                self._temp.unlink()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


@contextlib.contextmanager
def reserved_save(path: Path, current: Credentials) -> Iterator[Reservation]:
    """Reserve room for the next version of the file at `path`; CredentialsNotSaved if none.

    Room for twice the current file and then some: new tokens may be longer than old ones.
    """
    remove_stale_temp_files(path.parent, path.name)  # a killed refresh's reservation
    size = 2 * len(current.to_json().encode()) + RESERVE_MARGIN
    try:
        reservation = Reservation(path, size)
    except OSError as exc:
        raise CredentialsNotSaved(
            f"cannot write beside the credentials file {path} ({exc.strerror}), so the "
            "access token was not refreshed and the saved refresh token stays valid: free "
            "some space (or make the directory writable) and run again"
        ) from None
    try:
        yield reservation
    finally:
        reservation.discard()
