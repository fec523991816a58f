"""The order service's database: PostgreSQL (a psycopg pool) or SQLite (one aiosqlite connection).

`transaction()` yields the driver's own connection, so `stage_async` writes the event in the same
transaction as the order. SQL is written with `?` placeholders; `execute` adapts them for psycopg.
"""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
import psycopg
from psycopg_pool import AsyncConnectionPool

from producer.outbox.urls import DatabaseUrl

SCHEMA = """CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    total TEXT NOT NULL,
    currency TEXT NOT NULL,
    placed_at TEXT NOT NULL
)"""


class OrderDatabase:
    def __init__(self, pool: AsyncConnectionPool[Any] | None, lite: aiosqlite.Connection | None) -> None:
        self._pool = pool
        self._lite = lite
        self._lock = asyncio.Lock()  # one SQLite connection: one transaction at a time

    @classmethod
    async def open(cls, url: str) -> "OrderDatabase":
        parsed = DatabaseUrl.parse(url)
        if parsed.engine == "postgresql":
            pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
                parsed.target, min_size=1, max_size=5, open=False
            )
            await pool.open(wait=True, timeout=10)
            database = cls(pool, None)
        else:
            database = cls(None, await aiosqlite.connect(parsed.target, isolation_level=None, timeout=30))
        async with database.transaction() as connection:
            await database.execute(connection, SCHEMA)
        return database

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        """Commits when the block ends, rolls back when it raises."""
        if self._pool is not None:
            async with self._pool.connection() as connection, connection.transaction():
                yield connection
            return
        assert self._lite is not None
        async with self._lock:
            await self._lite.execute("BEGIN IMMEDIATE")
            try:
                yield self._lite
            except BaseException:
                await self._lite.execute("ROLLBACK")
                raise
            await self._lite.execute("COMMIT")

    async def execute(self, connection: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if isinstance(connection, psycopg.AsyncConnection):
            cursor = await connection.execute(sql.replace("?", "%s"), tuple(params))
            return list(await cursor.fetchall()) if cursor.description is not None else []
        async with connection.execute(sql, tuple(params)) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    @staticmethod
    def is_duplicate(error: BaseException) -> bool:
        """A primary-key violation on either engine."""
        return isinstance(error, psycopg.errors.UniqueViolation) or "UNIQUE constraint failed" in str(error)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
        if self._lite is not None:
            await self._lite.close()
