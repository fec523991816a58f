"""Poller → translation → handler → delete, and bad input straight to the DLQ with its reason."""

import json
from datetime import datetime
from typing import Any

import pytest
from runtime_helpers import (
    MakeQueue,
    OrdersRecorder,
    attribute,
    cancelled,
    fast_settings,
    placed,
    receive_all,
    send_body,
    send_event,
    shipped,
    wait_for_depth,
    wait_until,
)

from consumers.runtime.consumer import Consumer
from consumers.runtime.observer import NullObserver, Outcome
from fanout.aws import sync_client
from fanout.contract import OrderCancelled, OrderPlaced
from fanout.contract.deadletter import DeadLetterAttribute
from fanout.contract.wire import message_attributes
from fanout.topology import AppliedTopology


@pytest.mark.conformance
async def test_raw_and_sns_enveloped_bodies_reach_the_handler_and_are_deleted(make_queue: MakeQueue) -> None:
    queue = make_queue()
    raw, enveloped = placed("o-raw"), cancelled("o-env")
    send_event(queue.url, raw)
    send_event(queue.url, enveloped, enveloped=True)
    service, observer = OrdersRecorder(), CountingObserver()
    consumer = Consumer(service, queue.url, queue.dlq_url, fast_settings(), [observer])
    assert not await consumer.ready()
    async with consumer.running():
        assert await consumer.ready()
        await wait_until(lambda: len(service.calls) == 2, what="both events handled")
        await wait_for_depth(queue.url, lambda d: d.total == 0, what="both messages deleted")
    assert not await consumer.ready()
    assert observer.received == 2 and observer.outcomes == [Outcome.HANDLED, Outcome.HANDLED]
    assert max(observer.in_flight) >= 1 and observer.in_flight[-1] == 0
    by_id = {call.event.id: call.event for call in service.calls}
    assert by_id == {raw.id: raw, enveloped.id: enveloped}
    assert isinstance(by_id[raw.id].data, OrderPlaced)
    assert isinstance(by_id[enveloped.id].data, OrderCancelled)
    assert service.started and service.stopped
    assert receive_all(queue.dlq_url) == []


@pytest.mark.conformance
async def test_events_published_to_the_topic_reach_the_handler_typed(
    fanout_topology: AppliedTopology,
) -> None:
    event = placed("o-sns")
    sync_client("sns").publish(
        TopicArn=fanout_topology.deployed.topic_arn,
        Message=event.model_dump_json(),
        MessageAttributes=message_attributes(event),  # type: ignore[arg-type]
    )
    service = OrdersRecorder()
    queue_url = fanout_topology.queue_url("inventory")
    async with Consumer(service, queue_url, fanout_topology.dlq_url("inventory"), fast_settings()).running():
        await wait_until(lambda: len(service.calls) == 1, what="the published event")
        await wait_for_depth(queue_url, lambda d: d.total == 0, what="the message deleted")
    call = service.calls[0]
    assert call.event == event
    assert isinstance(call.event.data, OrderPlaced)
    assert call.event.data.total == event.data.total
    assert call.context.attempt == 1
    assert call.context.max_attempts == 8  # read from the inventory queue's RedrivePolicy
    assert call.context.consumer == "recorder"


class CountingObserver(NullObserver):
    def __init__(self) -> None:
        self.received = 0
        self.outcomes: list[str] = []
        self.in_flight: list[int] = []

    def on_poll(self, consumer: str, received: int, latency_s: float) -> None:
        self.received += received

    def on_outcome(self, consumer: str, outcome: str, *args: Any) -> None:
        self.outcomes.append(outcome)

    def on_in_flight(self, consumer: str, count: int) -> None:
        self.in_flight.append(count)


def _document(event: Any, **changes: Any) -> str:
    document = json.loads(event.model_dump_json())
    document.update(changes)
    return json.dumps(document)


@pytest.mark.conformance
async def test_bad_messages_go_to_the_dlq_at_once_and_the_consumer_keeps_running(
    make_queue: MakeQueue,
) -> None:
    queue = make_queue(max_receive_count=5)
    valid_schema = json.loads(placed().model_dump_json())
    bad_data = _document(placed(), data={**valid_schema["data"], "total": "1.00"})
    unhandled = shipped()
    bodies = {
        "{not json": "malformed",
        "\t\r control characters and a \ufffd replacement": "malformed",  # SQS refuses \x00
        '{"hello": "world"}': "foreign",
        _document(placed(), type="order.refunded"): "unknown_type",
        bad_data: "schema_violation",
        unhandled.model_dump_json(): "unhandled_type",
    }
    for body in bodies:
        send_body(queue.url, body, {"origin": {"DataType": "String", "StringValue": "test"}})
    service = OrdersRecorder()
    started = datetime.now().astimezone()
    async with Consumer(service, queue.url, queue.dlq_url, fast_settings()).running():
        await wait_for_depth(queue.dlq_url, lambda d: d.visible == len(bodies), what="six dead letters")
        good = placed("o-after")
        send_event(queue.url, good)
        await wait_until(lambda: service.handled_ids() == [good.id], what="the valid message after them")
        await wait_for_depth(queue.url, lambda d: d.total == 0, what="the source queue empty")

    dead = receive_all(queue.dlq_url)
    reasons = {message["Body"]: attribute(message, DeadLetterAttribute.REASON) for message in dead}
    assert reasons == bodies  # every body byte-for-byte, each with its reason
    for message in dead:
        assert attribute(message, "origin") == "test"  # original attributes kept
        assert attribute(message, DeadLetterAttribute.RECEIVE_COUNT) == "1"  # at once, no retries
        assert attribute(message, DeadLetterAttribute.SOURCE_QUEUE) == queue.url.rsplit("/", 1)[-1]
        assert attribute(message, DeadLetterAttribute.DETAIL)
        first_seen = datetime.fromisoformat(attribute(message, DeadLetterAttribute.FIRST_SEEN))
        dead_at = datetime.fromisoformat(attribute(message, DeadLetterAttribute.DEAD_LETTERED_AT))
        assert started.timestamp() - 5 <= first_seen.timestamp() <= dead_at.timestamp()
    assert len(service.failures) == len(bodies)  # on_failure for each one given up
    assert [event for _, event in service.failures if event is not None] == [unhandled]
