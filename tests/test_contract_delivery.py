"""The contract through a real consumer: CloudEvents SDK events, undecodable bodies, attribute
mismatch, extensions through dead-lettering and redrive, and a v1 event reaching a v2 handler."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent as SdkEvent
from pydantic import Field

from consumers.runtime.consumer import Consumer
from consumers.runtime.context import HandlerContext
from consumers.runtime.errors import PermanentError
from consumers.runtime.service import Service, handles
from consumers.runtime.settings import ConsumerSettings
from fanout.aws import sync_client
from fanout.cli import main
from fanout.contract import CloudEvent, OrderCancelled, OrderItem, OrderPlaced, OrderShipped, new_event
from fanout.contract.deadletter import DeadLetterAttribute
from fanout.contract.envelope import EventData
from fanout.contract.formats import Email
from fanout.contract.orders import OrderEvent
from fanout.contract.registry import EventRegistry
from fanout.contract.wire import message_attributes
from fanout.testing.plugin import TEST_PREFIX
from fanout.testing.spy import HandlerSpy
from fanout.topology import AppliedTopology

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


class Recorder(Service):
    """Keeps what it handles; fails permanently while `failing` is set."""

    name = "analytics"

    def __init__(self) -> None:
        self.seen: list[CloudEvent[Any]] = []
        self.failing = False

    async def keep(self, event: CloudEvent[Any]) -> None:
        if self.failing:
            raise PermanentError("told to fail")
        self.seen.append(event)

    @handles(OrderPlaced)
    async def on_placed(self, event: CloudEvent[OrderPlaced], context: HandlerContext) -> None:
        await self.keep(event)

    @handles(OrderCancelled)
    async def on_cancelled(self, event: CloudEvent[OrderCancelled], context: HandlerContext) -> None:
        await self.keep(event)


def settings() -> ConsumerSettings:
    return ConsumerSettings(wait_time_s=1, health_port=0, retry_strategy="fixed", retry_initial_s=0)


def send(topology: AppliedTopology, body: str | bytes, event_type: str | None = None) -> None:
    attributes = {"event_type": {"DataType": "String", "StringValue": event_type}} if event_type else {}
    text = body.decode() if isinstance(body, bytes) else body
    sync_client("sqs").send_message(
        QueueUrl=topology.queue_url("analytics"),
        MessageBody=text,
        MessageAttributes=attributes,  # type: ignore[arg-type]
    )


def dead_letters(topology: AppliedTopology) -> list[dict[str, Any]]:
    response = sync_client("sqs").receive_message(
        QueueUrl=topology.dlq_url("analytics"),
        MessageAttributeNames=["All"],
        MaxNumberOfMessages=10,
        VisibilityTimeout=0,
    )
    return list(response.get("Messages", []))


def reason(letter: dict[str, Any]) -> str:
    return str(letter["MessageAttributes"][DeadLetterAttribute.REASON]["StringValue"])


@pytest.fixture
async def running(fanout_topology: AppliedTopology) -> AsyncIterator[tuple[Recorder, HandlerSpy]]:
    service, spy = Recorder(), HandlerSpy()
    topology = fanout_topology
    consumer = Consumer(
        service, topology.queue_url("analytics"), topology.dlq_url("analytics"), settings(), [spy]
    )
    async with consumer.running():
        yield service, spy


def sdk_cancellation(event_id: str) -> bytes:
    """An order.cancelled as the official CloudEvents SDK writes it: distributed-tracing extension,
    dataschema, a media type with charset, schemaversion as a string, no subject or correlationid."""
    event = SdkEvent(
        attributes={
            "id": event_id,
            "source": "https://shop.example.com/orders",
            "type": "order.cancelled",
            "specversion": "1.0",
            "time": NOW,
            "datacontenttype": "application/json; charset=utf-8",
            "dataschema": "https://shop.example.com/schemas/order.cancelled/1.json",
            "traceparent": TRACEPARENT,
            "schemaversion": "1",
        },
        data={"order_id": "o-7", "reason": "customer asked", "cancelled_at": "2026-11-22T11:00:00Z"},
    )
    return JSONFormat().write(event)


async def test_cloudevents_sdk_events_are_handled_with_their_extensions(
    fanout_topology: AppliedTopology, running: tuple[Recorder, HandlerSpy]
) -> None:
    service, spy = running
    send(fanout_topology, sdk_cancellation("sdk-1"), "order.cancelled")
    await spy.wait_for(event_id="sdk-1", outcome="handled", timeout=15)
    [event] = service.seen
    assert isinstance(event.data, OrderCancelled)
    assert event.extensions == {"traceparent": TRACEPARENT}
    assert event.dataschema == "https://shop.example.com/schemas/order.cancelled/1.json"
    assert event.datacontenttype == "application/json; charset=utf-8"
    assert (event.subject, event.correlationid, event.schemaversion) == ("o-7", "sdk-1", 1)


def test_our_events_are_read_by_the_cloudevents_sdk() -> None:
    """Strict writer: what we emit is a CloudEvent for the official SDK too, extensions included."""
    event = new_event(
        OrderCancelled(order_id="o-1", reason="r", cancelled_at=NOW), extensions={"tenant": "acme"}
    )
    read = JSONFormat().read(None, event.model_dump_json())
    assert read.get_id() == event.id and read.get_type() == "order.cancelled"
    assert read.get_extension("tenant") == "acme"
    assert read.get_extension("correlationid") == event.correlationid
    assert read.get_data() == json.loads(event.data.model_dump_json())


def deep_nesting() -> str:
    return "[" * 100_000 + "]" * 100_000


def huge_integer() -> str:
    document = json.loads(
        new_event(OrderCancelled(order_id="o", reason="r", cancelled_at=NOW)).model_dump_json()
    )
    return json.dumps(document)[:-1] + ', "big": ' + "7" * 5000 + "}"


def lone_surrogate() -> str:
    document = json.loads(
        new_event(OrderCancelled(order_id="o", reason="r", cancelled_at=NOW)).model_dump_json()
    )
    return json.dumps(document).replace('"reason": "r"', '"reason": "\\ud800"')


@pytest.mark.parametrize("make_body", [deep_nesting, huge_integer, lone_surrogate], ids=lambda f: f.__name__)
async def test_undecodable_bodies_are_dead_lettered_as_malformed_on_the_first_attempt(
    fanout_topology: AppliedTopology, running: tuple[Recorder, HandlerSpy], make_body: Any
) -> None:
    service, spy = running
    body = make_body()
    send(fanout_topology, body, "order.cancelled")
    record = await spy.wait_for(outcome="dead_lettered", timeout=15)
    assert record.context.attempt == 1
    [letter] = dead_letters(fanout_topology)
    assert reason(letter) == "malformed"
    assert letter["Body"] == body  # kept byte for byte
    assert service.seen == []


async def test_an_event_type_attribute_that_disagrees_with_the_body_is_dead_lettered(
    fanout_topology: AppliedTopology, running: tuple[Recorder, HandlerSpy]
) -> None:
    service, spy = running
    event = new_event(OrderCancelled(order_id="o-1", reason="r", cancelled_at=NOW))
    send(fanout_topology, event.model_dump_json(), "order.placed")
    record = await spy.wait_for(outcome="dead_lettered", timeout=15)
    assert record.context.attempt == 1
    [letter] = dead_letters(fanout_topology)
    assert reason(letter) == "attribute_mismatch"
    assert service.seen == []


async def test_an_sns_enveloped_event_type_that_disagrees_with_the_body_is_dead_lettered(
    fanout_topology: AppliedTopology, running: tuple[Recorder, HandlerSpy]
) -> None:
    """Without raw delivery the attributes travel inside the SNS notification."""
    service, spy = running
    event = new_event(OrderCancelled(order_id="o-1", reason="r", cancelled_at=NOW))
    notification = {
        "Type": "Notification",
        "MessageId": "sns-1",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:test-orders",
        "Message": event.model_dump_json(),
        "Timestamp": "2026-11-22T12:00:00.000Z",
        "MessageAttributes": {"event_type": {"Type": "String", "Value": "order.placed"}},
    }
    send(fanout_topology, json.dumps(notification))
    await spy.wait_for(outcome="dead_lettered", timeout=15)
    [letter] = dead_letters(fanout_topology)
    assert reason(letter) == "attribute_mismatch"
    assert service.seen == []


def run_cli(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


async def test_unknown_extensions_travel_through_dead_lettering_and_redrive(
    fanout_topology: AppliedTopology, running: tuple[Recorder, HandlerSpy]
) -> None:
    service, spy = running
    service.failing = True
    event = new_event(
        OrderCancelled(order_id="o-9", reason="r", cancelled_at=NOW),
        extensions={"tenant": "acme", "priority": 3},
    )
    body = event.model_dump_json()
    sync_client("sqs").send_message(
        QueueUrl=fanout_topology.queue_url("analytics"),
        MessageBody=body,
        MessageAttributes=message_attributes(event),  # type: ignore[arg-type]
    )
    await spy.wait_for(event_id=event.id, outcome="dead_lettered", timeout=15)
    [letter] = dead_letters(fanout_topology)
    assert json.loads(letter["Body"])["tenant"] == "acme"

    service.failing = False
    assert run_cli(["--env", TEST_PREFIX, "dlq", "redrive", "analytics"]) == 0  # main thread: it sets SIGINT
    await spy.wait_for(event_id=event.id, outcome="handled", timeout=15)
    [handled] = service.seen
    assert handled.extensions == {"tenant": "acme", "priority": 3}
    assert handled.model_dump_json() == body  # written back out exactly as it came


# -- schema evolution ------------------------------------------------------------------------


class OrderPlacedV2(OrderEvent):
    """order.placed v2: `customer_email` renamed to `email`, a required `channel` added."""

    event_type: ClassVar[str] = "order.placed"
    schema_version: ClassVar[int] = 2

    customer_id: str
    email: Email
    items: list[OrderItem] = Field(min_length=1)
    total: Decimal
    currency: str
    placed_at: datetime
    channel: str


def upcast_placed(old: EventData) -> OrderPlacedV2:
    assert isinstance(old, OrderPlaced)
    fields = old.model_dump(exclude={"customer_email"})
    return OrderPlacedV2(**fields, email=old.customer_email, channel="web")


EVOLVED = EventRegistry(
    [OrderPlaced, OrderPlacedV2, OrderCancelled, OrderShipped], upcasters={OrderPlaced: upcast_placed}
)


class V2Reader(Service):
    name = "analytics"
    registry = EVOLVED

    def __init__(self) -> None:
        self.seen: list[CloudEvent[OrderPlacedV2]] = []

    @handles(OrderPlacedV2)
    async def on_placed(self, event: CloudEvent[OrderPlacedV2], context: HandlerContext) -> None:
        self.seen.append(event)


def test_a_registry_refuses_an_old_version_without_an_upcaster() -> None:
    with pytest.raises(ValueError, match="no upcaster"):
        EventRegistry([OrderPlaced, OrderPlacedV2])


async def test_a_v1_event_reaches_a_v2_handler_through_the_upcaster(fanout_topology: AppliedTopology) -> None:
    v1 = new_event(
        OrderPlaced(
            order_id="o-1",
            customer_id="c-1",
            customer_email="ada@example.com",
            items=[OrderItem(sku="S", quantity=2, unit_price=Decimal("1.25"))],
            total=Decimal("2.50"),
            currency="EUR",
            placed_at=NOW,
        ),
        extensions={"tenant": "acme"},
    )
    send(fanout_topology, v1.model_dump_json(), "order.placed")
    service, spy = V2Reader(), HandlerSpy()
    queue, dlq = fanout_topology.queue_url("analytics"), fanout_topology.dlq_url("analytics")
    async with Consumer(service, queue, dlq, settings(), [spy]).running():
        await spy.wait_for(event_id=v1.id, outcome="handled", timeout=15)
    [event] = service.seen
    assert isinstance(event.data, OrderPlacedV2)
    assert (event.data.email, event.data.channel, event.schemaversion) == ("ada@example.com", "web", 2)
    assert event.extensions == {"tenant": "acme"} and event.id == v1.id


def test_a_handler_written_for_an_older_version_than_its_registry_upcasts_to_is_refused() -> None:
    class Stale(Service):
        name = "analytics"
        registry = EVOLVED

        @handles(OrderPlaced)
        async def on_placed(self, event: CloudEvent[OrderPlaced], context: HandlerContext) -> None:
            return None

    with pytest.raises(TypeError, match=r"upcasts order\.placed to OrderPlacedV2"):
        Stale.handler_options()
