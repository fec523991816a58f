"""Idempotency: the same event delivered twice (one after the other, or both at once) runs once."""

import asyncio
import time
from typing import Any

import pytest
from runtime_helpers import MakeQueue, OrdersRecorder, fast_settings, placed, send_event, wait_for_depth

from consumers.runtime.consumer import Consumer
from consumers.runtime.context import HandlerContext
from consumers.runtime.idempotency import ClaimResult
from consumers.runtime.observer import NullObserver, Outcome
from fanout.contract import CloudEvent


class MemoryStore:
    """A minimal in-process IdempotencyStore with leases."""

    def __init__(self) -> None:
        self.done: set[tuple[str, str]] = set()
        self.leases: dict[tuple[str, str], float] = {}
        self.claims: list[ClaimResult] = []

    async def claim(self, consumer: str, event_id: str, lease_s: float) -> ClaimResult:
        key = (consumer, event_id)
        if key in self.done:
            result = ClaimResult.DONE
        elif self.leases.get(key, 0.0) > time.monotonic():
            result = ClaimResult.BUSY
        else:
            self.leases[key] = time.monotonic() + lease_s
            result = ClaimResult.ACQUIRED
        self.claims.append(result)
        return result

    async def complete(self, consumer: str, event_id: str) -> None:
        self.done.add((consumer, event_id))
        self.leases.pop((consumer, event_id), None)

    async def release(self, consumer: str, event_id: str) -> None:
        self.leases.pop((consumer, event_id), None)

    async def close(self) -> None:
        return None


class OutcomeLog(NullObserver):
    def __init__(self) -> None:
        self.outcomes: list[str] = []

    def on_outcome(self, consumer: str, outcome: str, *args: Any) -> None:
        self.outcomes.append(outcome)


@pytest.mark.parametrize("together", [False, True])
async def test_a_duplicate_delivery_runs_the_handler_once(make_queue: MakeQueue, together: bool) -> None:
    queue = make_queue()
    event = placed()

    async def slow(event: CloudEvent[Any], context: HandlerContext) -> None:
        await asyncio.sleep(0.5)  # both copies overlap when sent together

    store, outcomes = MemoryStore(), OutcomeLog()
    service = OrdersRecorder(slow)
    settings = fast_settings(busy_retry_delay_s=1)
    send_event(queue.url, event)
    if together:
        send_event(queue.url, event)
    consumer = Consumer(service, queue.url, queue.dlq_url, settings, [outcomes], idempotency=store)
    async with consumer.running():
        if not together:
            await wait_for_depth(queue.url, lambda d: d.total == 0, what="the first copy handled")
            send_event(queue.url, event)
        await wait_for_depth(queue.url, lambda d: d.total == 0, timeout_s=15, what="both copies deleted")
    assert len(service.calls) == 1
    assert sorted(outcomes.outcomes) == (
        [Outcome.DUPLICATE, Outcome.HANDLED, Outcome.RETRY]
        if together
        else [Outcome.DUPLICATE, Outcome.HANDLED]
    )
    assert store.done == {("recorder", event.id)}
    if together:  # the second copy found a live claim, came back after the busy delay, then was done
        assert store.claims == [ClaimResult.ACQUIRED, ClaimResult.BUSY, ClaimResult.DONE]
