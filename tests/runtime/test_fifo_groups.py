"""FIFO queues: a message group's messages finish in order, even when one of them is retried."""

import asyncio
import json
from typing import Any

import pytest
from runtime_helpers import OrdersRecorder, fast_settings, placed, wait_for_depth, wait_until

from consumers.runtime.consumer import Consumer
from consumers.runtime.context import HandlerContext
from fanout.aws import sync_client
from fanout.contract import CloudEvent
from fanout.contract.deadletter import DeadLetterAttribute
from fanout.contract.wire import message_attributes


def fifo_queue(prefix: str, max_receive_count: int = 3) -> tuple[str, str]:
    """A FIFO queue and its FIFO DLQ (a DLQ must be of its source's type)."""
    sqs = sync_client("sqs")
    fifo = {"FifoQueue": "true"}
    dlq_url = sqs.create_queue(QueueName=f"{prefix}-orders-dlq.fifo", Attributes=fifo)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count}
    attributes = {**fifo, "VisibilityTimeout": "30", "RedrivePolicy": json.dumps(redrive)}
    return sqs.create_queue(QueueName=f"{prefix}-orders.fifo", Attributes=attributes)["QueueUrl"], dlq_url


def send_group(queue_url: str, group: str, events: list[CloudEvent[Any]]) -> None:
    sync_client("sqs").send_message_batch(
        QueueUrl=queue_url,
        Entries=[
            {
                "Id": str(index),
                "MessageBody": event.model_dump_json(),
                "MessageAttributes": message_attributes(event),  # type: ignore[typeddict-item]
                "MessageGroupId": group,
                "MessageDeduplicationId": event.id,
            }
            for index, event in enumerate(events)
        ],
    )


def order_of(service: OrdersRecorder, events: list[CloudEvent[Any]]) -> list[str]:
    """The group's event ids in the order their handlers finished successfully."""
    wanted = {event.id for event in events}
    return [event_id for event_id in service.finished if event_id in wanted]


class FinishingRecorder(OrdersRecorder):
    """Also notes, in order, each event whose handler returned without raising."""

    def __init__(self, behaviour: Any) -> None:
        super().__init__(behaviour)
        self.finished: list[str] = []

    async def record(self, event: CloudEvent[Any], context: HandlerContext) -> None:
        await super().record(event, context)
        self.finished.append(event.id)


@pytest.mark.conformance
async def test_a_slow_first_message_still_finishes_before_the_rest_of_its_group(fanout_prefix: str) -> None:
    queue_url, dlq_url = fifo_queue(fanout_prefix)
    group_a = [placed(f"a-{index}") for index in range(5)]
    group_b = [placed(f"b-{index}") for index in range(5)]
    send_group(queue_url, "a", group_a)
    send_group(queue_url, "b", group_b)

    async def first_is_slow(event: CloudEvent[Any], context: HandlerContext) -> None:
        if event.id in (group_a[0].id, group_b[0].id):
            await asyncio.sleep(0.5)

    service = FinishingRecorder(first_is_slow)
    async with Consumer(service, queue_url, dlq_url, fast_settings(concurrency=10)).running():
        await wait_until(lambda: len(service.finished) == 10, what="both groups handled")
    assert order_of(service, group_a) == [event.id for event in group_a]
    assert order_of(service, group_b) == [event.id for event in group_b]


@pytest.mark.conformance
async def test_a_retried_message_holds_back_its_group_until_it_is_handled(fanout_prefix: str) -> None:
    queue_url, dlq_url = fifo_queue(fanout_prefix)
    group = [placed(f"g-{index}") for index in range(5)]
    send_group(queue_url, "g", group)
    failing = group[1].id

    async def second_fails_once(event: CloudEvent[Any], context: HandlerContext) -> None:
        if event.id == failing and context.attempt == 1:
            raise RuntimeError("transient")

    service = FinishingRecorder(second_fails_once)
    async with Consumer(service, queue_url, dlq_url, fast_settings(concurrency=10)).running():
        await wait_until(lambda: len(service.finished) == 5, timeout_s=20, what="the group handled")
        await wait_for_depth(queue_url, lambda d: d.total == 0, what="the queue emptied")
    assert order_of(service, group) == [event.id for event in group]
    assert [retry[2].id for retry in service.retries] == [failing]


@pytest.mark.conformance
async def test_a_poison_message_of_a_group_goes_to_the_fifo_dlq(fanout_prefix: str) -> None:
    queue_url, dlq_url = fifo_queue(fanout_prefix)
    sync_client("sqs").send_message(
        QueueUrl=queue_url, MessageBody="{not json", MessageGroupId="g", MessageDeduplicationId="poison"
    )
    group = [placed("g-after")]
    send_group(queue_url, "g", group)

    service = FinishingRecorder(None)
    async with Consumer(service, queue_url, dlq_url, fast_settings()).running():
        await wait_until(lambda: len(service.finished) == 1, what="the group went on after the poison")
        dead = await wait_for_depth(dlq_url, lambda d: d.total == 1, what="the poison in the DLQ")
    assert dead.visible == 1
    [letter] = sync_client("sqs").receive_message(
        QueueUrl=dlq_url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"]
    )["Messages"]
    assert letter["MessageAttributes"][DeadLetterAttribute.REASON]["StringValue"] == "malformed"
    assert letter["Attributes"]["MessageGroupId"] == "g"


async def test_shutdown_gives_back_a_message_still_waiting_for_its_group(fanout_prefix: str) -> None:
    queue_url, dlq_url = fifo_queue(fanout_prefix)
    group = [placed("w-0"), placed("w-1")]
    send_group(queue_url, "w", group)

    async def first_never_ends(event: CloudEvent[Any], context: HandlerContext) -> None:
        await asyncio.Event().wait()

    service = FinishingRecorder(first_never_ends)
    async with Consumer(service, queue_url, dlq_url, fast_settings(drain_timeout_s=0.5)).running():
        await wait_until(lambda: len(service.calls) == 1, what="the first handler started")
        await wait_for_depth(queue_url, lambda d: d.in_flight == 2, what="both received")
    # Both are visible again at once (the queue's visibility timeout is 30 s), neither was handled.
    released = await wait_for_depth(queue_url, lambda d: d.visible == 2, timeout_s=5, what="both released")
    assert released.in_flight == 0
    assert [call.event.id for call in service.calls] == [group[0].id]
