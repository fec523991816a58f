"""How events travel: SNS message attributes, and reading a raw, SNS-enveloped or offloaded SQS body."""

from collections.abc import Mapping
from typing import Any

from fanout.contract.envelope import CloudEvent, EventData
from fanout.contract.errors import AttributeMismatch, ForeignMessage, MalformedMessage
from fanout.contract.payloads import PayloadPointer
from fanout.contract.registry import ORDER_EVENTS, EventRegistry, decoding, load_json
from fanout.tracing import TRACEPARENT, TRACESTATE

EVENT_TYPE_ATTRIBUTE = "event_type"
EVENT_VERSION_ATTRIBUTE = "event_version"
CORRELATION_ID_ATTRIBUTE = "correlation_id"
#: W3C Trace Context as message attributes too, for tools that read attributes, not bodies.
TRACE_ATTRIBUTES = (TRACEPARENT, TRACESTATE)
MAX_MESSAGE_ATTRIBUTES = 10  # SNS and SQS; SNS → SQS raw delivery drops messages with more
RESERVED_ATTRIBUTES = 1  # kept free for the claim check's ExtendedPayloadSize

SNS_NOTIFICATION_KEYS = frozenset({"Type", "MessageId", "TopicArn", "Message"})

StringAttributes = dict[str, dict[str, str]]
#: What a delivery carries: its event (or the claim check's pointer), and the SNS envelope's attributes.
Delivery = tuple[CloudEvent[EventData] | PayloadPointer, dict[str, dict[str, Any]]]


def message_attributes(event: CloudEvent[Any]) -> StringAttributes:
    """The SNS/SQS message attributes an event carries, so subscriptions filter without parsing bodies.

    The event's trace context (CloudEvents `traceparent`/`tracestate`) is copied to W3C-named
    attributes while they fit within SQS's 10, one kept free for a claim check's size.
    """
    attributes = {
        EVENT_TYPE_ATTRIBUTE: {"DataType": "String", "StringValue": event.type},
        EVENT_VERSION_ATTRIBUTE: {"DataType": "Number", "StringValue": str(event.schemaversion)},
        CORRELATION_ID_ATTRIBUTE: {"DataType": "String", "StringValue": event.correlationid},
    }
    extensions = event.extensions
    for name in TRACE_ATTRIBUTES:
        value = extensions.get(name)
        if isinstance(value, str) and len(attributes) < MAX_MESSAGE_ATTRIBUTES - RESERVED_ATTRIBUTES:
            attributes[name] = {"DataType": "String", "StringValue": value}
    return attributes


def check_routing(event: CloudEvent[Any], attributes: Mapping[str, Mapping[str, Any]]) -> None:
    """AttributeMismatch when the routed-on `event_type` attribute is not the body's type."""
    routed = attributes.get(EVENT_TYPE_ATTRIBUTE, {}).get("StringValue")
    if routed is not None and routed != event.type:
        raise AttributeMismatch(f"event_type attribute {routed!r} but the body's type is {event.type!r}")


def message_size(body: str, attributes: Mapping[str, Mapping[str, Any]]) -> int:
    """Bytes SNS and SQS count against their size limits: the body plus each attribute's name,
    data type and (string or binary) value."""
    total = len(body.encode("utf-8", "surrogatepass"))
    for name, value in attributes.items():
        binary = value.get("BinaryValue")
        total += len(name.encode("utf-8")) + len(value["DataType"].encode("utf-8"))
        total += len(value.get("StringValue", "").encode("utf-8", "surrogatepass"))
        total += len(binary) if isinstance(binary, bytes) else 0
    return total


def unwrap_body(body: str | bytes) -> Any:
    """The JSON document an SQS body carries: itself (raw delivery) or the SNS notification's Message."""
    return _unwrap(body)[0]


def _unwrap(body: str | bytes) -> tuple[Any, dict[str, dict[str, Any]]]:
    """The carried document, and the message attributes of an SNS notification (SQS's form)."""
    document = load_json(body)
    if isinstance(document, dict) and document.keys() >= SNS_NOTIFICATION_KEYS:
        if document["Type"] != "Notification":
            raise ForeignMessage(f"SNS {document['Type']} message, not a notification")
        message = document["Message"]
        if not isinstance(message, str):
            raise MalformedMessage("SNS notification Message is not a string")
        notified = document.get("MessageAttributes")
        attributes = {
            name: {"DataType": str(value.get("Type", "String")), "StringValue": value["Value"]}
            for name, value in (notified.items() if isinstance(notified, dict) else ())
            if isinstance(value, dict) and isinstance(value.get("Value"), str)
        }
        return load_json(message), attributes
    return document, {}


def read_body(
    body: str | bytes, registry: EventRegistry = ORDER_EVENTS
) -> CloudEvent[EventData] | PayloadPointer:
    """The typed event an SQS body (raw delivery or SNS envelope) carries, or the pointer to where
    its payload was offloaded (claim check); ContractError when it is neither (MalformedMessage
    for anything that cannot be decoded at all)."""

    return read_delivery(body, registry)[0]


def read_delivery(body: str | bytes, registry: EventRegistry = ORDER_EVENTS) -> Delivery:
    """`read_body`, and the message attributes an SNS-enveloped body carried inside it (empty for
    raw delivery, where they are the SQS message's own)."""

    def decode() -> Delivery:  # an alias: `CloudEvent[...]` here would be looked up on every call
        document, attributes = _unwrap(body)
        return PayloadPointer.parse(document) or registry.parse_envelope(document), attributes

    return decoding(decode)
