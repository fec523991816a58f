"""SQS message → typed event and handler context (raw delivery, SNS envelope or S3 claim check alike)."""

from contextlib import AbstractContextManager
from typing import Any

from consumers.runtime.context import HandlerContext
from consumers.runtime.message import ReceivedMessage
from consumers.runtime.payloads import PayloadStore
from fanout.contract.envelope import CloudEvent
from fanout.contract.payloads import PayloadPointer
from fanout.contract.registry import ORDER_EVENTS, EventRegistry
from fanout.contract.wire import check_routing, read_delivery
from fanout.tracing import consumer_span


async def to_event(
    message: ReceivedMessage, payloads: PayloadStore, registry: EventRegistry = ORDER_EVENTS
) -> CloudEvent[Any]:
    """The message's event; a ContractError's `.reason` says why it is unusable, other errors are transient.

    A body that points to an offloaded payload is fetched from S3 first. The `event_type`
    attribute the subscription routed on (on the SQS message, or inside an SNS envelope) must name
    the body's type (AttributeMismatch otherwise).
    """
    decoded, enveloped_attributes = read_delivery(message.body, registry)
    event = registry.decode(await payloads.fetch(decoded)) if isinstance(decoded, PayloadPointer) else decoded
    check_routing(event, message.message_attributes)
    check_routing(event, enveloped_attributes)
    return event


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


def handling_span(
    event: CloudEvent[Any], message: ReceivedMessage, consumer: str
) -> AbstractContextManager[object]:
    """The OpenTelemetry CONSUMER span a handler runs in: a child of the event's trace context
    (its `traceparent` extension, else the W3C message attribute); a no-op without OpenTelemetry."""
    return consumer_span(
        f"process {event.type}",
        (event.extensions, message.message_attributes),
        lambda: {
            "messaging.system": "aws_sqs",
            "messaging.operation.type": "process",
            "messaging.consumer.group.name": consumer,
            "messaging.message.id": message.message_id,
            "cloudevents.event_id": event.id,
            "cloudevents.event_type": event.type,
        },
    )
