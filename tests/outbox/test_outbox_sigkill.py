"""A relay SIGKILLed mid-batch (SNS accepted the batch, the rows were not marked): nothing is lost,
the batch is published again by the next relay, and the consumer's idempotency absorbs the copies:
every event takes effect exactly once in the inventory service."""

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from holding_proxy import HoldingProxy
from outbox_support import stage_committed
from reliability_support import (
    STARTING_STOCK,
    audit_inventory,
    depth,
    expected_inventory,
    keep_only_subscription,
    read_inventory,
    report,
)

from consumers.runtime.consumer import Consumer
from consumers.runtime.idempotency_stores import open_store
from consumers.runtime.observer import Outcome
from consumers.runtime.settings import ConsumerSettings
from consumers.services.inventory.service import InventoryService
from consumers.services.inventory.settings import InventorySettings
from fanout.testing.spy import HandlerSpy
from fanout.topology import AppliedTopology
from producer.demo import demo_events
from producer.outbox import outbox_status
from producer.outbox.runner import publish_pending
from producer.outbox.settings import OutboxSettings

EVENTS = 30
BATCH = 10  # PublishBatch entries: the batch in flight when the relay dies


def kill_relay_mid_batch(outbox_url: str, endpoint: str) -> int:
    """Start a relay, SIGKILL it while SNS's answer to its first PublishBatch is held; its exit code."""
    with HoldingProxy(endpoint) as proxy:
        relay = subprocess.Popen(
            [sys.executable, "-m", "fanout.cli", "outbox", "relay", "--database-url", outbox_url],
            env={**os.environ, "AWS_ENDPOINT_URL": proxy.url, "FANOUT_OUTBOX_METRICS_PORT": "0"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert proxy.forwarded.wait(60), "the relay never published"
        finally:
            relay.send_signal(signal.SIGKILL)
            relay.wait(timeout=10)
    return relay.returncode


@pytest.mark.timeout(120)
async def test_a_relay_killed_mid_batch_loses_nothing_and_duplicates_take_effect_once(
    outbox_url: str, fanout_topology: AppliedTopology, fanout_endpoint: str, tmp_path: Path
) -> None:
    keep_only_subscription(fanout_topology, fanout_endpoint, "inventory")
    events = [e for e in demo_events(3 * EVENTS, seed=13) if e.type != "order.shipped"][:EVENTS]
    await asyncio.to_thread(stage_committed, outbox_url, events)

    assert await asyncio.to_thread(kill_relay_mid_batch, outbox_url, fanout_endpoint) == -signal.SIGKILL
    assert outbox_status(outbox_url).pending == len(events)  # the accepted batch was never marked

    published = await asyncio.to_thread(publish_pending, OutboxSettings(database_url=outbox_url))
    assert published == len(events)
    assert outbox_status(outbox_url).pending == 0

    queue_url, dlq_url = fanout_topology.queue_url("inventory"), fanout_topology.dlq_url("inventory")
    inventory_url = f"sqlite:///{tmp_path / 'inventory.sqlite3'}"
    settings = ConsumerSettings(
        wait_time_s=1,
        drain_timeout_s=5,
        health_port=0,
        idempotency_url=f"sqlite:///{tmp_path / 'seen.sqlite3'}",
    )
    service = InventoryService(InventorySettings(database_url=inventory_url, default_stock=STARTING_STOCK))
    spy = HandlerSpy()
    store = open_store(settings.idempotency_url)
    try:
        consumer = Consumer(service, queue_url, dlq_url, settings, [spy], idempotency=store)
        async with consumer.running():
            deadline = asyncio.get_running_loop().time() + 60
            while (await asyncio.to_thread(depth, fanout_endpoint, queue_url)).total:
                assert asyncio.get_running_loop().time() < deadline, "the queue was not drained in 60 s"
                await asyncio.sleep(0.25)
    finally:
        await store.close()

    outcomes = Counter(record.outcome for record in spy.outcomes)
    audit = audit_inventory(
        await asyncio.to_thread(read_inventory, inventory_url), expected_inventory(events)
    )
    report(
        f"outbox-sigkill-{outbox_url.split(':')[0]}",
        events=len(events),
        handled=outcomes[Outcome.HANDLED],
        duplicates_absorbed=outcomes[Outcome.DUPLICATE],
        lost=len(audit.lost),
    )
    assert audit.exactly_once, audit.summary()
    assert outcomes[Outcome.HANDLED] == len(events)
    assert outcomes[Outcome.DUPLICATE] == BATCH  # the killed relay's batch, delivered twice
