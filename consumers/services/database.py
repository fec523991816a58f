"""One small async SQL interface over SQLite (aiosqlite) and PostgreSQL (a psycopg 3 pool).

Services keep their own state through it; `record_processed` writes the runtime's
`processed_events` row (consumers.runtime.idempotency_stores) inside the service's transaction,
so a change and the record of the event that caused it commit together or not at all.

SQL is written once with `?` placeholders and syntax both engines share (ON CONFLICT, RETURNING);
the PostgreSQL side rewrites the placeholders (so no literal `?` in statements). A SQLite
transaction begins IMMEDIATE, taking the write lock at once; on PostgreSQL a statement that must
lock the rows it reads appends `lock_suffix` (` FOR UPDATE`).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Protocol

from pydantic import AfterValidator

from consumers.runtime.idempotency_stores import POSTGRES_SCHEMES, SQLITE_PREFIX
from fanout.errors import ConfigurationError
from fanout.redaction import mask_url_password

if TYPE_CHECKING:  # the drivers load when a database is opened (the catalog imports this module)
    import aiosqlite
    import psycopg
    from psycopg_pool import AsyncConnectionPool

Row = tuple[Any, ...]
MIGRATION_LOCK_KEY = "fanout.services.migrate"
WAL_RETRY_S = 0.02


class Transaction(Protocol):
    """Statements run inside one database transaction."""

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one statement; returns its rows (empty for statements without a result)."""
        ...

    async def record_processed(self, consumer: str, event_id: str) -> bool:
        """Record the event as processed; False when it already was (skip the change).

        A duplicate in flight concurrently waits for the first to commit, then gets False.
        """
        ...


class Database(ABC):
    """An open database; `transaction()` commits on success and rolls back on an exception."""

    lock_suffix: ClassVar[str]

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...

    @abstractmethod
    async def create_processed_events(self) -> None:
        """Create the `processed_events` table `record_processed` writes to, if missing."""

    @abstractmethod
    async def close(self) -> None: ...

    async def migrate(self, statements: Sequence[str]) -> None:
        """Create tables and indexes (idempotent `IF NOT EXISTS` statements) in one transaction."""
        async with self.transaction() as tx:
            for statement in statements:
                await tx.execute(statement)


class SqliteDatabase(Database):
    """One SQLite file through one aiosqlite connection; transactions are serialised in-process
    and BEGIN IMMEDIATE serialises them across processes (waiting up to `busy_timeout_s`)."""

    lock_suffix = ""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path, busy_timeout_s: float = 30.0) -> SqliteDatabase:
        import aiosqlite

        path.parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(path, isolation_level=None, timeout=busy_timeout_s)
        try:
            await _use_wal(connection, busy_timeout_s)
        except BaseException:
            await connection.close()
            raise
        return cls(connection)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._lock:
            await self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteTransaction(self._connection)
            except BaseException:
                await self._connection.execute("ROLLBACK")
                raise
            await self._connection.execute("COMMIT")

    async def create_processed_events(self) -> None:
        from consumers.runtime.idempotency_stores import sqlite

        async with self.transaction():
            await sqlite.create_schema(self._connection)

    async def close(self) -> None:
        await self._connection.close()


async def _use_wal(connection: aiosqlite.Connection, timeout_s: float) -> None:
    """Switch the file to WAL (readers never block the writer).

    Rows are always fetched: a PRAGMA left unfinished pins a read snapshot, and the connection's
    next BEGIN IMMEDIATE fails at once. SQLite does not wait on its busy timeout for this switch
    while another connection holds the file (replicas starting together), so it is retried here.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            await connection.execute_fetchall("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(WAL_RETRY_S)


class _SqliteTransaction:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._connection.execute(sql, tuple(params)) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def record_processed(self, consumer: str, event_id: str) -> bool:
        from consumers.runtime.idempotency_stores import sqlite

        return await sqlite.record_processed(self._connection, consumer, event_id)


class _PostgresTransaction:
    def __init__(self, connection: psycopg.AsyncConnection[Row]) -> None:
        self._connection = connection

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = await self._connection.execute(sql.replace("?", "%s"), tuple(params))
        return await cursor.fetchall() if cursor.description is not None else []

    async def record_processed(self, consumer: str, event_id: str) -> bool:
        from consumers.runtime.idempotency_stores import postgres

        return await postgres.record_processed(self._connection, consumer, event_id)


class PostgresDatabase(Database):
    """A PostgreSQL database through a psycopg connection pool (one connection per transaction)."""

    lock_suffix = " FOR UPDATE"

    def __init__(self, pool: AsyncConnectionPool[psycopg.AsyncConnection[Row]]) -> None:
        self._pool = pool

    @classmethod
    async def open(cls, url: str, pool_size: int = 10) -> PostgresDatabase:
        from psycopg_pool import AsyncConnectionPool

        pool: AsyncConnectionPool[psycopg.AsyncConnection[Row]] = AsyncConnectionPool(
            url, min_size=1, max_size=pool_size, open=False
        )
        await pool.open(wait=True, timeout=10)
        return cls(pool)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._pool.connection() as connection, connection.transaction():
            yield _PostgresTransaction(connection)

    async def migrate(self, statements: Sequence[str]) -> None:
        """As Database.migrate, under an advisory lock: replicas starting together do not race."""
        async with self.transaction() as tx:
            await tx.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (MIGRATION_LOCK_KEY,))
            for statement in statements:
                await tx.execute(statement)

    async def create_processed_events(self) -> None:
        from consumers.runtime.idempotency_stores import postgres

        async with self._pool.connection() as connection:
            await postgres.create_schema(connection)

    async def close(self) -> None:
        await self._pool.close()


def is_postgres_url(url: str) -> bool:
    return url.startswith(POSTGRES_SCHEMES)


def is_sqlite_url(url: str) -> bool:
    return url.startswith(SQLITE_PREFIX) and url != SQLITE_PREFIX


def _check_database_url(url: str) -> str:
    if not (is_postgres_url(url) or is_sqlite_url(url)):
        raise ValueError(f"expected a sqlite:///path or postgresql:// URL, got {mask_url_password(url)!r}")
    return url


DatabaseUrl = Annotated[str, AfterValidator(_check_database_url)]
"""A settings field holding a `sqlite:///path` or `postgresql://` URL."""


async def open_database(url: str, pool_size: int = 10) -> Database:
    """Open the database a `sqlite:///relative/path`, `sqlite:////abs/path` or `postgresql://` URL names."""
    if is_postgres_url(url):
        return await PostgresDatabase.open(url, pool_size)
    if not is_sqlite_url(url):
        raise ConfigurationError(f"not a sqlite:///path or postgresql:// URL: {mask_url_password(url)!r}")
    return await SqliteDatabase.open(Path(url.removeprefix(SQLITE_PREFIX)))
