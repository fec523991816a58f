"""Delayed delivery: an event with `notbefore` is deferred with ChangeMessageVisibility, never
handled before it is due, survives a consumer restart, and is dead-lettered with a reason when the
queue's receives cannot cover its delay."""

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from runtime_helpers import (
    MakeQueue,
    OrdersRecorder,
    attribute,
    fast_settings,
    placed,
    receive_all,
    send_event,
    wait_for_depth,
    wait_until,
)

from consumers.runtime.consumer import Consumer
from consumers.runtime.delay import deferral
from consumers.runtime.message import ReceivedMessage
from fanout.cli import main
from fanout.contract import CloudEvent
from fanout.contract.deadletter import DeadLetterAttribute, DeadLetterReason
from fanout.testing.plugin import TEST_PREFIX
from fanout.testing.spy import HandlerSpy
from fanout.topology import AppliedTopology

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
TWELVE_HOURS = 43_200


def delivery(receive_count: int = 1, received_s_ago: float = 0.0) -> ReceivedMessage:
    return ReceivedMessage(
        message_id="m-1",
        receipt_handle="r-1",
        body="{}",
        system_attributes={"ApproximateReceiveCount": str(receive_count)},
        message_attributes={},
        received_at=time.monotonic() - received_s_ago,
    )


def delayed(event: CloudEvent[Any], seconds: float) -> CloudEvent[Any]:
    return event.model_copy(update={"notbefore": datetime.now(UTC) + timedelta(seconds=seconds)})


# -- the decision, on its own ------------------------------------------------------------------


def test_no_notbefore_or_a_past_one_is_due_now() -> None:
    assert deferral(None, delivery(), NOW) is None
    assert deferral(NOW - timedelta(seconds=1), delivery(), NOW) is None
    assert deferral(NOW, delivery(), NOW) is None


def test_a_short_delay_is_deferred_until_due_rounded_up() -> None:
    wait = deferral(NOW + timedelta(seconds=4.2), delivery(), NOW)
    assert wait is not None
    assert (wait.visibility_s, wait.handled_on_receive) == (5, 2)  # never visible before it is due
    assert wait.fits(max_receive_count=2) and not wait.fits(max_receive_count=1)


def test_a_delay_past_twelve_hours_is_deferred_by_the_most_sqs_allows_each_receive() -> None:
    wait = deferral(NOW + timedelta(hours=30), delivery(receive_count=1), NOW)
    assert wait is not None
    assert TWELVE_HOURS - 10 <= wait.visibility_s < TWELVE_HOURS  # 12 h from this receive, less a margin
    assert wait.handled_on_receive == 4  # 30 h: deferred on receives 1, 2, 3; handled on the 4th
    later = deferral(NOW + timedelta(hours=6), delivery(receive_count=3, received_s_ago=3600), NOW)
    assert later is not None and later.visibility_s == 6 * 3600 and later.handled_on_receive == 4
    squeezed = deferral(NOW + timedelta(hours=12), delivery(received_s_ago=2 * 3600), NOW)
    assert squeezed is not None and squeezed.visibility_s <= TWELVE_HOURS - 2 * 3600
    assert squeezed.handled_on_receive == 3


# -- against the endpoint ----------------------------------------------------------------------


async def test_a_delayed_event_is_deferred_then_handled_when_due(make_queue: MakeQueue) -> None:
    queue = make_queue(max_receive_count=2)  # the edge: deferred on receive 1, handled on the last one
    spy = HandlerSpy()
    service = OrdersRecorder()
    async with Consumer(service, queue.url, queue.dlq_url, fast_settings(), observers=[spy]).running():
        event = delayed(placed("o-delay"), 2.0)  # sent once the consumer runs: it sees it before due
        due = time.monotonic() + 2.0
        send_event(queue.url, event)
        await spy.wait_for(event_id=event.id, outcome="deferred", timeout=10)
        assert service.calls == []
        await wait_for_depth(queue.url, lambda d: d.in_flight == 1, what="hidden, not deleted")
        await spy.wait_for(event_id=event.id, outcome="handled", timeout=15)
    [call] = service.calls
    assert call.at >= due
    assert call.context.attempt == 2 and call.context.is_last_attempt  # the deferral spent one receive
    assert [r.outcome for r in spy.outcomes if r.event is not None] == ["deferred", "handled"]


