"""The heartbeat at SQS's 12-hour ceiling: extensions are clipped to it, and stop once it is reached.

Deliveries are real (received from the endpoint); only their receipt time is moved back, as if the
handler had been running for almost 12 hours.
"""

import asyncio
import dataclasses
import time
from collections.abc import Sequence

import pytest
from runtime_helpers import MakeQueue, placed, send_event

from consumers.runtime.backoff import MAX_VISIBILITY_S
from consumers.runtime.broker import BatchFailure, QueueBroker
from consumers.runtime.heartbeat import Heartbeat
from consumers.runtime.message import VISIBILITY_MARGIN_S, ReceivedMessage
from fanout.aws import async_client

VISIBILITY_S = 3


class RecordingBroker(QueueBroker):
    """The real broker, noting each visibility change it sends."""

    changes: list[tuple[str, int]]

    async def change_visibility(self, changes: Sequence[tuple[ReceivedMessage, int]]) -> list[BatchFailure]:
        self.changes += [(message.message_id, timeout) for message, timeout in changes]
        return await super().change_visibility(changes)


def aged(message: ReceivedMessage, headroom_s: float) -> ReceivedMessage:
    """The same delivery, as if received so long ago that only `headroom_s` are left of 12 h."""
    age = MAX_VISIBILITY_S - VISIBILITY_MARGIN_S - headroom_s
    return dataclasses.replace(message, received_at=time.monotonic() - age)


@pytest.mark.conformance
async def test_extensions_are_clipped_to_twelve_hours_then_stop(make_timed_queue: MakeQueue) -> None:
    queue = make_timed_queue(visibility_timeout_s=VISIBILITY_S)
    for order in ("fresh", "near-limit", "at-limit"):
        send_event(queue.url, placed(order))
    async with async_client("sqs") as sqs:
        broker = RecordingBroker(sqs, queue.url, queue.dlq_url)
        broker.changes = []
        received: list[ReceivedMessage] = []
        while len(received) < 3:
            received += await broker.receive(3 - len(received), wait_time_s=1)
        fresh, near, at_limit = received[0], aged(received[1], 1.6), aged(received[2], 0)
        heartbeat = Heartbeat(broker, VISIBILITY_S)
        for message in (fresh, near, at_limit):
            heartbeat.track(message)
        beating = asyncio.create_task(heartbeat.run())
        try:
            await asyncio.sleep(VISIBILITY_S + 1.5)
            # Past the queue's visibility timeout: the fresh one is still held, the one at the limit is back.
            back = await broker.receive(10, wait_time_s=1)
        finally:
            beating.cancel()
    by_message: dict[str, list[int]] = {}
    for message_id, timeout in broker.changes:
        by_message.setdefault(message_id, []).append(timeout)
    assert by_message[fresh.message_id][0] == VISIBILITY_S  # a full timeout while far from 12 h
    assert by_message[near.message_id] == [1]  # clipped to what was left of 12 h, then no more
    assert at_limit.message_id not in by_message  # nothing left: never extended
    assert fresh.message_id not in {message.message_id for message in back}
    assert at_limit.message_id in {message.message_id for message in back}
