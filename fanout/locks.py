"""An exclusive lock on a file, for what runs once per resource (an SQLite outbox relay, a dev run)."""

import fcntl
import os
from pathlib import Path
from types import TracebackType
from typing import Self

from fanout.errors import FanoutError


class Locked(FanoutError):
    """Another process holds the lock."""


class FileLock:
    """`with FileLock(path, busy="..."):` — raises Locked(busy) at once when another process holds it.

    The lock (flock) goes with the process: a killed holder never leaves a stale lock behind.
    """

    error: type[Locked] = Locked

    def __init__(self, path: Path, busy: str) -> None:
        self.path = path
        self._busy = busy
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock if free; False when another process holds it."""
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
            raise self.error(self._busy)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
