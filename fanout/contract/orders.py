"""The order service's domain events (schema version 1)."""

from decimal import Decimal
from typing import Annotated, Self

from pydantic import AwareDatetime, Field, model_validator
from pydantic_extra_types.currency_code import ISO4217

from fanout.contract.email import Email
from fanout.contract.envelope import EventData

NonEmpty = Annotated[str, Field(min_length=1, max_length=256)]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=4)]


class OrderItem(EventData):
    """One line of an order."""

    sku: NonEmpty
    quantity: int = Field(ge=1)
    unit_price: Money


class OrderEvent(EventData):
    """Common base of events about one order: the order id is the subject."""

    order_id: NonEmpty

    @property
    def subject(self) -> str:
        return self.order_id


class OrderPlaced(OrderEvent):
    """A customer placed an order; `total` must equal the sum of its lines."""

    event_type = "order.placed"

    customer_id: NonEmpty
    customer_email: Email
    items: list[OrderItem] = Field(min_length=1, max_length=500)
    total: Money
    currency: ISO4217
    placed_at: AwareDatetime

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
    cancelled_at: AwareDatetime


class OrderShipped(OrderEvent):
    """An order left the warehouse."""

    event_type = "order.shipped"

    carrier: NonEmpty
    tracking_number: NonEmpty
    shipped_at: AwareDatetime
