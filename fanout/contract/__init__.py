"""The event contract: payload models, the CloudEvents envelope, the registry and the wire format."""

from fanout.contract.envelope import CloudEvent, EventData, new_event
from fanout.contract.errors import (
    ContractError,
    ForeignMessage,
    MalformedMessage,
    RejectReason,
    SchemaViolation,
    UnknownEventType,
)
from fanout.contract.orders import OrderCancelled, OrderItem, OrderPlaced, OrderShipped
from fanout.contract.registry import ORDER_EVENTS, EventRegistry

__all__ = [
    "ORDER_EVENTS",
    "CloudEvent",
    "ContractError",
    "EventData",
    "EventRegistry",
    "ForeignMessage",
    "MalformedMessage",
    "OrderCancelled",
    "OrderItem",
    "OrderPlaced",
    "OrderShipped",
    "RejectReason",
    "SchemaViolation",
    "UnknownEventType",
    "new_event",
]
