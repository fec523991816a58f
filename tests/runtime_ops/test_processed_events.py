"""Recording an event id inside a service's own transaction, on SQLite and PostgreSQL."""

import uuid
from pathlib import Path

import aiosqlite
import psycopg

from consumers.runtime.idempotency import ClaimResult
from consumers.runtime.idempotency_stores import PostgresStore, SqliteStore, postgres, sqlite


async def test_sqlite_record_commits_and_rolls_back_with_the_callers_transaction(tmp_path: Path) -> None:
    database = tmp_path / "inventory.db"
    store = SqliteStore(database)
    event_id = str(uuid.uuid4())
    assert await store.claim("inventory", event_id, lease_s=30) is ClaimResult.ACQUIRED

    async with aiosqlite.connect(database, isolation_level=None) as connection:
        await sqlite.create_schema(connection)
        await connection.execute("CREATE TABLE stock (sku TEXT PRIMARY KEY, reserved INTEGER NOT NULL)")
        await connection.execute("INSERT INTO stock VALUES ('SKU-1', 0)")

        await connection.execute("BEGIN")
        assert await sqlite.record_processed(
            connection, "inventory", event_id
        )  # the runtime's claim is no record
        await connection.execute("UPDATE stock SET reserved = reserved + 1")
        await connection.execute("ROLLBACK")  # the change failed: the record must go too

        await connection.execute("BEGIN")
        assert await sqlite.record_processed(connection, "inventory", event_id)
        await connection.execute("UPDATE stock SET reserved = reserved + 1")
        await connection.execute("COMMIT")

        await connection.execute("BEGIN")
        assert not await sqlite.record_processed(connection, "inventory", event_id)  # redelivered: skip
        await connection.execute("ROLLBACK")
        async with connection.execute("SELECT reserved FROM stock") as cursor:
            assert await cursor.fetchone() == (1,)

    await store.complete("inventory", event_id)
    assert await store.claim("inventory", event_id, lease_s=30) is ClaimResult.DONE
    await store.close()


async def test_postgres_record_commits_and_rolls_back_with_the_callers_transaction(postgres_url: str) -> None:
    store = PostgresStore(postgres_url)
    event_id = str(uuid.uuid4())
    assert await store.claim("inventory", event_id, lease_s=30) is ClaimResult.ACQUIRED

    async with await psycopg.AsyncConnection.connect(postgres_url) as connection:
        await postgres.create_schema(connection)
        await connection.execute("CREATE TABLE stock (sku text PRIMARY KEY, reserved int NOT NULL)")
        await connection.execute("INSERT INTO stock VALUES ('SKU-1', 0)")
        await connection.commit()

        assert await postgres.record_processed(connection, "inventory", event_id)
        await connection.execute("UPDATE stock SET reserved = reserved + 1")
        await connection.rollback()

        assert await postgres.record_processed(connection, "inventory", event_id)
        await connection.execute("UPDATE stock SET reserved = reserved + 1")
        await connection.commit()

        assert not await postgres.record_processed(connection, "inventory", event_id)
        await connection.rollback()
        cursor = await connection.execute("SELECT reserved FROM stock")
        assert await cursor.fetchone() == (1,)

    assert await store.claim("inventory", event_id, lease_s=30) is ClaimResult.DONE
    await store.close()