async def test_a_deferred_event_survives_a_consumer_restart_and_is_handled_once(
    make_queue: MakeQueue,
) -> None:
    queue = make_queue(max_receive_count=3)
    first, first_spy = OrdersRecorder(), HandlerSpy()
    async with Consumer(first, queue.url, queue.dlq_url, fast_settings(), observers=[first_spy]).running():
        event = delayed(placed("o-restart"), 3.0)
        due = time.monotonic() + 3.0
        send_event(queue.url, event)
        await first_spy.wait_for(event_id=event.id, outcome="deferred", timeout=10)
    assert first.calls == []  # stopped while the event was deferred

    second, second_spy = OrdersRecorder(), HandlerSpy()
    async with Consumer(second, queue.url, queue.dlq_url, fast_settings(), observers=[second_spy]).running():
        await second_spy.wait_for(event_id=event.id, outcome="handled", timeout=15)
        await wait_for_depth(queue.url, lambda d: d.total == 0, what="the event deleted")
    assert first.calls == [] and [call.event.id for call in second.calls] == [event.id]
    assert second.calls[0].at >= due
    assert receive_all(queue.dlq_url) == []


async def test_a_delay_the_queue_cannot_cover_is_dead_lettered_with_its_reason(make_queue: MakeQueue) -> None:
    queue = make_queue(max_receive_count=2)  # one 12 h deferral at most before the handler's receive
    event = delayed(placed("o-too-late"), 2 * 24 * 3600)
    send_event(queue.url, event)
    service, spy = OrdersRecorder(), HandlerSpy()
    async with Consumer(service, queue.url, queue.dlq_url, fast_settings(), observers=[spy]).running():
        await spy.wait_for(event_id=event.id, outcome="dead_lettered", timeout=10)
    assert service.calls == []
    [letter] = receive_all(queue.dlq_url)
    assert attribute(letter, DeadLetterAttribute.REASON) == DeadLetterReason.DELAY_TOO_LONG
    assert "maxReceiveCount is 2" in attribute(letter, DeadLetterAttribute.DETAIL)
    assert json.loads(letter["Body"])["id"] == event.id


async def test_a_long_delay_is_hidden_for_up_to_twelve_hours_not_redelivered(make_queue: MakeQueue) -> None:
    queue = make_queue(max_receive_count=5, visibility_timeout_s=1)
    event = delayed(placed("o-later"), 20 * 3600)
    send_event(queue.url, event)
    service, spy = OrdersRecorder(), HandlerSpy()
    async with Consumer(service, queue.url, queue.dlq_url, fast_settings(), observers=[spy]).running():
        await spy.wait_for(event_id=event.id, outcome="deferred", timeout=10)
        await wait_for_depth(queue.url, lambda d: d.in_flight == 1, what="deferred")
        await asyncio.sleep(2.5)  # past the queue's 1 s visibility timeout: still hidden (deferred ~12 h)
        assert (await wait_for_depth(queue.url, lambda d: True)).in_flight == 1
    assert service.calls == []
    assert [r.outcome for r in spy.outcomes if r.event is not None] == ["deferred"]


# -- `fanout publish --delay` end to end -------------------------------------------------------


async def test_cli_delay_5s_is_handled_no_earlier_than_5s_after_publishing(
    fanout_topology: AppliedTopology, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FANOUT_ENV", TEST_PREFIX)
    data = {
        "order_id": "ord-delay-cli",
        "customer_id": "cust-1",
        "customer_email": "ada@example.com",
        "items": [{"sku": "MUG", "quantity": 1, "unit_price": "9.99"}],
        "total": "9.99",
        "currency": "EUR",
        "placed_at": "2026-03-01T09:00:00Z",
    }
    service, spy = OrdersRecorder(), HandlerSpy()
    consumer = Consumer(
        service,
        fanout_topology.queue_url("inventory"),
        fanout_topology.dlq_url("inventory"),
        fast_settings(),
        observers=[spy],
    )
    async with consumer.running():
        published = time.monotonic()
        try:
            main(["publish", "order.placed", "--data", json.dumps(data), "--delay", "5s"])
        except SystemExit as exit_:
            assert not exit_.code
        await wait_until(lambda: len(service.calls) == 1, timeout_s=20, what="the delayed event handled")
    [call] = service.calls
    assert call.at - published >= 5.0
    assert call.event.notbefore is not None
    assert any(record.outcome == "deferred" for record in spy.outcomes)
