"""A duplicate storm: every event arrives three times, and still takes effect once.

Half the events are sent as the same SQS body three times in one batch (so the copies are handled
concurrently), half are published three times through SNS (three SNS messages, one event id).
The consumer runs with the idempotency store, on SQLite and on PostgreSQL.
"""

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from reliability_support import (
    STARTING_STOCK,
    audit_inventory,
    chunked,
    depth,
    expected_inventory,
    feed_shallow,
    keep_only_subscription,
    read_inventory,
    report,
    send_bodies,
    sns_client,
    sqs_client,
)

from consumers.runtime.consumer import Consumer
from consumers.runtime.idempotency_stores import open_store
from consumers.runtime.observer import Outcome
from consumers.runtime.settings import ConsumerSettings
from consumers.services.inventory.service import InventoryService
from consumers.services.inventory.settings import InventorySettings
from fanout.contract import CloudEvent
from fanout.testing.spy import HandlerSpy
from fanout.topology import AppliedTopology
from producer.demo import demo_events
from producer.publisher import Publisher

EVENTS = 60
COPIES = 3


def deliver_thrice(topology: AppliedTopology, endpoint: str, events: list[CloudEvent[Any]]) -> None:
    """Even positions: one SQS batch of three identical bodies; odd: three SNS publishes."""
    sqs = sqs_client(endpoint)
    queue_url = topology.queue_url("inventory")
    publisher = Publisher(topic_arn=topology.deployed.topic_arn, sns=sns_client(endpoint))

    def send(pair: list[CloudEvent[Any]]) -> None:
        direct, published = pair[0], pair[1:]
        send_bodies(sqs, queue_url, [direct.model_dump_json()] * COPIES)
        for event in published:
            publisher.publish_many([event] * COPIES).raise_for_failures()

    feed_shallow(
        send=send,  # type: ignore[arg-type]
        chunks=chunked(events, 2),
        current_depth=lambda: depth(endpoint, queue_url).total,
        max_depth=30,
        timeout_s=120,
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.timeout(120)
async def test_every_event_delivered_three_times_takes_effect_once(
    backend: str,
    fanout_topology: AppliedTopology,
    fanout_endpoint: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    if backend == "sqlite":
        database_url = f"sqlite:///{tmp_path / 'inventory.sqlite3'}"
        idempotency_url = f"sqlite:///{tmp_path / 'idempotency.sqlite3'}"
    else:  # one database for the service and its idempotency store, as a deployment would have
        database_url = idempotency_url = str(request.getfixturevalue("postgres_url"))
    endpoint = fanout_endpoint
    queue_url, dlq_url = fanout_topology.queue_url("inventory"), fanout_topology.dlq_url("inventory")
    keep_only_subscription(fanout_topology, endpoint, "inventory")
    events = [e for e in demo_events(3 * EVENTS, seed=33) if e.type != "order.shipped"][:EVENTS]

    settings = ConsumerSettings(
        wait_time_s=1,
        drain_timeout_s=5,
        health_port=0,
        busy_retry_delay_s=1,
        idempotency_url=idempotency_url,
    )
    service = InventoryService(InventorySettings(database_url=database_url, default_stock=STARTING_STOCK))
    spy = HandlerSpy()
    store = open_store(settings.idempotency_url)
    try:
        consumer = Consumer(service, queue_url, dlq_url, settings, [spy], idempotency=store)
        async with consumer.running():
            await asyncio.to_thread(deliver_thrice, fanout_topology, endpoint, events)
            deadline = asyncio.get_running_loop().time() + 90
            while (await asyncio.to_thread(depth, endpoint, queue_url)).total:
                assert asyncio.get_running_loop().time() < deadline, "the queue was not drained in 90 s"
                await asyncio.sleep(0.25)
    finally:
        await store.close()

    outcomes = Counter(record.outcome for record in spy.outcomes)
    handled_ids = Counter(record.event_id for record in spy.handled())
    audit = audit_inventory(await asyncio.to_thread(read_inventory, database_url), expected_inventory(events))
    dead_lettered = await asyncio.to_thread(lambda: depth(endpoint, dlq_url).total)
    report(
        f"duplicate-storm-{backend}",
        events=len(events),
        deliveries=COPIES * len(events),
        handled=outcomes[Outcome.HANDLED],
        skipped_as_duplicates=outcomes[Outcome.DUPLICATE],
        busy_retries=outcomes[Outcome.RETRY],
        lost=len(audit.lost),
        duplicated_effects=len(audit.duplicated) + len(audit.stock_mismatches),
        dead_lettered=dead_lettered,
    )
    assert audit.exactly_once, audit.summary()
    assert handled_ids == Counter({event.id: 1 for event in events}), "a handler ran twice"
    assert outcomes[Outcome.DUPLICATE] == (COPIES - 1) * len(events)
    assert dead_lettered == 0
