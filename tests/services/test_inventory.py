"""The inventory service on real SQLite and real PostgreSQL: reservations, backorders, exactly-once."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from svc_factories import cancelled, context, placed

from consumers.services.inventory.service import InventoryService
from consumers.services.inventory.settings import InventorySettings
from consumers.services.inventory.store import Line, Outcome
from fanout.contract import CloudEvent

Opener = Callable[[], Awaitable[InventoryService]]


@pytest.fixture
async def open_service(database_url: str) -> AsyncIterator[Opener]:
    """Starts InventoryService instances on one database (several model several consumer processes)."""
    started: list[InventoryService] = []

    async def open_one() -> InventoryService:
        settings = InventorySettings(database_url=database_url, default_stock=10, initial_stock={"LOW": 3})
        service = InventoryService(settings)
        await service.start()
        started.append(service)
        return service

    yield open_one
    for service in started:
        await service.stop()


async def handle(service: InventoryService, event: CloudEvent[Any]) -> None:
    await service.handlers()[event.type].call(event, context("inventory"))


async def test_placed_reserves_each_item(open_service: Opener) -> None:
    service = await open_service()
    lines = (("SKU-A", 4, "1.00"), ("SKU-B", 1, "2.00"), ("SKU-A", 1, "1.00"))
    await handle(service, placed("o-1", lines=lines))

    assert await service.stock.available("SKU-A") == 5
    assert await service.stock.available("SKU-B") == 9
    assert await service.stock.reservation("o-1") == [Line("SKU-A", 5, 0), Line("SKU-B", 1, 0)]


async def test_over_reserving_records_a_backorder(open_service: Opener) -> None:
    service = await open_service()
    await handle(service, placed("o-1", lines=(("LOW", 5, "1.00"),)))

    assert await service.stock.available("LOW") == 0
    assert await service.stock.backordered("LOW") == 2
    assert await service.stock.reservation("o-1") == [Line("LOW", 3, 2)]


async def test_cancel_releases_the_reservation_and_clears_backorders(open_service: Opener) -> None:
    service = await open_service()
    await handle(service, placed("o-1", lines=(("LOW", 5, "1.00"), ("SKU-A", 2, "1.00"))))
    await handle(service, placed("o-2", lines=(("SKU-A", 1, "1.00"),)))
    await handle(service, cancelled("o-1"))

    assert await service.stock.available("LOW") == 3
    assert await service.stock.available("SKU-A") == 9  # o-2 keeps its unit
    assert await service.stock.backordered("LOW") == 0
    assert await service.stock.reservation("o-1") == []


async def test_cancel_before_placed_leaves_a_tombstone(open_service: Opener) -> None:
    service = await open_service()
    assert await service.stock.release("e-cancel", "o-late") == Outcome.TOMBSTONED
    outcome = await service.stock.reserve("e-place", "o-late", [("SKU-A", 4)])

    assert outcome == Outcome.ALREADY_CANCELLED
    assert await service.stock.available("SKU-A") is None  # nothing was ever reserved
    assert await service.stock.reservation("o-late") == []


async def test_sequential_duplicates_have_one_effect(open_service: Opener) -> None:
    service = await open_service()
    order = placed("o-1", lines=(("SKU-A", 3, "1.00"),))
    await handle(service, order)
    await handle(service, order)
    assert await service.stock.available("SKU-A") == 7

    cancel = cancelled("o-1")
    await handle(service, cancel)
    await handle(service, cancel)
    assert await service.stock.available("SKU-A") == 10
    assert await service.stock.reserve(order.id, "o-1", [("SKU-A", 3)]) == Outcome.DUPLICATE


async def test_another_placed_event_for_the_same_order_reserves_nothing_more(open_service: Opener) -> None:
    service = await open_service()
    await handle(service, placed("o-1", lines=(("SKU-A", 3, "1.00"),)))
    await handle(service, placed("o-1", lines=(("SKU-A", 3, "1.00"),)))  # republished under a new id
    assert await service.stock.available("SKU-A") == 7


async def test_concurrent_duplicates_across_consumers_have_one_effect(open_service: Opener) -> None:
    consumers = [await open_service() for _ in range(4)]
    order = placed("o-1", lines=(("SKU-A", 2, "1.00"), ("SKU-B", 3, "1.00")))
    items = [("SKU-A", 2), ("SKU-B", 3)]

    outcomes = await asyncio.gather(
        *(service.stock.reserve(order.id, "o-1", items) for service in consumers for _ in range(2))
    )

    assert Counter(outcomes) == {Outcome.RESERVED: 1, Outcome.DUPLICATE: 7}
    assert await consumers[0].stock.available("SKU-A") == 8
    assert await consumers[0].stock.available("SKU-B") == 7


async def test_concurrent_orders_for_one_sku_never_oversell(open_service: Opener) -> None:
    consumers = [await open_service() for _ in range(3)]
    await asyncio.gather(
        *(consumers[n % 3].stock.reserve(f"e-{n}", f"o-{n}", [("LOW", 1), ("SKU-A", 1)]) for n in range(6))
    )
    assert await consumers[0].stock.available("LOW") == 0
    assert await consumers[0].stock.backordered("LOW") == 3
    assert await consumers[0].stock.available("SKU-A") == 4


async def test_replicas_starting_together_create_the_schema_once(database_url: str) -> None:
    replicas = [InventoryService(InventorySettings(database_url=database_url)) for _ in range(4)]
    try:
        await asyncio.gather(*(replica.start() for replica in replicas))
        assert await replicas[0].stock.reserve("e-1", "o-1", [("SKU-A", 1)]) == Outcome.RESERVED
    finally:
        for replica in replicas:
            await replica.stop()


def test_database_url_falls_back_to_DATABASE_URL(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/shop")
    assert InventorySettings().database_url == "postgresql://db/shop"
    monkeypatch.setenv("FANOUT_INVENTORY_DATABASE_URL", "sqlite:///stock.db")
    monkeypatch.setenv("FANOUT_INVENTORY_INITIAL_STOCK", '{"SKU-1": 5}')
    settings = InventorySettings()
    assert settings.database_url == "sqlite:///stock.db"
    assert (settings.starting_level("SKU-1"), settings.starting_level("other")) == (5, 100)
