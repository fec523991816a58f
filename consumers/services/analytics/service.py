"""The analytics service: every order event is stored, in batches of one transaction each.

A handler adds its event to the current batch and returns only when the batch is committed,
so the runtime deletes the messages after their rows are durable; if the write fails, every
handler of the batch raises and its message is retried (the store skips rows already written).
The consumer refuses to start with FANOUT_CONSUMER_CONCURRENCY < FANOUT_ANALYTICS_BATCH_SIZE
(see settings.check_runtime).
"""

from typing import Any

from consumers.runtime.backoff import Exponential, Jitter
from consumers.runtime.context import HandlerContext
from consumers.runtime.service import Service, handles
from consumers.runtime.settings import ConsumerSettings
from consumers.services.analytics.batch import BatchWriter
from consumers.services.analytics.settings import AnalyticsSettings
from consumers.services.analytics.store import EventStore
from consumers.services.database import Database, open_database
from fanout.contract import CloudEvent, OrderCancelled, OrderPlaced, OrderShipped
from fanout.topology.model import QueueSettings

WRITE_BACKOFF = Exponential(initial_s=5, cap_s=120, jitter=Jitter.FULL)
WRITE_TIMEOUT_S = 60.0  # the batch interval plus one transaction


class AnalyticsService(Service):
    """Keeps raw order events and their aggregates."""

    name = "analytics"
    queue = QueueSettings(max_receive_count=3, visibility_timeout_s=120, retention_s=7 * 24 * 3600)

    def __init__(self, settings: AnalyticsSettings | None = None) -> None:
        self.settings = settings or AnalyticsSettings()
        self._database: Database | None = None
        self._batch: BatchWriter[CloudEvent[Any]] | None = None

    def check_runtime(self, settings: ConsumerSettings) -> None:
        self.settings.check_runtime(settings)

    async def start(self) -> None:
        self._database = await open_database(self.settings.database_url, self.settings.pool_size)
        await self.events.migrate()
        self._batch = BatchWriter(
            self.events.record, max_size=self.settings.batch_size, max_wait_s=self.settings.flush_interval_s
        )

    async def stop(self) -> None:
        if self._batch is not None:
            await self._batch.close()
            self._batch = None
        if self._database is not None:
            await self._database.close()
            self._database = None

    @property
    def events(self) -> EventStore:
        if self._database is None:
            raise RuntimeError("AnalyticsService.start() has not run")
        return EventStore(self._database)

    @handles(OrderPlaced, retry=WRITE_BACKOFF, timeout_s=WRITE_TIMEOUT_S)
    async def record_placed(self, event: CloudEvent[OrderPlaced], context: HandlerContext) -> None:
        await self._record(event)

    @handles(OrderCancelled, retry=WRITE_BACKOFF, timeout_s=WRITE_TIMEOUT_S)
    async def record_cancelled(self, event: CloudEvent[OrderCancelled], context: HandlerContext) -> None:
        await self._record(event)

    @handles(OrderShipped, retry=WRITE_BACKOFF, timeout_s=WRITE_TIMEOUT_S)
    async def record_shipped(self, event: CloudEvent[OrderShipped], context: HandlerContext) -> None:
        await self._record(event)

    async def _record(self, event: CloudEvent[Any]) -> None:
        if self._batch is None:
            raise RuntimeError("AnalyticsService.start() has not run")
        await self._batch.add(event)
