"""Publishing against the real moto endpoint: fan-out, batching, size limits, retries, FIFO."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from conftest import Drain, FaultySns, MakeBlob, PublishMany
from endpoint_support import receive_at_least, wait_until_visible

from consumers.runtime.backoff import Exponential
from fanout.aws import sync_client
from fanout.contract import ORDER_EVENTS, OrderItem, OrderPlaced, OrderShipped, new_event
from fanout.contract.envelope import CloudEvent
from fanout.contract.wire import message_attributes
from fanout.topology import AppliedTopology
from producer.async_publisher import AsyncPublisher
from producer.demo import demo_events
from producer.entries import (
    DEFAULT_MAX_MESSAGE_BYTES,
    LARGEST_MAX_MESSAGE_BYTES,
    OversizedMessage,
    build_entry,
)
from producer.options import PublishOptions, RetryPolicy
from producer.publisher import Publisher

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
FAST_RETRY = RetryPolicy(max_attempts=3, backoff=Exponential(initial_s=0.01, factor=2.0, cap_s=0.05))
CONSUMERS = ("email", "inventory", "analytics")


def shipped(order_id: str = "ord-1") -> CloudEvent[OrderShipped]:
    data = OrderShipped(order_id=order_id, carrier="DHL", tracking_number="TRK1", shipped_at=START)
    return new_event(data, correlation_id="corr-42")


def big_order(order_id: str, items: int) -> CloudEvent[OrderPlaced]:
    """A valid order.placed of roughly 300 bytes per item (long SKUs)."""
    lines = [
        OrderItem(sku=f"{n:04d}" + "S" * 250, quantity=1, unit_price=Decimal("1.25")) for n in range(items)
    ]
    data = OrderPlaced(
        order_id=order_id,
        customer_id="cust-1",
        customer_email="ada@example.com",
        items=lines,
        total=Decimal("1.25") * items,
        currency="EUR",
        placed_at=START,
    )
    return new_event(data)


def received(topology: AppliedTopology, drain: Drain) -> dict[str, list[dict[str, Any]]]:
    return {name: drain(topology.queue_url(name)) for name in CONSUMERS}


def event_ids(messages: list[dict[str, Any]]) -> list[str]:
    return sorted(json.loads(message["Body"])["id"] for message in messages)


def expected_ids(topology: AppliedTopology, events: list[CloudEvent[Any]]) -> dict[str, list[str]]:
    return {
        name: sorted(e.id for e in events if e.type in topology.declared.consumer(name).event_types)
        for name in CONSUMERS
    }


def assert_delivered_raw(message: dict[str, Any], event: CloudEvent[Any]) -> None:
    """Raw delivery: the body is the envelope itself and the three attributes travel with it."""
    assert ORDER_EVENTS.decode(message["Body"]) == event
    attributes = {name: dict(value) for name, value in message["MessageAttributes"].items()}
    assert attributes == message_attributes(event)


@pytest.mark.conformance
def test_publish_one_event_reaches_only_subscribed_queues(
    fanout_topology: AppliedTopology, drain: Drain
) -> None:
    event = shipped()
    result = Publisher().publish(event)
    assert (result.event_id, result.error, result.attempts) == (event.id, None, 1)
    assert result.message_id
    queues = received(fanout_topology, drain)
    assert queues["inventory"] == []  # inventory does not take order.shipped
    for name in ("email", "analytics"):
        [message] = queues[name]
        assert_delivered_raw(message, event)


@pytest.mark.conformance
async def test_async_publish_one_event_reaches_only_subscribed_queues(
    fanout_topology: AppliedTopology, drain: Drain
) -> None:
    event = shipped()
    async with AsyncPublisher() as publisher:
        assert publisher.topic_arn == fanout_topology.deployed.topic_arn
        result = await publisher.publish(event)
    assert result.ok and result.attempts == 1
    queues = received(fanout_topology, drain)
    assert queues["inventory"] == []
    for name in ("email", "analytics"):
        [message] = queues[name]
        assert_delivered_raw(message, event)


@pytest.mark.conformance
def test_batch_of_25_fans_out_per_filter_in_calls_of_10(
    fanout_topology: AppliedTopology, faulty_sns: FaultySns, drain: Drain, publish_many: PublishMany
) -> None:
    events = demo_events(25, seed=3, start=START)
    assert {e.type for e in events} == ORDER_EVENTS.event_types  # every filter is exercised
    result = publish_many(events)
    assert [r.event_id for r in result.succeeded] == [e.id for e in events]
    assert all(r.attempts == 1 for r in result.results) and not result.failed
    assert len(set(result.message_ids.values())) == 25
    # the async publisher has batches in flight at once: their order at the endpoint may vary
    assert sorted(len(request) for request in faulty_sns.plan.requests) == [5, 10, 10]
    queues = received(fanout_topology, drain)
    assert {name: event_ids(messages) for name, messages in queues.items()} == expected_ids(
        fanout_topology, events
    )
    assert len(queues["analytics"]) == 25
    by_id = {e.id: e for e in events}
    for message in queues["inventory"]:
        assert_delivered_raw(message, by_id[json.loads(message["Body"])["id"]])


def test_batches_are_split_by_total_size_not_only_count(
    fanout_topology: AppliedTopology, faulty_sns: FaultySns, drain: Drain, publish_many: PublishMany
) -> None:
    events = [big_order(f"ord-big-{n}", items=300) for n in range(5)]
    sizes = {build_entry(e, fifo=False).size for e in events}
    assert all(2 * size <= DEFAULT_MAX_MESSAGE_BYTES < 3 * size for size in sizes)  # ~90 KB each
    result = publish_many(events)
    assert not result.failed
    # 3 would pass 256 KiB (the async publisher's concurrent calls may arrive in any order)
    assert sorted(len(request) for request in faulty_sns.plan.requests) == [1, 2, 2]
    assert event_ids(drain(fanout_topology.queue_url("analytics"))) == sorted(e.id for e in events)


def test_oversized_message_fails_before_any_call(
    fanout_topology: AppliedTopology,
    faulty_sns: FaultySns,
    drain: Drain,
    make_blob: MakeBlob,
    publish_many: PublishMany,
) -> None:
    small, blob = shipped(), make_blob(300_000)
    with pytest.raises(
        OversizedMessage, match=rf"262,144-byte .*: {blob.id} \(300,\d{{3}} bytes\)"
    ) as raised:
        publish_many([small, blob])
    assert "nothing was published" in str(raised.value)
    assert faulty_sns.plan.requests == []
    assert received(fanout_topology, drain) == {name: [] for name in CONSUMERS}


def test_partial_failure_retries_only_retryable_entries(
    fanout_topology: AppliedTopology,
    faulty_sns: FaultySns,
    drain: Drain,
    make_blob: MakeBlob,
    publish_many: PublishMany,
) -> None:
    events: list[CloudEvent[Any]] = list(demo_events(12, seed=5, start=START))
    recovers, never, too_long = events[3], events[10], make_blob(300_000)
    events.insert(7, too_long)  # moto rejects > 256 KiB per entry: SenderFault, not retryable
    faulty_sns.plan.fail(recovers.id, times=2)  # server fault twice, then accepted
    faulty_sns.plan.fail(never.id, times=99)  # server fault every time
    options = PublishOptions(max_message_bytes=LARGEST_MAX_MESSAGE_BYTES, retry=FAST_RETRY)

    result = publish_many(events, options=options)

    first_round = [e.id for e in events]
    requests = faulty_sns.plan.requests
    # the async publisher sends a round's batches concurrently: they may arrive in either order
    assert sorted(requests[:2]) == sorted([first_round[:10], first_round[10:]])
    assert requests[2:] == [[recovers.id, never.id], [recovers.id, never.id]]  # retry rounds, after it
    by_id = {r.event_id: r for r in result.results}
    assert [r.event_id for r in result.results] == first_round  # results keep the caller's order
    assert by_id[recovers.id].ok and by_id[recovers.id].attempts == 3
    assert not by_id[never.id].ok and by_id[never.id].attempts == 3
    assert by_id[never.id].error == "InternalError: injected"
    assert not by_id[too_long.id].ok and by_id[too_long.id].attempts == 1
    assert by_id[too_long.id].error is not None and by_id[too_long.id].error.startswith("InvalidParameter")
    assert {r.event_id for r in result.failed} == {never.id, too_long.id}
    assert all(r.attempts == 1 for r in result.succeeded if r.event_id != recovers.id)
    published = [e for e in events if e.id not in {never.id, too_long.id}]
    assert event_ids(drain(fanout_topology.queue_url("analytics"))) == sorted(
        e.id for e in published
    )  # once each


def test_whole_call_failure_stops_and_reports_every_event(
    fanout_topology: AppliedTopology, faulty_sns: FaultySns, publish_many: PublishMany
) -> None:
    missing_topic = fanout_topology.deployed.topic_arn + "-gone"
    events = demo_events(15, seed=2, start=START)
    result = publish_many(events, topic_arn=missing_topic)
    assert len(faulty_sns.plan.requests) == 1  # no point sending the second batch
    assert not result.succeeded
    assert [r.attempts for r in result.results] == [1] * 10 + [0] * 5
    assert all("NotFound" in (r.error or "") for r in result.results[:10])
    assert all((r.error or "").startswith("not sent: ") for r in result.results[10:])


@pytest.mark.conformance
def test_fifo_topic_orders_by_order_id_and_deduplicates_by_event_id(fanout_prefix: str, drain: Drain) -> None:
    sns, sqs = sync_client("sns"), sync_client("sqs")
    topic_arn = sns.create_topic(Name=f"{fanout_prefix}-fifo-orders.fifo", Attributes={"FifoTopic": "true"})[
        "TopicArn"
    ]
    queue_url = sqs.create_queue(
        QueueName=f"{fanout_prefix}-fifo-audit.fifo", Attributes={"FifoQueue": "true"}
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    events = [shipped("ord-a"), shipped("ord-b"), shipped("ord-a")]
    publisher = Publisher(topic_arn=topic_arn)
    assert not publisher.publish_many(events).failed
    assert not publisher.publish_many(events[:1]).failed  # a re-send of the same event id
    wait_until_visible(queue_url, 3)
    messages = receive_at_least(queue_url, 3, AttributeNames=["All"])
    held = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert (held["ApproximateNumberOfMessages"], held["ApproximateNumberOfMessagesNotVisible"]) == ("0", "3")
    # FIFO orders within a message group only; a receive may return the groups in any order.
    for group in ("ord-a", "ord-b"):
        in_group = [m for m in messages if m["Attributes"]["MessageGroupId"] == group]
        assert [json.loads(m["Body"])["id"] for m in in_group] == [e.id for e in events if e.subject == group]
        assert [m["Attributes"]["MessageDeduplicationId"] for m in in_group] == [
            e.id for e in events if e.subject == group
        ]
