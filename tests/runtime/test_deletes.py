"""Batched deletes against the real endpoint; a failed DLQ send never loses the message."""

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pytest
from runtime_helpers import (
    MakeQueue,
    OrdersRecorder,
    QueuePair,
    depth,
    fast_settings,
    placed,
    send_body,
    send_event,
    wait_for_depth,
    wait_until,
)

from consumers.runtime.acker import DeleteBatcher
from consumers.runtime.broker import BatchFailure, QueueBroker
from consumers.runtime.consumer import Consumer
from consumers.runtime.message import ReceivedMessage
from fanout.aws import async_client, sync_client

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient


class CountingBroker(QueueBroker):
    """The real broker, recording each delete call's size; the first `fail_calls` calls fail."""

    def __init__(self, sqs: "SQSClient", queue: QueuePair, fail_calls: int = 0) -> None:
        super().__init__(sqs, queue.url, queue.dlq_url)
        self.delete_calls: list[int] = []
        self.fail_calls = fail_calls

    async def delete(self, messages: Sequence[ReceivedMessage]) -> list[BatchFailure]:
        self.delete_calls.append(len(messages))
        if len(self.delete_calls) <= self.fail_calls:
            raise ConnectionError("network blip")
        return await super().delete(messages)


async def receive_ten(broker: QueueBroker) -> list[ReceivedMessage]:
    received: list[ReceivedMessage] = []
    while len(received) < 10:
        received += await broker.receive(10 - len(received), wait_time_s=1)
    return received


@pytest.mark.conformance
async def test_ten_finished_messages_are_deleted_in_one_call(make_queue: MakeQueue) -> None:
    queue = make_queue()
    for index in range(10):
        send_event(queue.url, placed(f"o-{index}"))
    async with async_client("sqs") as sqs:
        broker = CountingBroker(sqs, queue)
        deletes = DeleteBatcher(broker, flush_interval_s=0.5)
        flushing = asyncio.create_task(deletes.run())
        for message in await receive_ten(broker):
            deletes.delete(message)
        await wait_for_depth(queue.url, lambda d: d.total == 0, what="all ten deleted")
        flushing.cancel()
    assert broker.delete_calls == [10]  # one batch: full before the flush interval ran out


async def test_the_flush_loop_stops_when_cancelled_as_its_batch_fills(make_queue: MakeQueue) -> None:
    """A cancellation arriving as the tenth delete fills the batch must end the loop (shutdown hung)."""
    queue = make_queue()
    for index in range(10):
        send_event(queue.url, placed(f"o-{index}"))
    async with async_client("sqs") as sqs:
        broker = CountingBroker(sqs, queue)
        deletes = DeleteBatcher(broker, flush_interval_s=60)
        received = await receive_ten(broker)
        flushing = asyncio.create_task(deletes.run())
        deletes.delete(received[0])
        await asyncio.sleep(0.01)  # the loop now waits for a full batch
        for message in received[1:]:
            deletes.delete(message)
        flushing.cancel()  # in the same loop iteration as the batch becoming full
        done, _ = await asyncio.wait({flushing}, timeout=5)
        assert done, "the flush loop swallowed its cancellation"
        assert flushing.cancelled()
        await deletes.close()  # what shutdown does next: the batch still goes out
    assert broker.delete_calls == [10]


async def test_a_failed_delete_call_is_retried(make_queue: MakeQueue) -> None:
    queue = make_queue()
    for index in range(3):
        send_event(queue.url, placed(f"o-{index}"))
    async with async_client("sqs") as sqs:
        broker = CountingBroker(sqs, queue, fail_calls=1)
        deletes = DeleteBatcher(broker, flush_interval_s=0.05)
        flushing = asyncio.create_task(deletes.run())
        received: list[ReceivedMessage] = []
        while len(received) < 3:
            received += await broker.receive(3, wait_time_s=1)
        for message in received:
            deletes.delete(message)
        await wait_for_depth(queue.url, lambda d: d.total == 0, what="deleted after the retry")
        flushing.cancel()
    assert broker.delete_calls == [3, 3]


async def test_when_the_dlq_send_fails_the_message_stays_on_its_queue(make_queue: MakeQueue) -> None:
    queue = make_queue(visibility_timeout_s=2)
    sync_client("sqs").delete_queue(QueueUrl=queue.dlq_url)  # every dead-letter send now fails
    send_body(queue.url, "{not json")
    service = OrdersRecorder()
    async with Consumer(service, queue.url, queue.dlq_url, fast_settings()).running():
        await wait_until(lambda: depth(queue.url).in_flight == 1, what="the malformed message received")
        valid = placed()
        send_event(queue.url, valid)
        await wait_until(lambda: service.handled_ids() == [valid.id], what="the consumer still working")
    await wait_for_depth(queue.url, lambda d: d.total == 1, what="the malformed message still there")
    assert service.failures == []  # not given up: it will be redelivered
