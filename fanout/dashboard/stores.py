"""Read-only look-ups in the consumers' databases: processed events and the analytics event log.

The tables are the runtime's `processed_events` (consumers.runtime.idempotency_stores) and the
analytics service's `analytics_events` (consumers.services.analytics.store). A SQLite file is
opened read-only, so the dashboard can neither create nor change one.
"""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
import psycopg

from consumers.runtime.idempotency_stores import POSTGRES_SCHEMES, SQLITE_PREFIX

PROCESSED = "SELECT completed_at FROM processed_events WHERE consumer = %s AND event_id = %s"
EVENTS = (
    "SELECT event_id, event_type, order_id, occurred_at FROM analytics_events "
    "WHERE event_id = %s OR order_id = %s ORDER BY occurred_at LIMIT 50"
)


class StoreError(Exception):
    """A configured store could not be read (shown on the page, never fatal)."""


async def query(url: str, sql: str, parameters: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Rows of one SELECT (written with %s placeholders) on a sqlite:/// or postgresql:// URL."""
    try:
        if url.startswith(SQLITE_PREFIX):
            path = url.removeprefix(SQLITE_PREFIX)
            if not await asyncio.to_thread(Path(path).is_file):
                raise StoreError(f"no database file at {path}")
            async with (
                aiosqlite.connect(f"file:{path}?mode=ro", uri=True) as connection,
                connection.execute(sql.replace("%s", "?"), parameters) as cursor,
            ):
                return [tuple(row) for row in await cursor.fetchall()]
        if url.startswith(POSTGRES_SCHEMES):
            async with await psycopg.AsyncConnection.connect(url, connect_timeout=5) as postgres:
                rows = await (await postgres.execute(sql, parameters)).fetchall()
                return [tuple(row) for row in rows]
    except (aiosqlite.Error, psycopg.Error, OSError) as error:
        raise StoreError(type(error).__name__ + ": " + " ".join(str(error).split())[:200]) from error
    raise StoreError("unsupported store URL (sqlite:/// or postgresql://)")


@dataclass(frozen=True)
class LoggedEvent:
    """An event as the analytics service stored it."""

    event_id: str
    event_type: str
    subject: str
    time: str


async def processed_at(url: str, consumer: str, event_id: str) -> str | None:
    """When `consumer` completed `event_id` (ISO time), or None when it has not."""
    rows = await query(url, PROCESSED, (consumer, event_id))
    if not rows or rows[0][0] is None:
        return None
    completed = rows[0][0]
    if isinstance(completed, datetime):
        return completed.isoformat()
    return datetime.fromtimestamp(float(completed), UTC).isoformat()


async def logged_events(url: str, key: str) -> list[LoggedEvent]:
    """Events in the analytics log whose id or order id is `key`."""
    rows = await query(url, EVENTS, (key, key))
    return [LoggedEvent(str(row[0]), str(row[1]), str(row[2]), str(row[3])) for row in rows]
