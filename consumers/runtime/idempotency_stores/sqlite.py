"""The embedded idempotency store: one SQLite file, shared by every consumer process on a host.

aiosqlite runs each connection on its own thread, so no query blocks the event loop, and it is
the maintained asyncio bridge to the standard sqlite3 module (asyncio.to_thread would need the
same single-thread discipline written by hand). Each statement runs in autocommit mode; WAL and
a busy timeout let several processes claim in the same file, and the claim is one
INSERT ... ON CONFLICT DO UPDATE statement, so two simultaneous claims cannot both win.

Services that keep their own state in SQLite can record an event id in the same transaction
as their change with `create_schema` and `record_processed`.
"""

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import aiosqlite

from consumers.runtime.idempotency_stores.base import (
    DEFAULT_RETENTION_S,
    ClaimRow,
    Clock,
    LeaseStore,
    StoreUnavailable,
)

BUSY_TIMEOUT_MS = 30_000

SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS processed_events (
        consumer TEXT NOT NULL,
        event_id TEXT NOT NULL,
        claim_token TEXT,
        lease_expires_at REAL NOT NULL,
        completed_at REAL,
        PRIMARY KEY (consumer, event_id)
    )
    """,
    """
    CREATE INDEX IF NOT EXISTS processed_events_age
        ON processed_events (COALESCE(completed_at, lease_expires_at))
    """,
)

_LEASE_LAPSED = "processed_events.completed_at IS NULL AND processed_events.lease_expires_at <= :now"

CLAIM = f"""
    INSERT INTO processed_events (consumer, event_id, claim_token, lease_expires_at)
    VALUES (:consumer, :event_id, :token, :lease_until)
    ON CONFLICT (consumer, event_id) DO UPDATE SET
        claim_token = CASE WHEN {_LEASE_LAPSED} THEN excluded.claim_token ELSE claim_token END,
        lease_expires_at = CASE WHEN {_LEASE_LAPSED} THEN excluded.lease_expires_at ELSE lease_expires_at END
    RETURNING claim_token, completed_at
"""

COMPLETE = """
    INSERT INTO processed_events (consumer, event_id, lease_expires_at, completed_at)
    VALUES (:consumer, :event_id, :now, :now)
    ON CONFLICT (consumer, event_id) DO UPDATE SET completed_at = excluded.completed_at
        WHERE processed_events.completed_at IS NULL
    RETURNING 1
"""

RELEASE = """
    DELETE FROM processed_events
    WHERE consumer = :consumer AND event_id = :event_id AND claim_token = :token AND completed_at IS NULL
"""

PURGE = "DELETE FROM processed_events WHERE COALESCE(completed_at, lease_expires_at) < :cutoff"


async def create_schema(connection: aiosqlite.Connection) -> None:
    """Create the `processed_events` table and its index if missing (safe inside a transaction)."""
    for statement in SCHEMA:
        await connection.execute(statement)


async def record_processed(
    connection: aiosqlite.Connection, consumer: str, event_id: str, now: float | None = None
) -> bool:
    """Mark the event processed within the caller's open transaction.

    Returns True when this call recorded it (apply the change and commit), False when it was
    already processed (skip the change). A live runtime claim on the id does not count as
    processed. Roll the transaction back and the record goes with it.
    """
    parameters = {"consumer": consumer, "event_id": event_id, "now": time.time() if now is None else now}
    return bool(await _fetchall(connection, COMPLETE, parameters))


class SqliteStore(LeaseStore[aiosqlite.Connection]):
    """IdempotencyStore in a SQLite file (created with its parent folder if missing)."""

    def __init__(
        self, path: Path, *, retention_s: float = DEFAULT_RETENTION_S, clock: Clock = time.time
    ) -> None:
        super().__init__(retention_s=retention_s, clock=clock)
        self.path = path

    async def _connect(self) -> aiosqlite.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = await aiosqlite.connect(self.path, isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise StoreUnavailable(f"idempotency store {self.path}: cannot open: {error}") from error
        try:
            await _initialize(connection)
        except BaseException:
            await connection.close()
            raise
        return connection

    async def _disconnect(self, connection: aiosqlite.Connection) -> None:
        await connection.close()

    async def _upsert_claim(
        self,
        connection: aiosqlite.Connection,
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
        [(holder, completed_at)] = await _fetchall(connection, CLAIM, parameters)
        return ClaimRow(token=holder, completed=completed_at is not None)

    async def _mark_completed(
        self, connection: aiosqlite.Connection, consumer: str, event_id: str, now: float
    ) -> None:
        await record_processed(connection, consumer, event_id, now)

    async def _delete_claim(
        self, connection: aiosqlite.Connection, consumer: str, event_id: str, token: str
    ) -> None:
        await connection.execute(RELEASE, {"consumer": consumer, "event_id": event_id, "token": token})

    async def _delete_older_than(self, connection: aiosqlite.Connection, cutoff: float) -> int:
        async with connection.execute(PURGE, {"cutoff": cutoff}) as cursor:
            return cursor.rowcount


async def _initialize(connection: aiosqlite.Connection) -> None:
    """Set the busy timeout, switch the file to WAL and create the table.

    Processes opening a new file together race on the WAL switch, and SQLite answers that race
    with "database is locked" at once (or leaves the old journal mode) instead of waiting in
    the busy handler, so the whole step is retried until the busy timeout.
    """
    await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # In WAL mode NORMAL cannot corrupt the file; a power cut may drop the last completions,
    # which at worst lets a redelivery run again (SQS is at-least-once anyway), for far fewer fsyncs.
    await connection.execute("PRAGMA synchronous = NORMAL")
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            [(mode,)] = await _fetchall(connection, "PRAGMA journal_mode = WAL", {})
            if mode not in ("wal", "memory"):  # memory: sqlite:///:memory:, one connection anyway
                raise sqlite3.OperationalError(f"database is locked (journal mode still {mode})")
            await connection.execute("BEGIN IMMEDIATE")
            try:
                await create_schema(connection)
                await connection.execute("COMMIT")
            except BaseException:
                await connection.execute("ROLLBACK")
                raise
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.01)


async def _fetchall(connection: aiosqlite.Connection, sql: str, parameters: dict[str, Any]) -> list[Any]:
    async with connection.execute(sql, parameters) as cursor:
        return list(await cursor.fetchall())
