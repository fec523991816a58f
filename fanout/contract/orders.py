"""The order service's domain events (schema version 1).

Field formats (money as a decimal string, RFC 3339 timestamps, ...) live in `formats`; the JSON
Schema of each model says exactly what the model accepts, cross-field rules in its `$comment`.
"""

from decimal import Decimal
from typing import Annotated, Self

from pydantic import ConfigDict, Field, model_validator

from fanout.contract.envelope import EventData
from fanout.contract.formats import Count, Currency, Email, Money, Timestamp

NonEmpty = Annotated[str, Field(min_length=1, max_length=256)]
TOTAL_RULE = "total equals the sum of unit_price * quantity over items (exact decimal arithmetic)."


class OrderItem(EventData):
    """One line of an order."""

    sku: NonEmpty
    quantity: Count
    unit_price: Money


class OrderEvent(EventData):
    """Common base of events about one order: the order id is the subject."""

    order_id: NonEmpty

    @property
    def subject(self) -> str:
        return self.order_id


class OrderPlaced(OrderEvent):
    """A customer placed an order; `total` must equal the sum of its lines."""

    model_config = ConfigDict(json_schema_extra={"$comment": TOTAL_RULE})

    event_type = "order.placed"

    customer_id: NonEmpty
    customer_email: Email
    items: list[OrderItem] = Field(min_length=1, max_length=500)
    total: Money
    currency: Currency
    placed_at: Timestamp

    @model_validator(mode="after")
    def _total_matches_items(self) -> Self:
        expected = sum((item.unit_price * item.quantity for item in self.items), Decimal(0))
        if expected != self.total:
            raise ValueError(f"total {self.total} does not equal the sum of the items {expected}")
        return self


class OrderCancelled(OrderEvent):
    """An order was cancelled before shipping."""

    event_type = "order.cancelled"

    reason: NonEmpty
    cancelled_at: Timestamp


class OrderShipped(OrderEvent):
    """An order left the warehouse."""

    event_type = "order.shipped"

    carrier: NonEmpty
    tracking_number: NonEmpty
    shipped_at: Timestamp
