"""`stage(connection, event)`: write a validated event into the outbox in the caller's transaction.

Nothing is committed here: the event is published (by the relay) if and only if the caller's
transaction commits. Accepted connections:

- sync `stage`: a psycopg 3 `Connection`, a `sqlite3.Connection`, an SQLAlchemy `Connection` or `Session`;
- async `stage_async`: a psycopg 3 `AsyncConnection`, an `aiosqlite.Connection`, an SQLAlchemy
  `AsyncConnection` or `AsyncSession`.

SQLAlchemy is optional: it is recognised by its module and imported only when one of its objects is given.
"""

import re
import sqlite3
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

from fanout.contract.envelope import CloudEvent
from fanout.contract.registry import ORDER_EVENTS, EventRegistry
from fanout.errors import FanoutError
from producer.outbox.schema import TABLE

INSERT = (
    f"INSERT INTO {TABLE} (event_id, event_type, subject, body) "
    "VALUES (:event_id, :event_type, :subject, :body)"
)
PSYCOPG_INSERT = re.sub(r":(\w+)", r"%(\1)s", INSERT)


class NoTransaction(FanoutError):
    """The connection is in autocommit mode outside a transaction: staging would publish on its own."""


def outbox_row(event: CloudEvent[Any], registry: EventRegistry = ORDER_EVENTS) -> dict[str, str]:
    """The event validated against the registry (SchemaViolation / UnknownEventType otherwise), as a row."""
    registry.parse_envelope(event.model_dump(mode="json"))
    return {
        "event_id": event.id,
        "event_type": event.type,
        "subject": event.subject,
        "body": event.model_dump_json(),
    }


def is_sqlalchemy(connection: object) -> bool:
    return type(connection).__module__.startswith("sqlalchemy.")


def _refuse_autocommit(driver: Any, hint: str) -> None:
    """NoTransaction when the driver-level connection would commit the INSERT on its own."""
    if isinstance(driver, psycopg.Connection | psycopg.AsyncConnection):
        outside = driver.autocommit and driver.info.transaction_status == TransactionStatus.IDLE
    else:  # sqlite3 and aiosqlite: isolation_level None is autocommit, unless BEGIN was executed
        outside = driver.isolation_level is None and not driver.in_transaction
    if outside:
        raise NoTransaction(f"staging needs an open transaction: {hint}")


def stage(connection: Any, event: CloudEvent[Any], registry: EventRegistry = ORDER_EVENTS) -> None:
    """Insert `event` into the outbox inside the open transaction of `connection`; commits nothing."""
    row = outbox_row(event, registry)
    if isinstance(connection, psycopg.Connection):
        _refuse_autocommit(connection, "use `with connection.transaction():`")
        connection.execute(PSYCOPG_INSERT, row)
    elif isinstance(connection, sqlite3.Connection):
        _refuse_autocommit(connection, "execute BEGIN first (isolation_level=None)")
        connection.execute(INSERT, row)
    elif is_sqlalchemy(connection):
        from sqlalchemy import text
        from sqlalchemy.orm import Session

        bound = connection.connection() if isinstance(connection, Session) else connection
        if not bound.in_transaction():
            bound.begin()  # what execute() would autobegin
        _refuse_autocommit(bound.connection.driver_connection, "not on an AUTOCOMMIT engine or connection")
        bound.execute(text(INSERT), row)
    else:
        raise TypeError(
            f"stage() takes a psycopg, sqlite3 or SQLAlchemy connection, not {type(connection).__name__}"
        )


async def stage_async(
    connection: Any, event: CloudEvent[Any], registry: EventRegistry = ORDER_EVENTS
) -> None:
    """`stage` for asyncio connections; commits nothing."""
    row = outbox_row(event, registry)
    if isinstance(connection, psycopg.AsyncConnection):
        _refuse_autocommit(connection, "use `async with connection.transaction():`")
        await connection.execute(PSYCOPG_INSERT, row)
    elif type(connection).__module__.startswith("aiosqlite."):
        _refuse_autocommit(connection, "execute BEGIN first")
        await connection.execute(INSERT, row)
    elif is_sqlalchemy(connection):
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import AsyncSession

        bound = await connection.connection() if isinstance(connection, AsyncSession) else connection
        if not bound.in_transaction():
            await bound.begin()  # what execute() would autobegin
        raw = await bound.get_raw_connection()
        _refuse_autocommit(raw.driver_connection, "not on an AUTOCOMMIT engine or connection")
        await bound.execute(text(INSERT), row)
    else:
        raise TypeError(
            "stage_async() takes a psycopg, aiosqlite or SQLAlchemy async connection, "
            f"not {type(connection).__name__}"
        )
