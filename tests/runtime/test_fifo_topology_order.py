"""FIFO declared once, end to end: one order's placed → shipped → cancelled, published in one
batch to the `.fifo` topic, are handled in that order by every consumer of the declared topology,
even when handlers are slow, one fails once, or the first event is delayed."""

import asyncio
from collections.abc import Iterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from runtime_helpers import (
    OrdersRecorder,
    cancelled,
    fast_settings,
    placed,
    shipped,
    wait_for_depth,
    wait_until,
)

from consumers.runtime.consumer import Consumer
from consumers.runtime.context import HandlerContext
from consumers.runtime.service import handles
from fanout.aws import sync_client
from fanout.contract import CloudEvent, OrderShipped
from fanout.local.endpoint import reset_endpoint
from fanout.topology import AppliedTopology, TopologyClient, declared_topology
from producer.publisher import Publisher

ORDERS = 4


class AllOrdersRecorder(OrdersRecorder):
    """Records placed, cancelled and shipped, noting each event whose handler returned."""

    def __init__(self, behaviour: Any) -> None:
        super().__init__(behaviour)
        self.finished: list[CloudEvent[Any]] = []

    async def record(self, event: CloudEvent[Any], context: HandlerContext) -> None:
        await super().record(event, context)
        self.finished.append(event)

    @handles(OrderShipped)
    async def on_shipped(self, event: CloudEvent[OrderShipped], context: HandlerContext) -> None:
        await self.record(event, context)


@pytest.fixture
def fifo_topology(fanout_endpoint: str) -> Iterator[AppliedTopology]:
    reset_endpoint(fanout_endpoint)
    declared = declared_topology("test", fifo=True)
    deployed = TopologyClient(sync_client("sns"), sync_client("sqs")).apply(declared)
    yield AppliedTopology(declared, deployed)


def lifecycle(order_id: str) -> list[CloudEvent[Any]]:
    return [placed(order_id), shipped(order_id), cancelled(order_id)]


async def test_every_consumer_handles_each_order_in_order(fifo_topology: AppliedTopology) -> None:
    orders = [lifecycle(f"ord-{index}") for index in range(ORDERS)]
    interleaved = [event for step in zip(*orders, strict=True) for event in step]
    delayed_order = lifecycle("ord-delayed")
    failed_once: set[tuple[str, str]] = set()

    def behaviour(consumer: str) -> Any:
        async def run(event: CloudEvent[Any], context: HandlerContext) -> None:
            if event.type == "order.placed":
                await asyncio.sleep(0.2)  # a slow first event: the rest of its order must wait
            if event.type == "order.shipped" and (consumer, event.id) not in failed_once:
                failed_once.add((consumer, event.id))
                raise RuntimeError("transient")  # retried; its order waits for it

        return run

    services = {
        consumer.name: AllOrdersRecorder(behaviour(consumer.name))
        for consumer in fifo_topology.declared.consumers
    }
    publisher = Publisher(topology=fifo_topology.declared)
    assert publisher.topic_arn.endswith(".fifo")
    publisher.publish_many(interleaved).raise_for_failures()
    publisher.publish(delayed_order[0], delay=2)
    publisher.publish_many(delayed_order[1:]).raise_for_failures()

    settings = fast_settings(concurrency=10)
    async with AsyncExitStack() as running:
        for name, service in services.items():
            consumer = Consumer(service, fifo_topology.queue_url(name), fifo_topology.dlq_url(name), settings)
            await running.enter_async_context(consumer.running())
        for name, service in services.items():
            accepted = fifo_topology.declared.consumer(name).event_types
            expected = sum(1 for e in [*interleaved, *delayed_order] if e.type in accepted)
            await wait_until(
                lambda s=service, n=expected: len(s.finished) == n, timeout_s=30, what=f"{name} done"
            )
            await wait_for_depth(fifo_topology.queue_url(name), lambda d: d.total == 0, what=f"{name} empty")

    for name, service in services.items():
        accepted = fifo_topology.declared.consumer(name).event_types
        for order in [*orders, delayed_order]:
            wanted = [event.id for event in order if event.type in accepted]
            done = [event.id for event in service.finished if event.subject == order[0].subject]
            assert done == wanted, f"{name} handled {order[0].subject} out of order"
    assert {name for name, _ in failed_once} == {"email", "analytics"}  # inventory takes no shipped
