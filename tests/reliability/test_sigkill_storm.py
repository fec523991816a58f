"""SIGKILL storms: the real consumer processes are killed at random points, then restarted.

Inventory must apply every event exactly once (its change and its processed_events row commit
together); analytics must keep every event at least once. The queues' visibility timeouts are
shortened (2-3 s instead of the declared 30/120 s) so a killed consumer's messages come back
within the test; everything else — maxReceiveCount, DLQs, the subscription — is the declared
topology, and the consumers are the `fanout consume` CLI.
"""

import asyncio
import random
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from reliability_support import (
    STARTING_STOCK,
    Background,
    ConsumerProcess,
    LogFigures,
    audit_inventory,
    chunked,
    consumer_environment,
    depth,
    eventually,
    expected_inventory,
    feed_shallow,
    keep_only_subscription,
    log_records,
    processed_count,
    read_inventory,
    report,
    set_visibility_timeout,
    sns_client,
    start_consumer,
)

from consumers.services.analytics.store import EventStore
from consumers.services.database import open_database
from fanout.contract import CloudEvent
from fanout.topology import AppliedTopology
from producer.demo import demo_events
from producer.publisher import Publisher

SEED = 20261123
KILLS = 20
INVENTORY_EVENTS = 520
ANALYTICS_EVENTS = 150
ANALYTICS_KILLS = 3  # its declared maxReceiveCount is 3: a message caught by 3 kills is dead-lettered
MAX_QUEUE_DEPTH = 60


def start_storm_feed(
    topology: AppliedTopology,
    endpoint: str,
    queue_url: str,
    events: Sequence[CloudEvent[Any]],
    chunk: int,
    every_s: float,
    stop: threading.Event,
) -> Background:
    """Publish through SNS in chunks spread over the storm; the queue stays shallow (moto slows when deep)."""
    publisher = Publisher(topic_arn=topology.deployed.topic_arn, sns=sns_client(endpoint))

    def publish(some: Sequence[CloudEvent[Any]]) -> None:
        publisher.publish_many(some).raise_for_failures()

    return Background(
        lambda: feed_shallow(
            send=publish,
            chunks=chunked(events, chunk),
            current_depth=lambda: depth(endpoint, queue_url).total,
            max_depth=MAX_QUEUE_DEPTH,
            timeout_s=180,
            every_s=every_s,
            stop=stop,
        ),
        name="storm-feed",
    )


def kill_storm(
    name: str,
    environment: dict[str, str],
    logs: Path,
    kills: int,
    run_s: tuple[float, float],
    rng: random.Random,
    started: list[ConsumerProcess],
) -> ConsumerProcess:
    """SIGKILL consumers at random points, `kills` times; returns the survivor (all go in `started`).

    One kill in five lands during start-up (imports, migration, queue lookup); the others land a
    random `run_s` seconds after the runtime started consuming, mid-batch. The successor is started
    before each kill (as a rolling restart would), so its start-up overlaps the victim's run.
    Every consumer must still be alive when it is killed: none may exit by itself.
    """

    def start(number: int) -> ConsumerProcess:
        consumer = start_consumer(name, environment, logs / f"{name}-{number:02d}.log")
        started.append(consumer)
        return consumer

    current = start(0)
    for number in range(1, kills + 1):
        during_start_up = rng.random() < 0.2
        if during_start_up:
            time.sleep(rng.uniform(0.2, 2.0))
        else:
            current.wait_started()
        successor = start(number)
        if not during_start_up:
            time.sleep(rng.uniform(*run_s))
        assert current.alive(), f"{name} #{number - 1} exited by itself:\n{current.log_tail()}"
        current.kill()
        current = successor
    return current


def drain_with(final: ConsumerProcess, endpoint: str, queue_url: str) -> None:
    """Let the surviving consumer empty the queue, then stop it gracefully."""
    final.wait_started()
    eventually(
        lambda: depth(endpoint, queue_url).total == 0,
        timeout_s=120,
        what=f"the last {final.name} consumer to drain its queue",
        interval_s=0.5,
    )
    assert final.alive(), final.log_tail()
    assert final.terminate() == 0, final.log_tail()


