"""An endpoint outage: the consumer survives without hammering the endpoint, publishes fail loudly.

The consumer process and the publisher each reach moto through a TCP proxy of their own; mid-run
both proxies reset every open connection and every new one for a few seconds (as a dead endpoint
or a firewall would), then forward again. The consumer's own proxy counts only its connections.
The test's own checks talk to moto directly.
"""

import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from reliability_proxy import FlakyProxy
from reliability_support import (
    STARTING_STOCK,
    Background,
    LogFigures,
    audit_inventory,
    consumer_environment,
    depth,
    eventually,
    expected_inventory,
    keep_only_subscription,
    log_records,
    processed_count,
    read_inventory,
    report,
    set_visibility_timeout,
    sns_client,
    start_consumer,
)

from fanout.topology import AppliedTopology
from producer.demo import demo_events
from producer.publisher import Publisher
from producer.results import PublishFailed

SEED = 6
OUTAGE_S = 6.0  # at least; it lasts until both publishes made during it have returned
MAX_ATTEMPTS_PER_DOWN_SECOND = 10  # a busy loop makes hundreds; backoff makes a handful


@pytest.mark.timeout(150)
def test_consumer_rides_out_an_endpoint_outage_and_publishing_during_it_fails_loudly(
    fanout_topology: AppliedTopology, fanout_endpoint: str, tmp_path: Path
) -> None:
    endpoint = fanout_endpoint
    queue_url, dlq_url = fanout_topology.queue_url("inventory"), fanout_topology.dlq_url("inventory")
    keep_only_subscription(fanout_topology, endpoint, "inventory")
    set_visibility_timeout(endpoint, queue_url, 2)  # deletes lost in the outage come back soon
    events = [e for e in demo_events(300, seed=SEED) if e.type != "order.shipped"][:170]
    before, during, after = events[:80], events[80:90], events[90:]
    database_url = f"sqlite:///{tmp_path / 'inventory.sqlite3'}"
    upstream = urlsplit(endpoint)
    assert upstream.hostname is not None and upstream.port is not None

    with (
        FlakyProxy(upstream.hostname, upstream.port) as proxy,
        FlakyProxy(upstream.hostname, upstream.port) as publisher_proxy,
    ):
        environment = consumer_environment(
            proxy.url,
            FANOUT_INVENTORY_DATABASE_URL=database_url,
            FANOUT_INVENTORY_DEFAULT_STOCK=str(STARTING_STOCK),
        )
        consumer = start_consumer("inventory", environment, tmp_path / "inventory.log")
        try:
            consumer.wait_started()
            publisher = Publisher(
                topic_arn=fanout_topology.deployed.topic_arn, sns=sns_client(publisher_proxy.url)
            )
            publisher.publish_many(before).raise_for_failures()
            eventually(lambda: processed_count(database_url) >= 20, 60, "the consumer to get going")

            proxy.go_down()
            publisher_proxy.go_down()
            single = Background(lambda: publisher.publish(during[0]), name="publish-during-outage")
            batch = publisher.publish_many(during[1:])  # both wait out the SDK's retries together
            with pytest.raises(PublishFailed) as raised:
                single.join(timeout_s=60)
            assert proxy.down_since is not None
            time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - proxy.down_since)))
            alive_through_outage = consumer.alive()
            attempts = proxy.attempts_while_down
            proxy.come_back()
            publisher_proxy.come_back()

            publisher.publish_many([*during, *after]).raise_for_failures()  # what failed, sent again
            eventually(
                lambda: (
                    depth(endpoint, queue_url).total == 0 and processed_count(database_url) == len(events)
                ),
                timeout_s=90,
                what="every event published before, during and after the outage to be handled",
                interval_s=0.5,
            )
            alive_after = consumer.alive()
            exit_code = consumer.terminate()
        finally:
            consumer.ensure_stopped()

    audit = audit_inventory(read_inventory(database_url), expected_inventory(events))
    logs = LogFigures.of(log_records([consumer.log_path]))
    receive_failures = sum(
        1 for record in log_records([consumer.log_path]) if record.get("event") == "receive failed"
    )
    report(
        "endpoint-outage",
        downtime_s=round(proxy.downtime_s, 1),
        connection_attempts_during_outage=attempts,
        receive_failures_logged=receive_failures,
        publish_error=str(raised.value)[:120],
        batch_failed=len(batch.failed),
        events=len(events),
        lost=len(audit.lost),
        duplicated_effects=len(audit.duplicated),
        redelivered_after_commit=logs.store_duplicates,
    )
    assert alive_through_outage and alive_after, consumer.log_tail()
    assert exit_code == 0, consumer.log_tail()
    assert raised.value.failed[0].event_id == during[0].id
    assert len(batch.failed) == len(during) - 1 and not batch.succeeded
    # The consumer's own connections: it kept trying (the fault reached it), but with backoff.
    assert attempts > 0, "the consumer made no connection during the outage: the fault was not exercised"
    assert attempts <= MAX_ATTEMPTS_PER_DOWN_SECOND * proxy.downtime_s, (
        f"{attempts} connection attempts in {proxy.downtime_s:.1f} s of outage: not backing off"
    )
    assert audit.exactly_once, audit.summary()
    assert depth(endpoint, dlq_url).total == 0
