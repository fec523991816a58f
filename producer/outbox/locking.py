"""One relay per SQLite outbox: an exclusive lock on a file next to the database."""

import fcntl
import os
from pathlib import Path
from types import TracebackType
from typing import Self

from fanout.errors import FanoutError


class RelayLocked(FanoutError):
    """Another relay holds the outbox's lock."""


class RelayLock:
    """`with RelayLock(path):` — raises RelayLocked at once when another process holds it."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".relay-lock")
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock if free; False when another relay holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> Self:
        if not self.acquire():
            raise RelayLocked(f"another relay is running on this SQLite outbox ({self.path} is locked)")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
