"""Envelopes without the attributes that identify an event must be refused, not completed.

Found by this suite: `CloudEvent.id`, `source` and `time` had default factories (handy when
*creating* an event) and the same model validates *incoming* envelopes, so a message without an
`id` was accepted and given a fresh random id on every delivery. The event id is the idempotency
key: each redelivery looked like a new event and its effect happened again (fixed in 2a6456a).
CloudEvents 1.0 makes `id` and `source` REQUIRED; a consumer dead-letters such an envelope.
"""

import asyncio
import json
from pathlib import Path

import pytest
from reliability_support import depth, send_bodies, sqs_client

from consumers.runtime.consumer import Consumer
from consumers.runtime.idempotency_stores import open_store
from consumers.runtime.settings import ConsumerSettings
from consumers.services.analytics.service import AnalyticsService
from consumers.services.analytics.settings import AnalyticsSettings
from fanout.contract.errors import ContractError, RejectReason
from fanout.contract.wire import read_body
from fanout.topology import AppliedTopology
from producer.demo import demo_events


def envelope_without(field: str) -> str:
    document = json.loads(demo_events(1, seed=5)[0].model_dump_json())
    del document[field]
    return json.dumps(document)


@pytest.mark.parametrize("field", ["id", "source", "time"])
def test_an_envelope_without_an_identifying_attribute_is_a_schema_violation(field: str) -> None:
    body = envelope_without(field)
    with pytest.raises(ContractError) as raised:
        decoded = read_body(body)
        pytest.fail(f"accepted without {field!r}; it was given {getattr(decoded, field)!r}")
    assert raised.value.reason is RejectReason.SCHEMA_VIOLATION


@pytest.mark.timeout(60)
async def test_a_redelivered_message_without_an_id_does_not_take_effect_twice(
    fanout_topology: AppliedTopology, fanout_endpoint: str, tmp_path: Path
) -> None:
    """Two deliveries of one id-less message (SQS is at-least-once) must not become two events."""
    queue_url, dlq_url = fanout_topology.queue_url("analytics"), fanout_topology.dlq_url("analytics")
    body = envelope_without("id")
    sqs = sqs_client(fanout_endpoint)
    send_bodies(sqs, queue_url, [body, body])
    settings = ConsumerSettings(
        wait_time_s=1,
        drain_timeout_s=5,
        health_port=0,
        idempotency_url=f"sqlite:///{tmp_path / 'idempotency.sqlite3'}",
    )
    service = AnalyticsService(
        AnalyticsSettings(database_url=f"sqlite:///{tmp_path / 'analytics.sqlite3'}", batch_size=1)
    )
    store = open_store(settings.idempotency_url)
    try:
        async with Consumer(service, queue_url, dlq_url, settings, idempotency=store).running():
            for _ in range(200):
                if (await asyncio.to_thread(depth, fanout_endpoint, queue_url)).total == 0:
                    break
                await asyncio.sleep(0.1)
            stored = await service.events.event_ids()
    finally:
        await store.close()
    dead_lettered = (await asyncio.to_thread(depth, fanout_endpoint, dlq_url)).total
    assert len(stored) <= 1, f"one message, delivered twice, was stored as {len(stored)} events: {stored}"
    assert (len(stored), dead_lettered) == (0, 2), "an envelope without an id must be dead-lettered"
