"""Per-message concurrency (no head-of-line blocking) and the visibility heartbeat."""

import asyncio
from typing import Any

import pytest
from runtime_helpers import (
    MakeQueue,
    OrdersRecorder,
    depth,
    fast_settings,
    placed,
    send_event,
    wait_for_depth,
    wait_until,
)

from consumers.runtime.consumer import Consumer
from consumers.runtime.context import HandlerContext
from fanout.contract import CloudEvent


@pytest.mark.conformance
async def test_a_blocked_handler_does_not_hold_back_the_rest_of_its_batch(make_queue: MakeQueue) -> None:
    queue = make_queue()
    events = [placed(f"o-{index}") for index in range(10)]
    blocked_id = events[0].id
    unblock = asyncio.Event()

    async def block_the_first(event: CloudEvent[Any], context: HandlerContext) -> None:
        if event.id == blocked_id:
            await unblock.wait()

    for event in events:
        send_event(queue.url, event)
    service = OrdersRecorder(block_the_first)
    async with Consumer(service, queue.url, queue.dlq_url, fast_settings(concurrency=10)).running():
        await wait_until(lambda: len(service.calls) == 10, what="all ten handlers started")
        # the nine others finish and are deleted while the first is still blocked
        remaining = await wait_for_depth(queue.url, lambda d: d.total == 1, what="nine deleted")
        assert remaining.in_flight == 1
        unblock.set()
        await wait_for_depth(queue.url, lambda d: d.total == 0, what="the blocked one deleted")
    assert sorted(service.handled_ids()) == sorted(event.id for event in events)


@pytest.mark.parametrize("heartbeat", [True, False])
@pytest.mark.conformance
async def test_the_heartbeat_keeps_a_slow_message_invisible_while_its_handler_runs(
    make_timed_queue: MakeQueue, heartbeat: bool
) -> None:
    """Handler runs 5 s on a 2 s visibility timeout: called once; without the heartbeat (the
    control case) the message reappears and is handled again while the first call still runs.
    The endpoint runs in its own process, so the test's own load cannot delay the heartbeat."""
    queue = make_timed_queue(visibility_timeout_s=2, max_receive_count=5)
    event = placed()
    send_event(queue.url, event)

    async def slow(event: CloudEvent[Any], context: HandlerContext) -> None:
        await asyncio.sleep(5)

    service = OrdersRecorder(slow)
    settings = fast_settings(heartbeat=heartbeat, drain_timeout_s=10)
    async with Consumer(service, queue.url, queue.dlq_url, settings).running():
        await wait_until(lambda: len(service.calls) >= 1, what="the first call")
        await asyncio.sleep(5.5)  # the first call finishes (and without heartbeat, a second started)
        await wait_until(lambda: depth(queue.url).total == 0, timeout_s=10, what="the message deleted")
    attempts = [call.context.attempt for call in service.calls]
    if heartbeat:
        assert attempts == [1]
    else:
        assert attempts[:2] == [1, 2]
