"""Publishing to a FIFO topic keeps each order's events in order, even when an entry is retried."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from conftest import Drain, FaultySns, PublishMany

from consumers.runtime.backoff import Exponential
from fanout.aws import sync_client
from fanout.contract import OrderCancelled, OrderItem, OrderPlaced, OrderShipped, new_event
from fanout.contract.envelope import CloudEvent
from fanout.local.endpoint import reset_endpoint
from fanout.topology import AppliedTopology, TopologyClient, declared_topology
from producer.batching import plan_batches
from producer.options import PublishOptions, RetryPolicy

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
FAST_RETRY = RetryPolicy(max_attempts=4, backoff=Exponential(initial_s=0.01, factor=2.0, cap_s=0.05))


def lifecycle(order_id: str) -> list[CloudEvent[Any]]:
    item = OrderItem(sku="MUG", quantity=1, unit_price=Decimal("9.99"))
    return [
        new_event(
            OrderPlaced(
                order_id=order_id,
                customer_id="c-1",
                customer_email="ada@example.com",
                items=[item],
                total=Decimal("9.99"),
                currency="EUR",
                placed_at=NOW,
            )
        ),
        new_event(OrderShipped(order_id=order_id, carrier="DHL", tracking_number="T-1", shipped_at=NOW)),
        new_event(OrderCancelled(order_id=order_id, reason="late", cancelled_at=NOW)),
    ]


@pytest.fixture
def fifo_topology(fanout_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppliedTopology]:
    reset_endpoint(fanout_endpoint)
    monkeypatch.setenv("FANOUT_TOPOLOGY_FIFO", "true")
    declared = declared_topology()
    yield AppliedTopology(declared, TopologyClient(sync_client("sns"), sync_client("sqs")).apply(declared))


def test_a_batch_holds_one_entry_per_group() -> None:
    items = ["a1", "a2", "b1", "c1", "b2", "n1", "n2"]
    group = lambda item: None if item.startswith("n") else item[0]  # noqa: E731
    assert plan_batches(items, lambda _: 1, max_bytes=100, group=group) == [
        ["a1"],
        ["a2", "b1", "c1"],
        ["b2", "n1", "n2"],
    ]


def test_a_retried_entry_keeps_its_order_ahead_of_the_rest_of_its_group(
    fifo_topology: AppliedTopology, faulty_sns: FaultySns, drain: Drain, publish_many: PublishMany
) -> None:
    orders = [lifecycle(f"ord-{index}") for index in range(4)]
    events = [event for step in zip(*orders, strict=True) for event in step]  # 12 events, interleaved
    faulty_sns.plan.fail(orders[1][0].id, times=2)  # ord-1's placed fails twice, then is accepted
    faulty_sns.plan.fail(orders[2][1].id, times=1)  # ord-2's shipped fails once

    result = publish_many(events, options=PublishOptions(retry=FAST_RETRY))

    assert result.failed == ()
    for request in faulty_sns.plan.requests:
        subjects = [event.subject for event in events if event.id in request]
        assert len(subjects) == len(set(subjects)), "two entries of one group in one call"
    received = [json.loads(message["Body"]) for message in drain(fifo_topology.queue_url("analytics"))]
    assert len(received) == 12
    for order in orders:
        assert [body["id"] for body in received if body["subject"] == order[0].subject] == [
            event.id for event in order
        ]
