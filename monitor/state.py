"""Alert state: per queue (firing, last depth) and per sink (when it accepted the FIRING).

SQLite (a file path) for one monitor on a disk that survives it, or PostgreSQL (a postgresql://
URL) for a monitor on task-local storage: ECS replaces the task, the database keeps the state.
Without either the monitor still reconciles from the DLQs it reads (see `monitor.lifecycle`).
Every write is committed before it returns, so what a cancelled check already knew persists.
"""

from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import aiosqlite
import psycopg

from fanout.errors import FanoutError
from monitor.lifecycle import QueueState

SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS fanout_monitor_queue (
        queue TEXT PRIMARY KEY,
        firing INTEGER NOT NULL,
        last_depth INTEGER,
        since TEXT
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS fanout_monitor_sink (
        queue TEXT NOT NULL,
        sink TEXT NOT NULL,
        notified_at TEXT NOT NULL,
        PRIMARY KEY (queue, sink)
    )
    """,
)
LOAD_QUEUE = "SELECT firing, last_depth, since FROM fanout_monitor_queue WHERE queue = ?"
SAVE_QUEUE = (
    "INSERT INTO fanout_monitor_queue (queue, firing, last_depth, since) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (queue) DO UPDATE SET firing = excluded.firing, last_depth = excluded.last_depth, "
    "since = excluded.since"
)
LOAD_SINKS = "SELECT sink, notified_at FROM fanout_monitor_sink WHERE queue = ?"
MARK_SINK = (
    "INSERT INTO fanout_monitor_sink (queue, sink, notified_at) VALUES (?, ?, ?) "
    "ON CONFLICT (queue, sink) DO UPDATE SET notified_at = excluded.notified_at"
)
CLEAR_SINK = "DELETE FROM fanout_monitor_sink WHERE queue = ? AND sink = ?"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class StateUnavailable(FanoutError):
    """The alert state's database cannot be reached."""


class Database(Protocol):
    """The few calls the store makes (SQLite and PostgreSQL behind one face; `?` placeholders)."""

    async def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None: ...

    async def fetch(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]: ...

    async def close(self) -> None: ...


class SqliteDatabase:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        await self._db.execute(sql, params)
        await self._db.commit()

    async def fetch(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        async with self._db.execute(sql, params) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def close(self) -> None:
        await self._db.close()


class PostgresDatabase:
    def __init__(self, connection: psycopg.AsyncConnection[tuple[Any, ...]]) -> None:
        self._db = connection

    async def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        await self._db.execute(sql.replace("?", "%s"), params)

    async def fetch(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        cursor = await self._db.execute(sql.replace("?", "%s"), params)
        return list(await cursor.fetchall())

    async def close(self) -> None:
        await self._db.close()


def describe_location(location: str) -> str:
    """Where the state lives, without credentials (for logs)."""
    if location.startswith(POSTGRES_SCHEMES):
        return "postgresql"
    return location


class AlertStore:
    """Open with `async with AlertStore(location) as store`; location is a path or a postgresql:// URL."""

    def __init__(self, location: str) -> None:
        self._location = location
        self._db: Database | None = None

    async def __aenter__(self) -> Self:
        if self._location.startswith(POSTGRES_SCHEMES):
            try:
                connection = await psycopg.AsyncConnection.connect(self._location, autocommit=True)
            except psycopg.Error as error:  # its text names host and port, never the password
                reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                raise StateUnavailable(f"alert state in PostgreSQL unavailable: {reason}") from None
            self._db = PostgresDatabase(connection)
        else:
            path = self._location.removeprefix("sqlite:///")
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._db = SqliteDatabase(await aiosqlite.connect(path))
        for statement in SCHEMA:
            await self._db.execute(statement)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def _database(self) -> Database:
        if self._db is None:
            raise RuntimeError("AlertStore is not open")
        return self._db

    async def load(self, queue: str) -> QueueState | None:
        """The saved state of a queue; None when nothing is known (new queue, or the state was lost)."""
        rows = await self._database.fetch(LOAD_QUEUE, (queue,))
        if not rows:
            return None
        firing, depth, since = rows[0]
        return QueueState(queue, bool(firing), depth, datetime.fromisoformat(since) if since else None)

    async def save(self, state: QueueState) -> None:
        since = state.since.isoformat() if state.since else None
        await self._database.execute(SAVE_QUEUE, (state.queue, int(state.firing), state.last_depth, since))

    async def notified(self, queue: str) -> dict[str, datetime]:
        """The sinks that accepted (or adopted) the queue's FIRING and have not accepted its RESOLVED."""
        rows = await self._database.fetch(LOAD_SINKS, (queue,))
        return {sink: datetime.fromisoformat(at) for sink, at in rows}

    async def mark_notified(self, queue: str, sink: str, at: datetime) -> None:
        await self._database.execute(MARK_SINK, (queue, sink, at.isoformat()))

    async def clear_notified(self, queue: str, sink: str) -> None:
        await self._database.execute(CLEAR_SINK, (queue, sink))
