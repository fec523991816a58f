"""The three services on the consumer runtime, fed through the topic on the moto endpoint."""

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from svc_factories import cancelled, eventually, placed, shipped

from consumers.runtime.consumer import Consumer
from consumers.runtime.idempotency_stores import open_store
from consumers.runtime.settings import ConsumerSettings
from consumers.services.analytics.service import AnalyticsService
from consumers.services.analytics.settings import AnalyticsSettings
from consumers.services.email.service import EmailService
from consumers.services.email.settings import EmailSettings
from consumers.services.inventory.service import InventoryService
from consumers.services.inventory.settings import InventorySettings
from fanout.aws import sync_client
from fanout.contract import CloudEvent
from fanout.contract.deadletter import DeadLetterAttribute, DeadLetterReason
from fanout.contract.wire import message_attributes
from fanout.local.smtp import SmtpSink
from fanout.topology import AppliedTopology
from fanout.topology.depth import read_depth


def publish(topology: AppliedTopology, *events: CloudEvent[Any]) -> None:
    sns = sync_client("sns")
    for event in events:
        sns.publish(
            TopicArn=topology.deployed.topic_arn,
            Message=event.model_dump_json(),
            MessageAttributes=message_attributes(event),  # type: ignore[arg-type]
        )


def runtime_settings(tmp_path: Path, name: str) -> ConsumerSettings:
    """Short polls, immediate retries, no health server."""
    return ConsumerSettings(
        wait_time_s=1,
        drain_timeout_s=5,
        health_port=0,
        retry_strategy="fixed",
        retry_initial_s=0,
        idempotency_url=f"sqlite:///{tmp_path / f'{name}-idempotency.sqlite3'}",
    )


def email_settings(sink: SmtpSink, tmp_path: Path) -> EmailSettings:
    return EmailSettings(
        smtp_host=sink.host,
        smtp_port=sink.port,
        database_url=f"sqlite:///{tmp_path / 'email.sqlite3'}",
        address_wait_s=1,
    )


async def run_consumer(
    stack: AsyncExitStack, topology: AppliedTopology, service: Any, tmp_path: Path
) -> None:
    """Run `service` on its queue, with an idempotency store, until `stack` closes."""
    settings = runtime_settings(tmp_path, service.name)
    store = open_store(settings.idempotency_url)
    stack.push_async_callback(store.close)
    consumer = Consumer(
        service, topology.queue_url(service.name), topology.dlq_url(service.name), settings, idempotency=store
    )
    await stack.enter_async_context(consumer.running())


async def drained(topology: AppliedTopology, name: str) -> bool:
    sqs = sync_client("sqs")
    queue, dlq = await asyncio.gather(
        asyncio.to_thread(read_depth, sqs, topology.queue_url(name)),
        asyncio.to_thread(read_depth, sqs, topology.dlq_url(name)),
    )
    return queue.total == 0 and dlq.total == 0


# SKU-1 keeps 8 of 10. SKU-2 is reserved then released (10), unless the topic delivers the cancel
# first (SNS does not order): then o-2 is tombstoned, never reserves, and SKU-2 is never named (None).
SETTLED_STOCK = ((8, 10), (8, None))


@pytest.mark.conformance
async def test_published_orders_reach_all_three_services(
    fanout_topology: AppliedTopology, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    email = EmailService(email_settings(smtp_sink, tmp_path))
    inventory = InventoryService(
        InventorySettings(database_url=f"sqlite:///{tmp_path / 'inventory.sqlite3'}", default_stock=10)
    )
    analytics = AnalyticsService(
        AnalyticsSettings(
            database_url=f"sqlite:///{tmp_path / 'analytics.sqlite3'}", batch_size=4, flush_interval_s=0.2
        )
    )
    publish(
        fanout_topology,
        placed("o-1", email="alice@example.com", lines=(("SKU-1", 2, "9.95"),), currency="EUR"),
        placed("o-2", email="bob@example.com", lines=(("SKU-2", 3, "1.10"),), currency="USD"),
        shipped("o-1"),
        cancelled("o-2"),
    )

    async with AsyncExitStack() as running:
        for service in (email, inventory, analytics):
            await run_consumer(running, fanout_topology, service, tmp_path)

        async def settled() -> bool:
            # SNS delivers asynchronously (AWS, LocalStack): empty queues alone may mean "not yet".
            seen = sum((await analytics.events.summary()).counts.values())
            stock = await inventory.stock.available("SKU-1"), await inventory.stock.available("SKU-2")
            queues = [await drained(fanout_topology, name) for name in ("email", "inventory", "analytics")]
            return len(smtp_sink.messages) == 4 and seen == 4 and stock in SETTLED_STOCK and all(queues)

        await eventually(settled, "four mails, four events counted, stock settled, every queue and DLQ empty")
        summary = await analytics.events.summary()

    assert sorted(mail.subject for mail in smtp_sink.to("alice@example.com")) == [
        "Order o-1 confirmed",
        "Order o-1 has shipped",
    ]
    assert sorted(mail.subject for mail in smtp_sink.to("bob@example.com")) == [
        "Order o-2 cancelled",
        "Order o-2 confirmed",
    ]
    assert summary.counts == {"order.placed": 2, "order.shipped": 1, "order.cancelled": 1}
    assert str(summary.revenue["EUR"].net) == "19.9000"
    assert summary.revenue["USD"].cancelled == summary.revenue["USD"].gross


@pytest.mark.conformance
async def test_a_refused_recipient_lands_in_the_email_dlq_as_permanent(
    fanout_topology: AppliedTopology, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    smtp_sink.refuse_permanently("gone@example.com")
    event = placed("o-9", email="gone@example.com")
    publish(fanout_topology, event)
    dlq_url = fanout_topology.dlq_url("email")
    sqs = sync_client("sqs")

    async def dead_lettered() -> bool:
        return (await asyncio.to_thread(read_depth, sqs, dlq_url)).visible == 1

    async with AsyncExitStack() as running:
        await run_consumer(
            running, fanout_topology, EmailService(email_settings(smtp_sink, tmp_path)), tmp_path
        )
        await eventually(dead_lettered, "the message in the email DLQ")

    [message] = sqs.receive_message(QueueUrl=dlq_url, MessageAttributeNames=["All"])["Messages"]
    attributes = message["MessageAttributes"]
    assert attributes[DeadLetterAttribute.REASON]["StringValue"] == DeadLetterReason.PERMANENT_FAILURE
    assert "SMTP 550" in attributes[DeadLetterAttribute.DETAIL]["StringValue"]
    assert attributes[DeadLetterAttribute.RECEIVE_COUNT]["StringValue"] == "1"  # not retried
    assert event.id in message["Body"]
    assert smtp_sink.messages == []
