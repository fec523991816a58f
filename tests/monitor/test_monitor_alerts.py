"""The monitor against moto and a real local HTTP receiver: lifecycle, restart, failing sinks, payloads."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from monitor_support import ManualClock, Receiver, drain, put_dead_letters, visible

from fanout.aws import sync_client
from fanout.topology import AppliedTopology
from monitor.dlq.queues import dead_letter_queue
from monitor.dlq.redrive import redrive
from monitor.runner import open_monitor
from monitor.server import serve_metrics
from monitor.service import Monitor
from monitor.settings import MonitorSettings

RENOTIFY_S = 600.0
OpenMonitor = Callable[..., AbstractAsyncContextManager[Monitor]]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def open_test_monitor(
    fanout_topology: AppliedTopology, test_env: str, tmp_path: Path, receiver: Receiver, clock: ManualClock
) -> OpenMonitor:
    """Opens a monitor on the test topology: state in tmp_path, a webhook to the receiver, fast retries."""

    @asynccontextmanager
    async def opener(**overrides: Any) -> AsyncIterator[Monitor]:
        settings = MonitorSettings(
            **{
                "state_path": tmp_path / "alerts.sqlite3",
                "webhook_urls": [f"{receiver.url}/hook"],
                "renotify_s": RENOTIFY_S,
                "sink_attempts": 3,
                "sink_backoff_s": 0.01,
                "metrics_port": 0,
                **overrides,
            }
        )
        async with open_monitor(settings, clock=clock) as monitor:
            yield monitor

    return opener


async def test_one_alert_per_crossing_repeat_after_interval_resolve_after_redrive(
    open_test_monitor: OpenMonitor, fanout_topology: AppliedTopology, receiver: Receiver, clock: ManualClock
) -> None:
    dlq = fanout_topology.dlq_url("email")
    put_dead_letters(dlq, 2, reason="schema_violation")
    sync_client("sqs").send_message(QueueUrl=dlq, MessageBody="{poison")  # as a redrive policy moves it

    async with open_test_monitor(thresholds={"email": {"depth": 3}}) as monitor:
        statuses = {status.reading.queue.consumer: status for status in await monitor.check()}
        assert statuses["email"].over_threshold and not statuses["inventory"].over_threshold
        [alert] = receiver.received("/hook")
        assert alert["kind"] == "firing" and alert["consumer"] == "email"
        assert (alert["depth"], alert["threshold"], alert["dlq"]) == (3, 3, "test-email-dlq")
        assert alert["inspect_command"] == "fanout --env test dlq show email"
        assert alert["redrive_command"] == "fanout --env test dlq redrive email"
        assert alert["dedup_key"] == "fanout-dlq/test-email-dlq"
        assert {sample["reason"] for sample in alert["recent_reasons"]} == {
            "schema_violation",
            "unknown (moved by redrive policy)",
        }
        assert alert["oldest_age_s"] is not None and alert["oldest_age_exact"] is True
        assert visible(dlq) == 3  # the sample was peeked, not consumed

        clock.advance(RENOTIFY_S - 1)
        await monitor.check()
        assert len(receiver.received("/hook")) == 1  # no repeat before the re-notify interval

        clock.advance(1)
        await monitor.check()
        assert [a["kind"] for a in receiver.received("/hook")] == ["firing", "repeat"]

        assert redrive(dead_letter_queue("email")).moved == 3
        clock.advance(5)
        await monitor.check()
        await monitor.check()
        assert [a["kind"] for a in receiver.received("/hook")] == ["firing", "repeat", "resolved"]
        assert (
            monitor.metrics.registry.get_sample_value(
                "fanout_dlq_depth", {"consumer": "email", "queue": "test-email-dlq"}
            )
            == 0.0
        )


async def test_restart_does_not_repage_and_still_resolves(
    open_test_monitor: OpenMonitor, fanout_topology: AppliedTopology, receiver: Receiver, clock: ManualClock
) -> None:
    put_dead_letters(fanout_topology.dlq_url("inventory"), 1)
    async with open_test_monitor() as first:
        await first.check()
    assert [a["kind"] for a in receiver.received("/hook")] == ["firing"]

    clock.advance(60)
    async with open_test_monitor() as second:  # same state file
        await second.check()
        assert len(receiver.received("/hook")) == 1
    drain(fanout_topology.dlq_url("inventory"))  # drained while no monitor runs

    async with open_test_monitor() as third:
        await third.check()
    assert [a["kind"] for a in receiver.received("/hook")] == ["firing", "resolved"]


async def test_failing_sink_is_retried_and_does_not_stop_the_others(
    open_test_monitor: OpenMonitor, fanout_topology: AppliedTopology, receiver: Receiver
) -> None:
    receiver.statuses["/broken"] = 500
    put_dead_letters(fanout_topology.dlq_url("analytics"), 1)
    urls = [f"{receiver.url}/broken", f"{receiver.url}/hook"]

    async with open_test_monitor(webhook_urls=urls, slack_webhook_url=f"{receiver.url}/slack") as monitor:
        await monitor.check()
        registry = monitor.metrics.registry
        host = receiver.url.removeprefix("http://")
        broken = {"sink": f"webhook:{host}"}  # the host only; a second webhook on it is "#2"
        assert registry.get_sample_value("fanout_monitor_sink_failures_total", broken) == 1.0
        assert registry.get_sample_value("fanout_monitor_sink_retries_total", broken) == 2.0
        hook = {"sink": f"webhook:{host}#2", "kind": "firing"}
        assert registry.get_sample_value("fanout_monitor_notices_total", hook) == 1.0

    assert len(receiver.received("/broken")) == 3  # every attempt reached it
    assert len(receiver.received("/hook")) == 1
    assert len(receiver.received("/slack")) == 1


async def test_pagerduty_and_slack_payloads(
    open_test_monitor: OpenMonitor, fanout_topology: AppliedTopology, receiver: Receiver
) -> None:
    put_dead_letters(fanout_topology.dlq_url("email"), 2, reason="retries_exhausted")
    put_dead_letters(fanout_topology.dlq_url("inventory"), 1)
    pagerduty = {"pagerduty_routing_key": "routing-key-1", "pagerduty_url": f"{receiver.url}/pd"}

    async with open_test_monitor(slack_webhook_url=f"{receiver.url}/slack", **pagerduty) as monitor:
        await monitor.check()
        drain(fanout_topology.dlq_url("email"))
        await monitor.check()

    events = receiver.received("/pd")
    triggers = {event["dedup_key"]: event for event in events if event["event_action"] == "trigger"}
    assert set(triggers) == {"fanout-dlq/test-email-dlq", "fanout-dlq/test-inventory-dlq"}
    trigger = triggers["fanout-dlq/test-email-dlq"]
    assert trigger["routing_key"] == "routing-key-1"
    assert trigger["payload"]["severity"] == "error" and trigger["payload"]["source"] == "test-email-dlq"
    assert "holds 2 message(s)" in trigger["payload"]["summary"]
    assert trigger["payload"]["custom_details"]["redrive_command"] == "fanout --env test dlq redrive email"
    resolves = {event["dedup_key"]: event for event in events if event["event_action"] == "resolve"}
    # analytics was empty on the first (state-less) check: PagerDuty gets an idempotent resolve
    assert set(resolves) == {"fanout-dlq/test-email-dlq", "fanout-dlq/test-analytics-dlq"}
    assert resolves["fanout-dlq/test-email-dlq"] == {
        "routing_key": "routing-key-1",
        "event_action": "resolve",
        "dedup_key": "fanout-dlq/test-email-dlq",
    }

    slack = receiver.received("/slack")
    assert len(slack) == 3
    firing = next(m for m in slack if "test-email-dlq" in m["text"] and m["text"].startswith("FIRING"))
    assert {(block["type"], block["text"]["type"]) for block in firing["blocks"]} == {("section", "mrkdwn")}
    text = "\n".join(block["text"]["text"] for block in firing["blocks"])
    assert "`retries_exhausted`" in text
    assert "`fanout --env test dlq show email`" in text
    assert any(m["text"].startswith("RESOLVED: DLQ test-email-dlq") for m in slack)


async def test_growth_threshold_fires_before_the_depth_threshold(
    open_test_monitor: OpenMonitor, fanout_topology: AppliedTopology, receiver: Receiver
) -> None:
    dlq = fanout_topology.dlq_url("email")
    put_dead_letters(dlq, 1)
    async with open_test_monitor(depth_threshold=100, growth_threshold=2) as monitor:
        await monitor.check()
        put_dead_letters(dlq, 1, start=1)
        await monitor.check()
        assert receiver.received("/hook") == []
        put_dead_letters(dlq, 2, start=2)
        await monitor.check()
    [alert] = receiver.received("/hook")
    assert alert["trigger"] == "grew by 2 since the last check (≥ 2)" and alert["depth"] == 4


async def test_alerts_published_to_an_sns_alarm_topic(
    open_test_monitor: OpenMonitor, fanout_topology: AppliedTopology
) -> None:
    sns, sqs = sync_client("sns"), sync_client("sqs")
    topic = sns.create_topic(Name="test-alarms")["TopicArn"]
    inbox = sqs.create_queue(QueueName="test-alarm-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "true"}
    )
    put_dead_letters(fanout_topology.dlq_url("analytics"), 1)

    async with open_test_monitor(alarm_topic_arn=topic) as monitor:
        await monitor.check()

    [message] = drain(inbox)
    assert '"kind":"firing"' in message["Body"] and '"dlq":"test-analytics-dlq"' in message["Body"]
    assert message["MessageAttributes"]["alert_kind"]["StringValue"] == "firing"


async def test_metrics_and_health_endpoints(
    open_test_monitor: OpenMonitor, fanout_topology: AppliedTopology
) -> None:
    put_dead_letters(fanout_topology.dlq_url("email"), 3)
    async with open_test_monitor() as monitor:
        server = await serve_metrics(monitor, "127.0.0.1", 0)
        host, port = server.addresses[0][:2]
        try:
            async with aiohttp.ClientSession(f"http://{host}:{port}") as http:
                async with http.get("/healthz") as response:
                    assert response.status == 503  # no check yet
                await monitor.check()
                async with http.get("/healthz") as response:
                    assert response.status == 200
                async with http.get("/metrics") as response:
                    text = await response.text()
        finally:
            await server.cleanup()
    assert 'fanout_dlq_depth{consumer="email",queue="test-email-dlq"} 3.0' in text
    assert 'fanout_queue_depth{consumer="email",queue="test-email"} 0.0' in text
    assert 'fanout_dlq_alert_firing{consumer="email"} 1.0' in text
