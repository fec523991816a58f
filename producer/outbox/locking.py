"""One relay per SQLite outbox: an exclusive lock on a file next to the database."""

from pathlib import Path

from fanout.locks import FileLock, Locked


class RelayLocked(Locked):
    """Another relay holds the outbox's lock."""


class RelayLock(FileLock):
    """`with RelayLock(database):` — raises RelayLocked at once when another relay holds it."""

    error = RelayLocked

    def __init__(self, database: Path) -> None:
        path = database.with_name(database.name + ".relay-lock")
        super().__init__(path, f"another relay is running on this SQLite outbox ({path} is locked)")
