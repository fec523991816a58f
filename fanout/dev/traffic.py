"""Demo traffic for a dev run: order events published at a steady rate, plus optional poison messages."""

import asyncio
import itertools
import json
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import suppress

from fanout.aws import sync_client
from fanout.topology import AppliedTopology, Topology
from producer.async_publisher import AsyncPublisher
from producer.demo import DemoOrders

TICK_S = 0.25  # how often the publisher catches up with the rate
POISON_BODIES = (
    "{this is not json",
    json.dumps({"specversion": "1.0", "type": "order.refunded", "id": "poison", "data": {}}),
    json.dumps({"hello": "a message from some other system"}),
)


class Traffic:
    """Publishes demo orders and remembers which consumers each published event is routed to."""

    def __init__(self, topology: Topology, rate: float, seed: int | None) -> None:
        self._topology = topology
        self._rate = rate
        self._orders = DemoOrders(seed)
        self.published = 0
        self.failed = 0
        self.last_error = ""
        self.routed: defaultdict[str, set[str]] = defaultdict(set)

    async def run(self, publisher: AsyncPublisher, stop: asyncio.Event, limit: int | None = None) -> None:
        """Publish at the rate until `stop` is set or `limit` events went out (failed ones included)."""
        started = time.monotonic()
        while not stop.is_set():
            due = int(self._rate * (time.monotonic() - started)) + 1
            attempted = self.published + self.failed
            if limit is not None:
                due = min(due, limit)
                if attempted >= limit:
                    return
            events = [self._orders.next_event() for _ in range(due - attempted)]
            if events:
                result = await publisher.publish_many(events)
                published = {outcome.event_id for outcome in result.succeeded}
                self.published += len(published)
                self.failed += len(result.failed)
                if result.failed:
                    self.last_error = result.failed[-1].error or ""
                for event in events:
                    if event.id in published:
                        for consumer in self._topology.consumers:
                            if event.type in consumer.event_types:
                                self.routed[consumer.name].add(event.id)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), TICK_S)


def send_poison(topology: AppliedTopology, count: int) -> dict[str, int]:
    """Send `count` undecodable messages straight to the consumer queues, round-robin; count per consumer."""
    sqs = sync_client("sqs")
    sent: defaultdict[str, int] = defaultdict(int)
    targets: Iterator[str] = itertools.cycle(sorted(topology.deployed.consumers))
    bodies = itertools.cycle(POISON_BODIES)
    for number, (consumer, body) in enumerate(zip(itertools.islice(targets, count), bodies, strict=False)):
        if topology.declared.fifo:  # a FIFO queue needs a group and a deduplication id
            sqs.send_message(
                QueueUrl=topology.queue_url(consumer),
                MessageBody=body,
                MessageGroupId="poison",
                MessageDeduplicationId=f"poison-{number}",
            )
        else:
            sqs.send_message(QueueUrl=topology.queue_url(consumer), MessageBody=body)
        sent[consumer] += 1
    return dict(sent)
