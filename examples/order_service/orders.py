"""What POST /orders accepts, and the order.placed event it becomes."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from fanout.contract.envelope import CloudEvent, new_event
from fanout.contract.orders import OrderItem, OrderPlaced


class NewOrder(BaseModel):
    """The request body; `order_id` is optional (a client-chosen id makes retries safe: 409 on a repeat)."""

    model_config = ConfigDict(extra="forbid")

    order_id: str | None = Field(default=None, min_length=1, max_length=100)
    customer_id: str = Field(min_length=1)
    customer_email: EmailStr
    items: list[OrderItem] = Field(min_length=1, max_length=500)
    currency: str = Field(min_length=3, max_length=3)

    def placed(self, correlation_id: str | None = None) -> CloudEvent[OrderPlaced]:
        """The order.placed event (validated by the contract: currency, total = sum of lines)."""
        total = sum((item.unit_price * item.quantity for item in self.items), Decimal(0))
        data = OrderPlaced(
            order_id=self.order_id or f"ord-{uuid.uuid4()}",
            customer_id=self.customer_id,
            customer_email=self.customer_email,
            items=self.items,
            total=total,
            currency=self.currency,  # validated as ISO 4217 by OrderPlaced
            placed_at=datetime.now(UTC),
        )
        return new_event(data, correlation_id=correlation_id)


def event_view(row: tuple[Any, ...]) -> dict[str, Any]:
    """An outbox row of the order as GET /orders/{id} shows it."""
    event_id, event_type, published_at, message_id, attempts, last_error = row
    return {
        "id": event_id,
        "type": event_type,
        "published": published_at is not None,
        "published_at": datetime.fromtimestamp(published_at, UTC).isoformat()
        if published_at is not None
        else None,
        "message_id": message_id,
        "attempts": attempts,
        "last_error": last_error,
    }
