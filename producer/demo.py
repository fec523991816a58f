"""Realistic, reproducible order event streams for `fanout dev`, `fanout publish --demo` and benchmarks.

Each order is placed first; later some are shipped, some cancelled, and some stay open. Events
about one order share its correlation id. The same seed gives the same stream, event ids included
(so replaying a seed re-publishes identical events); with a `start` time the event times are
synthetic and reproducible too, without one each event is stamped with the current time.
"""

import itertools
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fanout.contract.envelope import DEFAULT_SOURCE, CloudEvent, new_event
from fanout.contract.orders import OrderCancelled, OrderEvent, OrderItem, OrderPlaced, OrderShipped

PRODUCTS: tuple[tuple[str, Decimal], ...] = (
    ("MUG-CERAMIC-350", Decimal("12.50")),
    ("TEE-ORGANIC-M", Decimal("24.00")),
    ("BOTTLE-STEEL-750", Decimal("19.95")),
    ("NOTEBOOK-A5-DOT", Decimal("8.75")),
    ("HEADPHONES-BT-X2", Decimal("89.00")),
    ("LAMP-DESK-LED", Decimal("45.90")),
    ("BACKPACK-20L", Decimal("64.99")),
    ("SOCKS-WOOL-3PK", Decimal("15.00")),
)
CURRENCIES = ("EUR", "USD", "GBP", "CHF", "SEK")
CUSTOMER_NAMES = ("ada", "grace", "alan", "edsger", "barbara", "donald", "frances", "ken", "radia", "tim")
CARRIERS = ("DHL", "UPS", "FedEx", "PostNL", "La Poste")
CANCEL_REASONS = ("customer request", "payment declined", "out of stock", "duplicate order")
CUSTOMERS = 200
PLACE_PROBABILITY = 0.55  # otherwise an open order moves on (when there is one)
STAYS_OPEN_PROBABILITY = 0.2  # placed orders that never ship nor get cancelled
SHIP_PROBABILITY = 0.75  # of the orders that move on; the rest are cancelled
MAX_GAP_S = 30.0


@dataclass(frozen=True)
class _OpenOrder:
    order_id: str
    correlation_id: str


class DemoOrders:
    """An endless stream of order events: `itertools.islice(DemoOrders(seed=1), 100)`."""

    def __init__(
        self, seed: int | None = None, start: datetime | None = None, source: str = DEFAULT_SOURCE
    ) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._rng = random.Random(seed)
        self._synthetic = start is not None
        self._clock = start or datetime.now(UTC)
        self._source = source
        self._open: list[_OpenOrder] = []

    def __iter__(self) -> Iterator[CloudEvent[OrderEvent]]:
        while True:
            yield self.next_event()

    def next_event(self) -> CloudEvent[OrderEvent]:
        """The next event: a new order, or the shipment or cancellation of an open one."""
        gap = timedelta(milliseconds=self._rng.randint(1, int(MAX_GAP_S * 1000)))
        self._clock = self._clock + gap if self._synthetic else datetime.now(UTC)
        if not self._open or self._rng.random() < PLACE_PROBABILITY:
            return self._place()
        order = self._open.pop(self._rng.randrange(len(self._open)))
        if self._rng.random() < SHIP_PROBABILITY:
            return self._ship(order)
        return self._cancel(order)

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _place(self) -> CloudEvent[OrderEvent]:
        customer = self._rng.randrange(CUSTOMERS)
        name = CUSTOMER_NAMES[customer % len(CUSTOMER_NAMES)]
        items = [
            OrderItem(sku=sku, quantity=self._rng.randint(1, 3), unit_price=price)
            for sku, price in self._rng.sample(PRODUCTS, self._rng.randint(1, 4))
        ]
        order_id = f"ord-{self._rng.getrandbits(40):010x}"
        data = OrderPlaced(
            order_id=order_id,
            customer_id=f"cust-{customer:04d}",
            customer_email=f"{name}.{customer}@example.com",
            items=items,
            total=sum((item.unit_price * item.quantity for item in items), Decimal(0)),
            currency=self._rng.choice(CURRENCIES),
            placed_at=self._clock,
        )
        event = self._wrap(data, correlation_id=None)
        if self._rng.random() >= STAYS_OPEN_PROBABILITY:
            self._open.append(_OpenOrder(order_id, event.correlationid))
        return event

    def _ship(self, order: _OpenOrder) -> CloudEvent[OrderEvent]:
        data = OrderShipped(
            order_id=order.order_id,
            carrier=self._rng.choice(CARRIERS),
            tracking_number=f"TRK{self._rng.getrandbits(48):012X}",
            shipped_at=self._clock,
        )
        return self._wrap(data, order.correlation_id)

    def _cancel(self, order: _OpenOrder) -> CloudEvent[OrderEvent]:
        data = OrderCancelled(
            order_id=order.order_id, reason=self._rng.choice(CANCEL_REASONS), cancelled_at=self._clock
        )
        return self._wrap(data, order.correlation_id)

    def _wrap(self, data: OrderEvent, correlation_id: str | None) -> CloudEvent[OrderEvent]:
        return new_event(
            data, correlation_id=correlation_id, source=self._source, event_id=self._uuid(), time=self._clock
        )


def demo_events(
    count: int, *, seed: int | None = None, start: datetime | None = None
) -> list[CloudEvent[OrderEvent]]:
    """The first `count` events of a demo stream."""
    return list(itertools.islice(DemoOrders(seed, start), count))
