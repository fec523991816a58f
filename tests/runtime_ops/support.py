"""Helpers the runtime operations tests share."""

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from consumers.runtime.context import HandlerContext
from consumers.runtime.idempotency_stores import LeaseStore
from fanout.contract import OrderCancelled
from fanout.contract.envelope import CloudEvent, new_event

OpenStore = Callable[[], Awaitable[LeaseStore[Any]]]


@dataclass
class ManualClock:
    """A clock the test moves by hand, so lease expiry and retention need no sleeping."""

    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def cancelled_event(
    order_id: str = "order-1", correlation_id: str | None = None
) -> CloudEvent[OrderCancelled]:
    """A real order.cancelled event in its envelope."""
    data = OrderCancelled(order_id=order_id, reason="customer request", cancelled_at=datetime.now(UTC))
    return new_event(data, correlation_id=correlation_id)


def delivery(attempt: int = 1, sent_seconds_ago: float = 0.0, consumer: str = "email") -> HandlerContext:
    """Delivery facts as the runtime reports them with an outcome."""
    now = datetime.now(UTC)
    return HandlerContext(
        consumer=consumer,
        message_id=str(uuid.uuid4()),
        attempt=attempt,
        max_attempts=5,
        first_received_at=now,
        sent_at=now - timedelta(seconds=sent_seconds_ago),
    )


def json_lines(text: str) -> list[dict[str, Any]]:
    """The JSON log lines in captured output."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]
