"""HandlerSpy: waiting for outcomes recorded before and during the wait, and readable timeouts."""

import asyncio
import threading

import pytest

from consumers.runtime.errors import RetryableError
from consumers.runtime.observer import Outcome
from fanout.testing.spy import HandlerSpy, SpyRecord
from runtime_ops.support import cancelled_event, delivery


async def test_wait_for_resolves_on_an_outcome_recorded_after_it_started(handler_spy: HandlerSpy) -> None:
    event = cancelled_event()
    waiting = asyncio.create_task(handler_spy.wait_for(event_id=event.id, outcome=Outcome.HANDLED, timeout=5))
    await asyncio.sleep(0)  # the wait is registered and pending
    assert not waiting.done()

    handler_spy.on_outcome("email", Outcome.RETRY, event, delivery(), 0.1, RetryableError("smtp down"))
    handler_spy.on_outcome(
        "email", Outcome.HANDLED, cancelled_event(), delivery(), 0.1, None
    )  # another event
    await asyncio.sleep(0)
    assert not waiting.done()
    handler_spy.on_outcome("email", Outcome.HANDLED, event, delivery(attempt=2), 0.2, None)

    entry = await waiting
    assert (entry.event_id, entry.outcome, entry.context.attempt) == (event.id, "handled", 2)


async def test_wait_for_returns_an_outcome_recorded_before_it_started() -> None:
    spy = HandlerSpy()
    event = cancelled_event()
    spy.on_outcome("inventory", Outcome.DUPLICATE, event, delivery(), 0.0, None)

    entry = await spy.wait_for(event_id=event.id, timeout=0.01)

    assert entry.outcome == Outcome.DUPLICATE
    assert entry.consumer == "inventory"


async def test_wait_for_a_predicate_and_an_outcome_from_another_thread() -> None:
    spy = HandlerSpy()
    event = cancelled_event()

    def third_attempt(entry: SpyRecord) -> bool:
        return entry.context.attempt == 3

    waiting = asyncio.create_task(spy.wait_for(predicate=third_attempt, timeout=5))
    await asyncio.sleep(0)
    reporters = [
        threading.Thread(
            target=spy.on_outcome, args=("email", Outcome.RETRY, event, delivery(attempt=n), 0.0, None)
        )
        for n in (1, 2, 3)
    ]
    for reporter in reporters:
        reporter.start()
    for reporter in reporters:
        reporter.join()

    assert (await waiting).context.attempt == 3


async def test_timeout_lists_what_was_seen() -> None:
    spy = HandlerSpy()
    seen = cancelled_event()
    spy.on_outcome("email", Outcome.RETRY, seen, delivery(), 0.1, RetryableError("smtp down"))
    spy.on_outcome("email", Outcome.DEAD_LETTERED, None, delivery(), 0.1, None)

    with pytest.raises(TimeoutError) as raised:
        await spy.wait_for(event_id="missing-id", outcome=Outcome.HANDLED, timeout=0.05)

    message = str(raised.value)
    assert "no outcome matching event_id='missing-id', outcome='handled' within 0.05 s; seen 2" in message
    assert f"[email] retry order.cancelled id={seen.id}" in message
    assert "(RetryableError: smtp down)" in message
    assert "[email] dead_lettered undecoded body" in message


async def test_outcomes_and_handled_filter_the_record() -> None:
    spy = HandlerSpy()
    first, second = cancelled_event(), cancelled_event()
    spy.on_outcome("email", Outcome.HANDLED, first, delivery(), 0.1, None)
    spy.on_outcome("email", Outcome.RETRY, second, delivery(), 0.1, None)
    spy.on_outcome("email", Outcome.HANDLED, second, delivery(), 0.1, None)

    assert [entry.outcome for entry in spy.outcomes] == ["handled", "retry", "handled"]
    assert [entry.event_id for entry in spy.handled(event_type="order.cancelled")] == [first.id, second.id]
    assert spy.handled(event_type="order.placed") == []
