"""Retries after backoff, exhausted retries and permanent failures to the DLQ, timeouts, hooks."""

import asyncio
from typing import Any

import pytest
from runtime_helpers import (
    MakeQueue,
    OrdersRecorder,
    RecordingService,
    attribute,
    depth,
    fast_settings,
    placed,
    receive_all,
    send_event,
    wait_for_depth,
    wait_until,
)

from consumers.runtime.backoff import Fixed
from consumers.runtime.consumer import Consumer
from consumers.runtime.context import HandlerContext
from consumers.runtime.errors import HandlerTimeout, PermanentError, RetryableError
from consumers.runtime.service import handles
from fanout.contract import CloudEvent, OrderPlaced
from fanout.contract.deadletter import DeadLetterAttribute


class RetriesAfterThreeSeconds(RecordingService):
    @handles(OrderPlaced, retry=Fixed(interval_s=3))
    async def on_placed(self, event: CloudEvent[OrderPlaced], context: HandlerContext) -> None:
        await self.record(event, context)


class PermanentOnKeyError(RecordingService):
    @handles(OrderPlaced, permanent=(KeyError,))
    async def on_placed(self, event: CloudEvent[OrderPlaced], context: HandlerContext) -> None:
        await self.record(event, context)


class TimesOutAfterHalfASecond(RecordingService):
    @handles(OrderPlaced, timeout_s=0.5)
    async def on_placed(self, event: CloudEvent[OrderPlaced], context: HandlerContext) -> None:
        await self.record(event, context)


async def fail_first_attempt(event: CloudEvent[Any], context: HandlerContext) -> None:
    if context.attempt == 1:
        raise ConnectionError("database unavailable")


@pytest.mark.conformance
async def test_a_failed_message_comes_back_after_its_backoff_not_before(make_timed_queue: MakeQueue) -> None:
    """Visibility timeout 30 s, backoff 3 s: the second attempt comes at ~3 s, from our delay."""
    queue = make_timed_queue(visibility_timeout_s=30, max_receive_count=5)
    event = placed()
    send_event(queue.url, event)
    service = RetriesAfterThreeSeconds(fail_first_attempt)
    async with Consumer(service, queue.url, queue.dlq_url, fast_settings()).running():
        await wait_until(lambda: len(service.calls) == 1, what="the first attempt")
        await asyncio.sleep(2.0)
        assert len(service.calls) == 1  # not redelivered before the delay
        await wait_until(lambda: len(service.calls) == 2, timeout_s=5, what="the retry")
        await wait_for_depth(queue.url, lambda d: d.total == 0, what="the retried message deleted")
    first, second = service.calls
    assert 2.5 <= second.at - first.at < 10  # the 3 s backoff, far below the 30 s visibility timeout
    assert second.context.attempt == 2
    [(attempt, error, retried)] = service.retries
    assert (attempt, type(error), retried) == (1, ConnectionError, event)
    assert service.failures == []


@pytest.mark.conformance
async def test_a_poison_message_ends_in_the_dlq_with_retries_exhausted(make_queue: MakeQueue) -> None:
    queue = make_queue(max_receive_count=3)
    event = placed()
    send_event(queue.url, event)

    async def always_fail(event: CloudEvent[Any], context: HandlerContext) -> None:
        raise ValueError("cannot handle this one")

    service = OrdersRecorder(always_fail)  # the settings' default backoff: fixed 0 s
    async with Consumer(service, queue.url, queue.dlq_url, fast_settings()).running():
        await wait_for_depth(queue.dlq_url, lambda d: d.visible == 1, what="the dead letter")
        await wait_for_depth(queue.url, lambda d: d.total == 0, what="the source queue empty")
    assert [call.context.attempt for call in service.calls] == [1, 2, 3]
    assert [attempt for attempt, _, _ in service.retries] == [1, 2]
    [(error, failed_event)] = service.failures
    assert isinstance(error, ValueError) and failed_event == event
    [dead] = receive_all(queue.dlq_url)
    assert dead["Body"] == event.model_dump_json()
    assert attribute(dead, DeadLetterAttribute.REASON) == "retries_exhausted"
    assert attribute(dead, DeadLetterAttribute.RECEIVE_COUNT) == "3"
    assert "cannot handle this one" in attribute(dead, DeadLetterAttribute.DETAIL)
    assert attribute(dead, "event_type") == "order.placed"  # original attributes kept


