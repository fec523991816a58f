"""Order events and handler contexts for the service tests."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal

from consumers.runtime.context import HandlerContext
from fanout.contract import CloudEvent, OrderCancelled, OrderItem, OrderPlaced, OrderShipped, new_event

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
Line = tuple[str, int, str]  # sku, quantity, unit price


def placed(
    order_id: str = "o-1",
    *,
    email: str = "ann@example.com",
    lines: tuple[Line, ...] = (("SKU-1", 2, "9.95"),),
    currency: str = "EUR",
    event_id: str | None = None,
) -> CloudEvent[OrderPlaced]:
    items = [
        OrderItem(sku=sku, quantity=quantity, unit_price=Decimal(price)) for sku, quantity, price in lines
    ]
    total = sum((item.unit_price * item.quantity for item in items), Decimal(0))
    data = OrderPlaced(
        order_id=order_id,
        customer_id=f"c-{order_id}",
        customer_email=email,
        items=items,
        total=total,
        currency=currency,
        placed_at=NOW,
    )
    return new_event(data, event_id=event_id)


def shipped(order_id: str = "o-1", *, event_id: str | None = None) -> CloudEvent[OrderShipped]:
    data = OrderShipped(order_id=order_id, carrier="DHL", tracking_number="TRK-123", shipped_at=NOW)
    return new_event(data, event_id=event_id)


def cancelled(order_id: str = "o-1", *, event_id: str | None = None) -> CloudEvent[OrderCancelled]:
    data = OrderCancelled(order_id=order_id, reason="changed my mind", cancelled_at=NOW)
    return new_event(data, event_id=event_id)


def context(consumer: str = "test", *, attempt: int = 1, max_attempts: int = 5) -> HandlerContext:
    return HandlerContext(
        consumer=consumer,
        message_id=f"m-{attempt}",
        attempt=attempt,
        max_attempts=max_attempts,
        first_received_at=NOW,
        sent_at=NOW,
    )


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout_s: float = 20.0) -> None:
    """Poll an async check until it holds, or fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(0.1)
