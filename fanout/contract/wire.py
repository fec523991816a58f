"""How events travel: SNS message attributes, and reading a raw, SNS-enveloped or offloaded SQS body."""

from collections.abc import Mapping
from typing import Any

from fanout.contract.envelope import CloudEvent, EventData
from fanout.contract.errors import ForeignMessage, MalformedMessage
from fanout.contract.payloads import PayloadPointer
from fanout.contract.registry import ORDER_EVENTS, EventRegistry, load_json

EVENT_TYPE_ATTRIBUTE = "event_type"
EVENT_VERSION_ATTRIBUTE = "event_version"
CORRELATION_ID_ATTRIBUTE = "correlation_id"

SNS_NOTIFICATION_KEYS = frozenset({"Type", "MessageId", "TopicArn", "Message"})

StringAttributes = dict[str, dict[str, str]]


def message_attributes(event: CloudEvent[Any]) -> StringAttributes:
    """The SNS/SQS message attributes an event carries, so subscriptions filter without parsing bodies."""
    return {
        EVENT_TYPE_ATTRIBUTE: {"DataType": "String", "StringValue": event.type},
        EVENT_VERSION_ATTRIBUTE: {"DataType": "Number", "StringValue": str(event.schemaversion)},
        CORRELATION_ID_ATTRIBUTE: {"DataType": "String", "StringValue": event.correlationid},
    }


def message_size(body: str, attributes: Mapping[str, Mapping[str, Any]]) -> int:
    """Bytes SNS and SQS count against their size limits: the body plus each attribute's name,
    data type and (string or binary) value."""
    total = len(body.encode("utf-8"))
    for name, value in attributes.items():
        binary = value.get("BinaryValue")
        total += len(name.encode("utf-8")) + len(value["DataType"].encode("utf-8"))
        total += len(value.get("StringValue", "").encode("utf-8"))
        total += len(binary) if isinstance(binary, bytes) else 0
    return total


def unwrap_body(body: str | bytes) -> Any:
    """The JSON document an SQS body carries: itself (raw delivery) or the SNS notification's Message."""
    document = load_json(body)
    if isinstance(document, dict) and document.keys() >= SNS_NOTIFICATION_KEYS:
        if document["Type"] != "Notification":
            raise ForeignMessage(f"SNS {document['Type']} message, not a notification")
        message = document["Message"]
        if not isinstance(message, str):
            raise MalformedMessage("SNS notification Message is not a string")
        return load_json(message)
    return document


def read_body(
    body: str | bytes, registry: EventRegistry = ORDER_EVENTS
) -> CloudEvent[EventData] | PayloadPointer:
    """The typed event an SQS body (raw delivery or SNS envelope) carries, or the pointer to where
    its payload was offloaded (claim check); ContractError when it is neither."""
    document = unwrap_body(body)
    return PayloadPointer.parse(document) or registry.parse_envelope(document)
