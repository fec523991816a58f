"""Read-only look-ups in the consumers' real stores: SQLite files and PostgreSQL."""

from pathlib import Path

import pytest
from dashboard_support import log_events, shipped

from consumers.runtime.idempotency_stores import PostgresStore, SqliteStore
from fanout.dashboard.stores import StoreError, logged_events, processed_at


async def test_sqlite_processed_at_is_read_without_creating_anything(tmp_path: Path) -> None:
    event = shipped("o-1")
    store = SqliteStore(tmp_path / "email.db")
    await store.claim("email", event.id, lease_s=30)
    url = f"sqlite:///{tmp_path / 'email.db'}"
    assert await processed_at(url, "email", event.id) is None  # claimed, not completed
    await store.complete("email", event.id)
    await store.close()

    assert await processed_at(url, "email", event.id) is not None
    assert await processed_at(url, "inventory", event.id) is None  # another consumer's row
    with pytest.raises(StoreError):
        await processed_at(f"sqlite:///{tmp_path / 'missing.db'}", "email", event.id)
    assert not (tmp_path / "missing.db").exists()


async def test_postgres_processed_events_and_event_log(postgres_url: str) -> None:
    event, other = shipped("o-pg"), shipped("o-other")
    store = PostgresStore(postgres_url)
    await store.claim("analytics", event.id, lease_s=30)
    await store.complete("analytics", event.id)
    await store.close()
    await log_events(postgres_url, [event, other])

    assert await processed_at(postgres_url, "analytics", event.id) is not None
    assert await processed_at(postgres_url, "email", event.id) is None
    [found] = await logged_events(postgres_url, "o-pg")
    assert (found.event_id, found.event_type, found.subject) == (event.id, "order.shipped", "o-pg")
    assert [logged.event_id for logged in await logged_events(postgres_url, other.id)] == [other.id]


async def test_sqlite_event_log_finds_by_event_id_and_order_id(tmp_path: Path) -> None:
    event = shipped("o-2")
    url = await log_events(f"sqlite:///{tmp_path / 'analytics.db'}", [event, shipped("o-3")])
    assert [logged.event_id for logged in await logged_events(url, "o-2")] == [event.id]
    assert [logged.subject for logged in await logged_events(url, event.id)] == ["o-2"]
    assert await logged_events(url, "nothing") == []
