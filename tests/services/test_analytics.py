"""The analytics service: batched writes on size and on time, durability before return, exact revenue."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from svc_factories import cancelled, context, placed, shipped

from consumers.runtime.consumer import Consumer
from consumers.runtime.errors import RetryableError
from consumers.runtime.settings import ConsumerSettings
from consumers.services.analytics.service import AnalyticsService
from consumers.services.analytics.settings import AnalyticsSettings
from consumers.services.analytics.store import EventStore, Revenue
from consumers.services.database import open_database
from fanout.contract import CloudEvent
from fanout.errors import ConfigurationError

Opener = Callable[..., Awaitable[AnalyticsService]]
LONG_WAIT_S = 60.0  # a flush interval that never elapses during a test


@pytest.fixture
async def open_service(database_url: str) -> AsyncIterator[Opener]:
    started: list[AnalyticsService] = []

    async def open_one(batch_size: int = 10, flush_interval_s: float = LONG_WAIT_S) -> AnalyticsService:
        settings = AnalyticsSettings(
            database_url=database_url, batch_size=batch_size, flush_interval_s=flush_interval_s
        )
        service = AnalyticsService(settings)
        await service.start()
        started.append(service)
        return service

    yield open_one
    for service in started:
        await service.stop()


async def stored_ids(database_url: str) -> set[str]:
    """Event ids committed, read through a connection of its own."""
    database = await open_database(database_url)
    try:
        return await EventStore(database).event_ids()
    finally:
        await database.close()


async def handle(service: AnalyticsService, event: CloudEvent[Any]) -> None:
    await service.handlers()[event.type].call(event, context("analytics"))


async def test_batch_flushes_when_full_and_not_before(open_service: Opener, database_url: str) -> None:
    service = await open_service(batch_size=3)
    first = [placed(f"o-{n}") for n in range(2)]
    waiting = [asyncio.create_task(handle(service, event)) for event in first]
    done, _ = await asyncio.wait(waiting, timeout=0.3)
    assert done == set()  # two of three: the handlers wait for the batch
    assert await stored_ids(database_url) == set()

    third = shipped("o-0")
    await asyncio.wait_for(asyncio.gather(*waiting, handle(service, third)), timeout=10)
    assert await stored_ids(database_url) == {first[0].id, first[1].id, third.id}


async def test_batch_flushes_on_time_and_the_handler_returns_after_commit(
    open_service: Opener, database_url: str
) -> None:
    service = await open_service(batch_size=100, flush_interval_s=0.2)
    event = placed("o-1")
    await asyncio.wait_for(handle(service, event), timeout=10)
    assert await stored_ids(database_url) == {event.id}


async def test_a_failed_write_fails_every_handler_of_the_batch(
    open_service: Opener, database_url: str
) -> None:
    service = await open_service(batch_size=2)
    database = await open_database(database_url)
    async with database.transaction() as tx:
        await tx.execute("DROP TABLE analytics_events")
    await database.close()

    events = [placed("o-1"), placed("o-2")]
    results = await asyncio.gather(*(handle(service, event) for event in events), return_exceptions=True)
    assert [type(result) for result in results] == [RetryableError, RetryableError]
    assert "batch of 2 not written" in str(results[0])

    await service.events.migrate()  # the table is back: the redelivered messages succeed
    await asyncio.gather(*(handle(service, event) for event in events))
    assert await stored_ids(database_url) == {event.id for event in events}


async def test_duplicates_are_not_double_counted(open_service: Opener) -> None:
    service = await open_service(batch_size=2)
    order = placed("o-1", lines=(("SKU-1", 1, "10.00"),))
    await asyncio.gather(handle(service, order), handle(service, order))  # twice in one batch
    await asyncio.gather(handle(service, order), handle(service, shipped("o-1")))  # again in the next

    summary = await service.events.summary()
    assert summary.counts == {"order.placed": 1, "order.shipped": 1}
    assert summary.revenue == {"EUR": Revenue(gross=Decimal("10.00"), cancelled=Decimal(0))}


async def test_revenue_per_currency_is_exact(open_service: Opener) -> None:
    service = await open_service(batch_size=5)
    events: list[CloudEvent[Any]] = [
        placed("o-1", lines=(("A", 1, "0.10"),), currency="EUR"),
        placed("o-2", lines=(("A", 1, "0.20"),), currency="EUR"),
        placed("o-3", lines=(("B", 3, "1234567.8912"),), currency="USD"),
        placed("o-4", lines=(("B", 1, "5.0001"),), currency="USD"),
        cancelled("o-4"),
    ]
    await asyncio.gather(*(handle(service, event) for event in events))

    summary = await service.events.summary()
    assert summary.counts == {"order.placed": 4, "order.cancelled": 1}
    eur, usd = summary.revenue["EUR"], summary.revenue["USD"]
    assert (eur.gross, eur.net) == (Decimal("0.3"), Decimal("0.3"))  # not 0.30000000000000004
    assert usd.gross == Decimal("3703708.6737")
    assert usd.cancelled == Decimal("5.0001")
    assert usd.net == Decimal("3703703.6736")


async def test_stop_writes_the_pending_batch(open_service: Opener, database_url: str) -> None:
    service = await open_service(batch_size=10)
    event = placed("o-1")
    waiting = asyncio.create_task(handle(service, event))
    await asyncio.sleep(0.05)
    await service.stop()
    await asyncio.wait_for(waiting, timeout=10)
    assert await stored_ids(database_url) == {event.id}


def test_batch_size_above_concurrency_is_refused(tmp_path: Path) -> None:
    settings = AnalyticsSettings(database_url=f"sqlite:///{tmp_path / 'a.db'}", batch_size=20)
    with pytest.raises(ConfigurationError, match="BATCH_SIZE=20 exceeds FANOUT_CONSUMER_CONCURRENCY=10"):
        settings.check_runtime(ConsumerSettings(concurrency=10))
    settings.check_runtime(ConsumerSettings(concurrency=20))


def test_the_consumer_refuses_a_concurrency_below_the_batch_size(tmp_path: Path) -> None:
    service = AnalyticsService(
        AnalyticsSettings(database_url=f"sqlite:///{tmp_path / 'a.db'}", batch_size=20)
    )
    with pytest.raises(ConfigurationError, match="BATCH_SIZE=20 exceeds"):
        Consumer(service, "http://q/analytics", "http://q/analytics-dlq", ConsumerSettings(concurrency=10))
