"""Alert state in SQLite, so a restarted monitor neither re-pages nor loses a pending resolve."""

from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Self

import aiosqlite

from monitor.lifecycle import AlertState

SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_state (
    queue TEXT PRIMARY KEY,
    firing INTEGER NOT NULL,
    last_notified_at TEXT,
    last_depth INTEGER
)
"""


class AlertStore:
    """One row per DLQ; open with `async with AlertStore(path) as store`."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._db: aiosqlite.Connection | None = None

    async def __aenter__(self) -> Self:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self._path)
        await self._db.execute(SCHEMA)
        await self._db.commit()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def _connection(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("AlertStore is not open")
        return self._db

    async def load(self, queue: str) -> AlertState:
        """The saved state of a queue, or a fresh one."""
        async with self._connection.execute(
            "SELECT firing, last_notified_at, last_depth FROM alert_state WHERE queue = ?", (queue,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return AlertState(queue)
        firing, notified, depth = row
        return AlertState(queue, bool(firing), datetime.fromisoformat(notified) if notified else None, depth)

    async def save(self, state: AlertState) -> None:
        """Write a queue's state durably (committed before returning)."""
        notified = state.last_notified_at.isoformat() if state.last_notified_at else None
        await self._connection.execute(
            "INSERT INTO alert_state (queue, firing, last_notified_at, last_depth) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (queue) DO UPDATE SET firing = excluded.firing, "
            "last_notified_at = excluded.last_notified_at, last_depth = excluded.last_depth",
            (state.queue, int(state.firing), notified, state.last_depth),
        )
        await self._connection.commit()
