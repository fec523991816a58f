"""The event contract: models, envelope, registry, wire decoding."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from fanout.contract import (
    ORDER_EVENTS,
    ForeignMessage,
    MalformedMessage,
    OrderCancelled,
    OrderItem,
    OrderPlaced,
    SchemaViolation,
    UnknownEventType,
    new_event,
)
from fanout.contract.payloads import PayloadPointer
from fanout.contract.wire import message_attributes, read_body

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def placed(**overrides: object) -> OrderPlaced:
    fields: dict[str, object] = {
        "order_id": "o-1",
        "customer_id": "c-1",
        "customer_email": "ada@example.com",
        "items": [OrderItem(sku="SKU-1", quantity=2, unit_price=Decimal("9.99"))],
        "total": Decimal("19.98"),
        "currency": "EUR",
        "placed_at": NOW,
    }
    fields.update(overrides)
    return OrderPlaced.model_validate(fields)


def test_envelope_is_cloudevents_structured_json() -> None:
    event = new_event(placed(), correlation_id="corr-9")
    document = json.loads(event.model_dump_json())
    assert document["specversion"] == "1.0"
    assert document["type"] == "order.placed"
    assert document["subject"] == "o-1"
    assert document["datacontenttype"] == "application/json"
    assert document["schemaversion"] == 1
    assert document["correlationid"] == "corr-9"
    assert document["data"]["items"][0]["unit_price"] == "9.99"  # money stays exact


def test_envelope_round_trips_with_typed_data() -> None:
    event = new_event(placed())
    decoded = ORDER_EVENTS.decode(event.model_dump_json())
    assert decoded == event
    assert isinstance(decoded.data, OrderPlaced)
    assert decoded.data.items[0].unit_price == Decimal("9.99")


@pytest.mark.parametrize("missing", ["id", "source", "time"])
def test_an_incoming_envelope_must_carry_id_source_and_time(missing: str) -> None:
    """Never a default for an incoming event: a fresh id per delivery would defeat idempotency."""
    document = json.loads(new_event(placed()).model_dump_json())
    del document[missing]
    with pytest.raises(SchemaViolation, match=missing):
        ORDER_EVENTS.decode(json.dumps(document))


def test_correlation_id_defaults_to_event_id() -> None:
    event = new_event(OrderCancelled(order_id="o-2", reason="customer asked", cancelled_at=NOW))
    assert event.correlationid == event.id


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"currency": "EURO"}, "currency"),
        ({"currency": "XQZ"}, "currency"),
        ({"customer_email": "not-an-address"}, "customer_email"),
        ({"items": []}, "items"),
        ({"total": Decimal("1.00")}, "total"),
        ({"placed_at": datetime(2026, 1, 1)}, "placed_at"),
    ],
)
def test_invalid_payload_gives_schema_violation_naming_the_field(
    overrides: dict[str, object], field: str
) -> None:
    data = json.loads(placed().model_dump_json())
    data.update(
        {
            key: str(value) if isinstance(value, Decimal | datetime) else value
            for key, value in overrides.items()
        }
    )
    with pytest.raises(SchemaViolation) as caught:
        ORDER_EVENTS.parse_data("order.placed", data)
    assert field in str(caught.value) or "total" in str(caught.value)
    assert caught.value.reason == "schema_violation"


def test_quantity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="quantity"):
        OrderItem(sku="S", quantity=0, unit_price=Decimal(1))


def test_unknown_type_and_version_are_typed_errors() -> None:
    with pytest.raises(UnknownEventType) as caught:
        ORDER_EVENTS.parse_data("order.refunded", {})
    assert caught.value.reason == "unknown_type"
    document = json.loads(new_event(placed()).model_dump_json()) | {"schemaversion": 7}
    with pytest.raises(UnknownEventType, match="schema version 7"):
        ORDER_EVENTS.parse_envelope(document)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"\xff\xfe not utf-8", MalformedMessage),
        ("{not json", MalformedMessage),
        ('{"hello": "world"}', ForeignMessage),
        ("[1, 2, 3]", ForeignMessage),
        ('{"specversion": "1.0", "type": "order.placed", "data": {}}', SchemaViolation),
    ],
)
def test_bad_bodies_raise_typed_errors(body: str | bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        read_body(body)


def test_sns_envelope_and_raw_body_decode_to_the_same_event() -> None:
    event = new_event(placed())
    raw = event.model_dump_json()
    notification = json.dumps(
        {
            "Type": "Notification",
            "MessageId": "m-1",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:local-orders",
            "Message": raw,
            "Timestamp": "2026-11-22T12:00:00.000Z",
        }
    )
    assert read_body(raw) == read_body(notification) == event


def test_sns_subscription_confirmation_is_foreign() -> None:
    body = json.dumps({"Type": "SubscriptionConfirmation", "MessageId": "m", "TopicArn": "t", "Message": "x"})
    with pytest.raises(ForeignMessage):
        read_body(body)


def test_message_attributes_carry_type_version_and_correlation() -> None:
    attributes = message_attributes(new_event(placed(), correlation_id="c-7"))
    assert attributes["event_type"]["StringValue"] == "order.placed"
    assert attributes["event_version"] == {"DataType": "Number", "StringValue": "1"}
    assert attributes["correlation_id"]["StringValue"] == "c-7"


def test_an_offloaded_body_reads_as_its_pointer_raw_or_sns_enveloped() -> None:
    pointer = PayloadPointer.for_event("payloads", "e-1")
    notification = json.dumps(
        {"Type": "Notification", "MessageId": "m", "TopicArn": "arn", "Message": pointer.body()}
    )
    assert read_body(pointer.body()) == read_body(notification) == pointer
    assert pointer.url == "s3://payloads/fanout/e-1.json"