@pytest.mark.timeout(170)
def test_inventory_applies_every_event_exactly_once_through_a_sigkill_storm(
    fanout_topology: AppliedTopology, fanout_endpoint: str, tmp_path: Path
) -> None:
    endpoint = fanout_endpoint
    queue_url, dlq_url = fanout_topology.queue_url("inventory"), fanout_topology.dlq_url("inventory")
    keep_only_subscription(fanout_topology, endpoint, "inventory")
    set_visibility_timeout(endpoint, queue_url, 2)
    events = [e for e in demo_events(2 * INVENTORY_EVENTS, seed=SEED) if e.type != "order.shipped"]
    events = events[:INVENTORY_EVENTS]
    assert len(events) == INVENTORY_EVENTS
    database_url = f"sqlite:///{tmp_path / 'inventory.sqlite3'}"
    environment = consumer_environment(
        endpoint,
        FANOUT_INVENTORY_DATABASE_URL=database_url,
        FANOUT_INVENTORY_DEFAULT_STOCK=str(STARTING_STOCK),
    )

    started: list[ConsumerProcess] = []
    stop = threading.Event()
    try:
        feed = start_storm_feed(fanout_topology, endpoint, queue_url, events, 26, 2.0, stop)
        final = kill_storm(
            "inventory", environment, tmp_path, KILLS, (0.5, 2.0), random.Random(SEED), started
        )
        processed_during_storm = processed_count(database_url)
        feed.join(timeout_s=180)
        drain_with(final, endpoint, queue_url)
    finally:
        stop.set()
        for consumer in started:
            consumer.ensure_stopped()

    audit = audit_inventory(read_inventory(database_url), expected_inventory(events))
    logs = LogFigures.of(log_records([consumer.log_path for consumer in started]))
    dead_lettered = depth(endpoint, dlq_url).total
    report(
        "sigkill-storm-inventory",
        faults=len(started) - 1,
        events=len(events),
        processed_during_storm=processed_during_storm,
        lost=len(audit.lost),
        duplicated_effects=len(audit.duplicated) + len(audit.stock_mismatches),
        redelivered_after_commit=logs.store_duplicates,
        highest_attempt=logs.highest_attempt,
        dead_lettered=dead_lettered,
    )
    assert len(started) - 1 == KILLS
    assert audit.exactly_once, audit.summary()
    assert dead_lettered == 0
    assert depth(endpoint, queue_url).total == 0


async def stored_event_ids(database_url: str) -> set[str]:
    database = await open_database(database_url)
    try:
        return await EventStore(database).event_ids()
    finally:
        await database.close()


@pytest.mark.timeout(120)
def test_analytics_keeps_every_event_at_least_once_through_sigkills(
    fanout_topology: AppliedTopology, fanout_endpoint: str, tmp_path: Path
) -> None:
    endpoint = fanout_endpoint
    queue_url, dlq_url = fanout_topology.queue_url("analytics"), fanout_topology.dlq_url("analytics")
    keep_only_subscription(fanout_topology, endpoint, "analytics")
    set_visibility_timeout(endpoint, queue_url, 3)
    events = demo_events(ANALYTICS_EVENTS, seed=SEED + 1)
    database_url = f"sqlite:///{tmp_path / 'analytics.sqlite3'}"
    environment = consumer_environment(endpoint, FANOUT_ANALYTICS_DATABASE_URL=database_url)

    started: list[ConsumerProcess] = []
    stop = threading.Event()
    try:
        feed = start_storm_feed(fanout_topology, endpoint, queue_url, events, 30, 1.5, stop)
        final = kill_storm(
            "analytics", environment, tmp_path, ANALYTICS_KILLS, (1.2, 2.5), random.Random(SEED), started
        )
        feed.join(timeout_s=120)
        drain_with(final, endpoint, queue_url)
    finally:
        stop.set()
        for consumer in started:
            consumer.ensure_stopped()

    stored = asyncio.run(stored_event_ids(database_url))
    sent = {event.id for event in events}
    logs = LogFigures.of(log_records([consumer.log_path for consumer in started]))
    dead_lettered = depth(endpoint, dlq_url).total
    report(
        "sigkill-storm-analytics",
        faults=len(started) - 1,
        events=len(events),
        lost=len(sent - stored),
        handled_deliveries=logs.handled,
        highest_attempt=logs.highest_attempt,
        dead_lettered=dead_lettered,
    )
    assert sent - stored == set(), f"{len(sent - stored)} events never stored"
    assert stored - sent == set()
    assert dead_lettered == 0
