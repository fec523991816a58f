"""Backpressure and pollers, observed on the endpoint: a full buffer stops receiving, and past 10
handler slots several long polls really are outstanding at once."""

import asyncio
import time
from typing import Any

import pytest
from runtime_helpers import MakeQueue, OrdersRecorder, depth, fast_settings, placed, send_body, wait_until

from consumers.runtime.consumer import Consumer
from consumers.runtime.context import HandlerContext
from consumers.runtime.observer import NullObserver
from fanout.contract import CloudEvent


class PollLog(NullObserver):
    """(start, end) of every receive call, on the monotonic clock."""

    def __init__(self) -> None:
        self.polls: list[tuple[float, float]] = []

    def on_poll(self, consumer: str, received: int, latency_s: float) -> None:
        end = time.monotonic()
        self.polls.append((end - latency_s, end))

    def most_at_once(self) -> int:
        edges = sorted([(start, 1) for start, _ in self.polls] + [(end, -1) for _, end in self.polls])
        running = peak = 0
        for _, step in edges:
            running += step
            peak = max(peak, running)
        return peak


@pytest.mark.conformance
async def test_a_full_buffer_stops_polling_until_a_handler_slot_frees(make_queue: MakeQueue) -> None:
    queue = make_queue()
    events = [placed(f"o-{index}") for index in range(12)]
    for event in events:
        send_body(queue.url, event.model_dump_json())
    release = asyncio.Event()

    async def wait_for_release(event: CloudEvent[Any], context: HandlerContext) -> None:
        await release.wait()

    service, polls = OrdersRecorder(wait_for_release), PollLog()
    settings = fast_settings(concurrency=2, buffer_size=3)
    async with Consumer(service, queue.url, queue.dlq_url, settings, [polls]).running():
        await wait_until(lambda: len(service.calls) == 2, what="both handler slots busy")
        # A poller receives only when a whole batch (here the buffer's 3 slots) fits: 3 were received,
        # 2 run, 1 waits; the 2 free slots are not worth a receive, so polling stops.
        await wait_until(lambda: depth(queue.url).in_flight == 3, what="2 running + 1 buffered received")
        polls_when_full = len(polls.polls)
        await asyncio.sleep(2.5)  # more than two long-poll waits (1 s)
        assert len(polls.polls) <= polls_when_full + 1  # at most the receive that filled the buffer
        assert depth(queue.url).in_flight == 3  # nothing more was taken from the queue
        assert len(service.calls) == 2

        release.set()
        await wait_until(lambda: len(service.calls) == 12, what="polling resumed and all were handled")
    assert sorted(service.handled_ids()) == sorted(event.id for event in events)


@pytest.mark.conformance
async def test_past_ten_slots_several_pollers_receive_at_once(make_queue: MakeQueue) -> None:
    queue = make_queue()
    settings = fast_settings(concurrency=25)
    assert settings.pollers == 3
    polls = PollLog()
    async with Consumer(OrdersRecorder(), queue.url, queue.dlq_url, settings, [polls]).running():
        await wait_until(lambda: len(polls.polls) >= 6, what="a few rounds of empty long polls")
    assert polls.most_at_once() >= 2  # (before: one poller took every free slot, the others waited)
