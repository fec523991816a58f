"""The demo event stream: reproducible, valid, and a consistent order lifecycle."""

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

from fanout.contract import ORDER_EVENTS, OrderPlaced
from producer.demo import demo_events

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_same_seed_same_stream_other_seed_other_stream() -> None:
    assert demo_events(200, seed=7, start=START) == demo_events(200, seed=7, start=START)
    assert [e.id for e in demo_events(20, seed=7)] == [e.id for e in demo_events(20, seed=7, start=START)]
    assert demo_events(20, seed=8, start=START) != demo_events(20, seed=7, start=START)


def test_every_event_round_trips_through_the_contract() -> None:
    events = demo_events(300, seed=1, start=START)
    assert Counter(e.type for e in events).keys() == ORDER_EVENTS.event_types
    for event in events:
        assert ORDER_EVENTS.decode(event.model_dump_json()) == event
    placed = [e.data for e in events if isinstance(e.data, OrderPlaced)]
    assert all(order.total.as_tuple().exponent == -2 and order.total > Decimal(0) for order in placed)
    assert len({order.currency for order in placed}) > 1
    assert all(e.time.tzinfo is not None for e in events)


def test_shipped_or_cancelled_only_after_placed_and_at_most_once() -> None:
    events = demo_events(500, seed=3, start=START)
    placed: dict[str, str] = {}  # order id -> correlation id
    closed: set[str] = set()
    for event in events:
        if event.type == "order.placed":
            assert event.subject not in placed
            placed[event.subject] = event.correlationid
            continue
        assert event.subject in placed, f"{event.type} for an order never placed"
        assert event.subject not in closed, "an order shipped or cancelled twice"
        assert event.correlationid == placed[event.subject]
        closed.add(event.subject)
    assert 0 < len(closed) < len(placed)  # some orders move on, some stay open
    times = [e.time for e in events]
    assert times == sorted(times) and len(set(times)) == len(times)