@pytest.mark.conformance
async def test_permanent_errors_go_to_the_dlq_at_once(make_queue: MakeQueue) -> None:
    queue = make_queue(max_receive_count=5)
    by_permanent_error, by_listed_type = placed("o-permanent"), placed("o-key-error")

    async def refuse(event: CloudEvent[Any], context: HandlerContext) -> None:
        if event.id == by_permanent_error.id:
            raise PermanentError("address does not exist")
        raise KeyError("sku")

    send_event(queue.url, by_permanent_error)
    send_event(queue.url, by_listed_type)
    service = PermanentOnKeyError(refuse)
    async with Consumer(service, queue.url, queue.dlq_url, fast_settings()).running():
        await wait_for_depth(queue.dlq_url, lambda d: d.visible == 2, what="two dead letters")
        await wait_for_depth(queue.url, lambda d: d.total == 0, what="the source queue empty")
    assert len(service.calls) == 2 and service.retries == []
    assert sorted(type(error).__name__ for error, _ in service.failures) == ["KeyError", "PermanentError"]
    dead = {message["Body"]: message for message in receive_all(queue.dlq_url)}
    for event in (by_permanent_error, by_listed_type):
        message = dead[event.model_dump_json()]
        assert attribute(message, DeadLetterAttribute.REASON) == "permanent_failure"
        assert attribute(message, DeadLetterAttribute.RECEIVE_COUNT) == "1"
    assert "address does not exist" in attribute(
        dead[by_permanent_error.model_dump_json()], DeadLetterAttribute.DETAIL
    )


@pytest.mark.conformance
async def test_a_handler_timeout_is_retried(make_queue: MakeQueue) -> None:
    queue = make_queue(max_receive_count=5)
    event = placed()

    async def hang_first_time(event: CloudEvent[Any], context: HandlerContext) -> None:
        if context.attempt == 1:
            await asyncio.sleep(30)

    send_event(queue.url, event)
    service = TimesOutAfterHalfASecond(hang_first_time)
    async with Consumer(service, queue.url, queue.dlq_url, fast_settings()).running():
        await wait_until(lambda: len(service.calls) == 2, what="the retry after the timeout")
        await wait_for_depth(queue.url, lambda d: d.total == 0, what="the message deleted")
    [(attempt, error, _)] = service.retries
    assert attempt == 1 and isinstance(error, HandlerTimeout)
    assert service.calls[1].context.attempt == 2


@pytest.mark.conformance
async def test_a_retry_delay_past_twelve_hours_is_clipped_not_refused(make_timed_queue: MakeQueue) -> None:
    """SQS refuses a visibility timeout over 12 h: asked for 50,000 s, the runtime sets what is left of
    12 h. Refused, the message would be back after the queue's 2 s timeout and handled again."""
    queue = make_timed_queue(visibility_timeout_s=2, max_receive_count=5)
    send_event(queue.url, placed())

    async def later_please(event: CloudEvent[Any], context: HandlerContext) -> None:
        raise RetryableError("come back tomorrow", delay_s=50_000)

    service = OrdersRecorder(later_please)
    async with Consumer(service, queue.url, queue.dlq_url, fast_settings(drain_timeout_s=1)).running():
        await wait_until(lambda: len(service.retries) == 1, what="the first attempt retried")
        await asyncio.sleep(4)  # twice the queue's visibility timeout
        held = depth(queue.url)
    assert len(service.calls) == 1
    assert (held.visible, held.in_flight) == (0, 1)
