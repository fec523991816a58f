"""The fleet idempotency store: a `processed_events` table in PostgreSQL, reached through a pool.

psycopg 3 async connections from a psycopg_pool pool, in autocommit mode; the claim is one
INSERT ... ON CONFLICT DO UPDATE ... RETURNING statement, which PostgreSQL runs atomically
against concurrent claims of the same id (the loser waits on the row lock, then sees the live
lease). The table is created under an advisory lock so consumers starting together do not race.

Services that keep their own state in PostgreSQL can record an event id in the same transaction
as their change with `create_schema` and `record_processed`. The table lives in the first schema
of the connection's search_path.
"""

import time
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool

from consumers.runtime.idempotency_stores.base import (
    DEFAULT_RETENTION_S,
    ClaimRow,
    Clock,
    LeaseStore,
    StoreUnavailable,
)

SCHEMA_LOCK_KEY = "fanout.processed_events"

SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS processed_events (
        consumer text NOT NULL,
        event_id text NOT NULL,
        claim_token text,
        lease_expires_at timestamptz NOT NULL,
        completed_at timestamptz,
        PRIMARY KEY (consumer, event_id)
    )
    """,
    """
    CREATE INDEX IF NOT EXISTS processed_events_age
        ON processed_events ((COALESCE(completed_at, lease_expires_at)))
    """,
)

_LEASE_LAPSED = "p.completed_at IS NULL AND p.lease_expires_at <= to_timestamp(%(now)s)"

CLAIM = f"""
    INSERT INTO processed_events AS p (consumer, event_id, claim_token, lease_expires_at)
    VALUES (%(consumer)s, %(event_id)s, %(token)s, to_timestamp(%(lease_until)s))
    ON CONFLICT (consumer, event_id) DO UPDATE SET
        claim_token = CASE WHEN {_LEASE_LAPSED} THEN excluded.claim_token ELSE p.claim_token END,
        lease_expires_at = CASE WHEN {_LEASE_LAPSED}
            THEN excluded.lease_expires_at ELSE p.lease_expires_at END
    RETURNING p.claim_token, p.completed_at
"""

COMPLETE = """
    INSERT INTO processed_events AS p (consumer, event_id, lease_expires_at, completed_at)
    VALUES (%(consumer)s, %(event_id)s, to_timestamp(%(now)s), to_timestamp(%(now)s))
    ON CONFLICT (consumer, event_id) DO UPDATE SET completed_at = excluded.completed_at
        WHERE p.completed_at IS NULL
    RETURNING 1
"""

RELEASE = """
    DELETE FROM processed_events
    WHERE consumer = %(consumer)s AND event_id = %(event_id)s AND claim_token = %(token)s
        AND completed_at IS NULL
"""

PURGE = (
    "DELETE FROM processed_events WHERE COALESCE(completed_at, lease_expires_at) < to_timestamp(%(cutoff)s)"
)


async def create_schema(connection: AsyncConnection[Any]) -> None:
    """Create the `processed_events` table and its index if missing (in a transaction or savepoint)."""
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (SCHEMA_LOCK_KEY,))
        for statement in SCHEMA:
            await connection.execute(statement)


async def record_processed(
    connection: AsyncConnection[Any], consumer: str, event_id: str, now: float | None = None
) -> bool:
    """Mark the event processed within the caller's open transaction.

    Returns True when this call recorded it (apply the change and commit), False when it was
    already processed (skip the change). A live runtime claim on the id does not count as
    processed. Roll the transaction back and the record goes with it.
    """
    parameters = {"consumer": consumer, "event_id": event_id, "now": time.time() if now is None else now}
    cursor = await connection.execute(COMPLETE, parameters)
    return await cursor.fetchone() is not None


class PostgresStore(LeaseStore[AsyncConnectionPool[AsyncConnection[Any]]]):
    """IdempotencyStore in PostgreSQL; `conninfo` is a libpq URL or key=value string."""

    def __init__(
        self,
        conninfo: str,
        *,
        retention_s: float = DEFAULT_RETENTION_S,
        clock: Clock = time.time,
        max_connections: int = 10,
        connect_timeout_s: float = 10.0,
    ) -> None:
        super().__init__(retention_s=retention_s, clock=clock)
        self._conninfo = conninfo
        self._max_connections = max_connections
        self._connect_timeout_s = connect_timeout_s

    async def _connect(self) -> AsyncConnectionPool[AsyncConnection[Any]]:
        # One direct connection first: it reports why a server cannot be reached (the pool only
        # times out), and creates the table before the pool serves claims.
        try:
            async with await AsyncConnection.connect(
                self._conninfo, autocommit=True, connect_timeout=max(1, round(self._connect_timeout_s))
            ) as connection:
                await create_schema(connection)
        except psycopg.OperationalError as error:
            reason = " ".join(str(error).split())
            raise StoreUnavailable(f"idempotency store {self.location}: cannot connect: {reason}") from error
        pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
            self._conninfo,
            min_size=1,
            max_size=self._max_connections,
            kwargs={"autocommit": True},
            open=False,
            name="fanout-idempotency",
        )
        try:
            await pool.open(wait=True, timeout=self._connect_timeout_s)
        except BaseException:
            await pool.close()
            raise
        return pool

    @property
    def location(self) -> str:
        """user@host:port/dbname, without the password (for messages)."""
        info = conninfo_to_dict(self._conninfo)
        return (
            f"{info.get('user', '')}@{info.get('host', '')}:{info.get('port', 5432)}/{info.get('dbname', '')}"
        )

    async def _disconnect(self, pool: AsyncConnectionPool[AsyncConnection[Any]]) -> None:
        await pool.close()

    async def _upsert_claim(
        self,
        pool: AsyncConnectionPool[AsyncConnection[Any]],
        consumer: str,
        event_id: str,
        token: str,
        now: float,
        lease_until: float,
    ) -> ClaimRow:
        parameters = {
            "consumer": consumer,
            "event_id": event_id,
            "token": token,
            "now": now,
            "lease_until": lease_until,
        }
        async with pool.connection() as connection:
            cursor = await connection.execute(CLAIM, parameters)
            row = await cursor.fetchone()
        assert row is not None, "INSERT ... ON CONFLICT DO UPDATE always returns the row"
        holder, completed_at = row
        return ClaimRow(token=holder, completed=completed_at is not None)

    async def _mark_completed(
        self, pool: AsyncConnectionPool[AsyncConnection[Any]], consumer: str, event_id: str, now: float
    ) -> None:
        async with pool.connection() as connection:
            await record_processed(connection, consumer, event_id, now)

    async def _delete_claim(
        self, pool: AsyncConnectionPool[AsyncConnection[Any]], consumer: str, event_id: str, token: str
    ) -> None:
        async with pool.connection() as connection:
            await connection.execute(RELEASE, {"consumer": consumer, "event_id": event_id, "token": token})

    async def _delete_older_than(self, pool: AsyncConnectionPool[AsyncConnection[Any]], cutoff: float) -> int:
        async with pool.connection() as connection:
            cursor = await connection.execute(PURGE, {"cutoff": cutoff})
            return cursor.rowcount
