"""SQS message → typed event and handler context (raw delivery or SNS envelope alike)."""

from typing import Any

from consumers.runtime.context import HandlerContext
from consumers.runtime.message import ReceivedMessage
from fanout.contract.envelope import CloudEvent
from fanout.contract.registry import ORDER_EVENTS, EventRegistry
from fanout.contract.wire import decode_sqs_body


def to_event(message: ReceivedMessage, registry: EventRegistry = ORDER_EVENTS) -> CloudEvent[Any]:
    """The message's event; raises a ContractError whose `.reason` says why it is unusable."""
    return decode_sqs_body(message.body, registry)


def handler_context(message: ReceivedMessage, consumer: str, max_attempts: int) -> HandlerContext:
    """The delivery facts a handler sees."""
    return HandlerContext(
        consumer=consumer,
        message_id=message.message_id,
        attempt=message.receive_count,
        max_attempts=max_attempts,
        first_received_at=message.first_received_at,
        sent_at=message.sent_at,
    )
