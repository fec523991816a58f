"""Large events through S3 (claim check): producer offloads, SNS/SQS carry a pointer, consumers fetch."""

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from endpoint_support import receive_at_least

from consumers.runtime.consumer import Consumer
from consumers.runtime.context import HandlerContext
from consumers.runtime.service import Service, handles
from consumers.runtime.settings import ConsumerSettings
from fanout.aws import sync_client
from fanout.contract import CloudEvent, OrderItem, OrderPlaced, new_event
from fanout.contract.deadletter import DeadLetterAttribute
from fanout.contract.payloads import PAYLOAD_SIZE_ATTRIBUTE, POINTER_CLASS, PayloadPointer
from fanout.testing.spy import HandlerSpy
from fanout.topology import AppliedTopology
from monitor.dlq.messages import DeadLetter
from producer.async_publisher import AsyncPublisher
from producer.entries import OversizedMessage
from producer.options import PublishOptions
from producer.publisher import Publisher

LIMIT = 64 * 1024  # the topic's MaximumMessageSize in these tests (contract limits keep events < 256 KiB)


class Recorder(Service):
    """Keeps every order.placed it is given."""

    name = "analytics"

    def __init__(self) -> None:
        self.seen: list[CloudEvent[OrderPlaced]] = []

    @handles(OrderPlaced)
    async def keep(self, event: CloudEvent[OrderPlaced], context: HandlerContext) -> None:
        self.seen.append(event)


def large_order(items: int = 400) -> CloudEvent[OrderPlaced]:
    """An order.placed of about 110 KiB: over LIMIT."""
    lines = [
        OrderItem(sku=f"{n:05d}-" + "X" * 240, quantity=1, unit_price=Decimal("2.50")) for n in range(items)
    ]
    data = OrderPlaced(
        order_id="ord-large",
        customer_id="cust-1",
        customer_email="ada@example.com",
        items=lines,
        total=Decimal("2.50") * items,
        currency="EUR",
        placed_at=datetime.now(UTC),
    )
    return new_event(data)


@pytest.fixture
def bucket(fanout_topology: AppliedTopology) -> str:
    """A bucket of the test's own (bucket names are global: the prefix keeps them apart)."""
    name = f"{fanout_topology.declared.prefix}-fanout-payloads"
    sync_client("s3").create_bucket(Bucket=name)
    return name


def settings(bucket: str) -> ConsumerSettings:
    return ConsumerSettings(
        wait_time_s=1, health_port=0, retry_strategy="fixed", retry_initial_s=0, payload_bucket=bucket
    )


def test_without_a_bucket_a_large_event_fails_before_any_call(fanout_topology: AppliedTopology) -> None:
    with pytest.raises(OversizedMessage, match="set a payload bucket"):
        publisher = Publisher(
            topic_arn=fanout_topology.deployed.topic_arn, options=PublishOptions(max_message_bytes=LIMIT)
        )
        publisher.publish(large_order())


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.conformance
async def test_a_large_event_travels_through_s3_and_reaches_the_handler_whole(
    fanout_topology: AppliedTopology, bucket: str, flavour: str
) -> None:
    event = large_order()
    options = PublishOptions(max_message_bytes=LIMIT, payload_bucket=bucket)
    topic_arn = fanout_topology.deployed.topic_arn
    if flavour == "sync":
        await asyncio.to_thread(Publisher(topic_arn=topic_arn, options=options).publish, event)
    else:
        async with AsyncPublisher(topic_arn=topic_arn, options=options) as publisher:
            await publisher.publish(event)

    # What travels is the extended clients' pointer; the body is the S3 object.
    pointer = PayloadPointer.for_event(bucket, event.id)
    stored = sync_client("s3").get_object(Bucket=pointer.bucket, Key=pointer.key)["Body"].read()
    assert json.loads(stored)["id"] == event.id and len(stored) > LIMIT
    [message] = receive_at_least(
        fanout_topology.queue_url("analytics"), 1, hold_s=0, MessageAttributeNames=["All"]
    )
    assert json.loads(message["Body"]) == [POINTER_CLASS, {"s3BucketName": bucket, "s3Key": pointer.key}]
    assert int(message["MessageAttributes"][PAYLOAD_SIZE_ATTRIBUTE]["StringValue"]) == len(stored)

    service, spy = Recorder(), HandlerSpy()
    consumer = Consumer(
        service,
        fanout_topology.queue_url("analytics"),
        fanout_topology.dlq_url("analytics"),
        settings(bucket),
        [spy],
    )
    async with consumer.running():
        await spy.wait_for(event_id=event.id, outcome="handled", timeout=15)
    assert service.seen == [event]


@pytest.mark.conformance
async def test_a_pointer_to_a_missing_payload_is_dead_lettered_at_once(
    fanout_topology: AppliedTopology, bucket: str
) -> None:
    gone = PayloadPointer(bucket, "fanout/never-stored.json")
    sync_client("sqs").send_message(QueueUrl=fanout_topology.queue_url("analytics"), MessageBody=gone.body())
    spy = HandlerSpy()
    consumer = Consumer(
        Recorder(),
        fanout_topology.queue_url("analytics"),
        fanout_topology.dlq_url("analytics"),
        settings(bucket),
        [spy],
    )
    async with consumer.running():
        record = await spy.wait_for(outcome="dead_lettered", timeout=15)
    assert record.context.attempt == 1
    [letter] = sync_client("sqs").receive_message(
        QueueUrl=fanout_topology.dlq_url("analytics"), MessageAttributeNames=["All"]
    )["Messages"]
    attributes: dict[str, Any] = letter["MessageAttributes"]
    assert attributes[DeadLetterAttribute.REASON]["StringValue"] == "payload_missing"
    assert gone.url in attributes[DeadLetterAttribute.DETAIL]["StringValue"]
    assert letter["Body"] == gone.body()  # kept as it came, so a redrive after restoring the object works
    assert DeadLetter.from_message(letter).decode_error == f"payload offloaded to {gone.url} (not fetched)"


@pytest.mark.conformance
def test_events_within_the_limit_travel_inline_even_with_a_bucket(
    fanout_topology: AppliedTopology, bucket: str
) -> None:
    small, large = new_event(large_order(items=1).data), large_order()
    options = PublishOptions(max_message_bytes=LIMIT, payload_bucket=bucket)
    Publisher(topic_arn=fanout_topology.deployed.topic_arn, options=options).publish_many([small, large])

    bodies = [
        json.loads(message["Body"]) for message in receive_at_least(fanout_topology.queue_url("analytics"), 2)
    ]
    inline = [body for body in bodies if isinstance(body, dict)]
    assert [body["id"] for body in inline] == [small.id]
    assert len(bodies) == 2
    stored = sync_client("s3").list_objects_v2(Bucket=bucket)["Contents"]
    assert [item["Key"] for item in stored] == [PayloadPointer.for_event(bucket, large.id).key]
