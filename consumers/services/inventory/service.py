"""The inventory service: order.placed reserves stock, order.cancelled releases it (see store.py)."""

import structlog

from consumers.runtime.backoff import Exponential, Jitter
from consumers.runtime.context import HandlerContext
from consumers.runtime.service import Service, handles
from consumers.services.database import Database, open_database
from consumers.services.inventory.settings import InventorySettings
from consumers.services.inventory.store import StockStore
from fanout.contract import CloudEvent, OrderCancelled, OrderPlaced
from fanout.topology.model import QueueSettings

DATABASE_BACKOFF = Exponential(initial_s=2, cap_s=120, jitter=Jitter.FULL)
DATABASE_TIMEOUT_S = 20.0

log = structlog.get_logger(__name__)


class InventoryService(Service):
    """Keeps stock levels exactly once per event, in SQLite or PostgreSQL."""

    name = "inventory"
    queue = QueueSettings(max_receive_count=8, visibility_timeout_s=30)

    def __init__(self, settings: InventorySettings | None = None) -> None:
        self.settings = settings or InventorySettings()
        self._database: Database | None = None

    async def start(self) -> None:
        self._database = await open_database(self.settings.database_url, self.settings.pool_size)
        await self.stock.migrate()

    async def stop(self) -> None:
        if self._database is not None:
            await self._database.close()
            self._database = None

    @property
    def stock(self) -> StockStore:
        if self._database is None:
            raise RuntimeError("InventoryService.start() has not run")
        return StockStore(self._database, self.name, self.settings.starting_level)

    @handles(OrderPlaced, retry=DATABASE_BACKOFF, timeout_s=DATABASE_TIMEOUT_S)
    async def reserve(self, event: CloudEvent[OrderPlaced], context: HandlerContext) -> None:
        items = ((item.sku, item.quantity) for item in event.data.items)
        outcome = await self.stock.reserve(event.id, event.data.order_id, items)
        log.info("inventory.reserve", order_id=event.data.order_id, event_id=event.id, outcome=outcome)

    @handles(OrderCancelled, retry=DATABASE_BACKOFF, timeout_s=DATABASE_TIMEOUT_S)
    async def release(self, event: CloudEvent[OrderCancelled], context: HandlerContext) -> None:
        outcome = await self.stock.release(event.id, event.data.order_id)
        log.info("inventory.release", order_id=event.data.order_id, event_id=event.id, outcome=outcome)
