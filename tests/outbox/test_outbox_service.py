"""The long-running relay in-process: it wakes on NOTIFY (long before its poll interval), reports to
CloudWatch, and stops promptly when asked."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from outbox_support import stage_committed

from fanout.aws import aws_settings
from fanout.healthcheck import health_ports
from fanout.topology import AppliedTopology
from producer.demo import demo_events
from producer.outbox import outbox_status
from producer.outbox.service import RelayService, relay_factory
from producer.outbox.settings import OutboxSettings

NAMESPACE = "Fanout/OutboxTest"


async def test_a_commit_wakes_the_relay_and_its_figures_reach_cloudwatch(
    postgres_outbox: str, fanout_topology: AppliedTopology
) -> None:
    settings = OutboxSettings(
        database_url=postgres_outbox, poll_interval_s=60, metrics_port=0, cloudwatch_namespace=NAMESPACE
    )
    service = RelayService(settings, relay_factory(settings))
    running = asyncio.create_task(service.run())
    try:
        for _ in range(200):  # until the first (empty) round is done: then it waits on LISTEN
            if service.healthy():
                break
            await asyncio.sleep(0.05)
        event = next(iter(demo_events(1, seed=14)))
        committed_at = time.monotonic()
        await asyncio.to_thread(stage_committed, postgres_outbox, [event])
        while (await asyncio.to_thread(outbox_status, postgres_outbox)).pending:
            assert time.monotonic() - committed_at < 10, "not woken by NOTIFY (the poll interval is 60 s)"
            await asyncio.sleep(0.05)
    finally:
        service.stop()
        await asyncio.wait_for(running, timeout=5)

    import boto3

    cloudwatch = boto3.session.Session().client("cloudwatch", **aws_settings().client_kwargs())
    metrics = cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]
    assert {metric["MetricName"] for metric in metrics} == {"OldestPendingAge", "Pending", "Failing"}
    assert all(metric["Dimensions"] == [{"Name": "Environment", "Value": "test"}] for metric in metrics)


def test_the_container_health_probe_asks_the_relay_port(monkeypatch: pytest.MonkeyPatch) -> None:
    assert OutboxSettings().metrics_port in health_ports()  # the same default on both sides
    monkeypatch.setenv("FANOUT_OUTBOX_METRICS_PORT", "9555")
    assert OutboxSettings().metrics_port == 9555 and 9555 in health_ports()


def test_an_unreachable_database_is_logged_without_its_password_and_sigterm_still_stops_the_relay() -> None:
    relay = subprocess.Popen(
        [sys.executable, "-m", "fanout.cli", "outbox", "relay"],
        env={
            **os.environ,
            "FANOUT_OUTBOX_DATABASE_URL": "postgresql://fanout:s3cret-pw@127.0.0.1:9/orders",
            "FANOUT_OUTBOX_METRICS_PORT": "0",
            "FANOUT_OUTBOX_LOG_JSON": "true",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(3)  # start-up and a failed connection or two
    assert relay.poll() is None, "the relay gave up instead of retrying"
    relay.send_signal(signal.SIGTERM)
    output, _ = relay.communicate(timeout=10)
    assert relay.returncode == 0, output
    events = [json.loads(line)["event"] for line in output.splitlines() if line.startswith("{")]
    assert "outbox_database_error" in events and events[-1] == "outbox_relay_stopped"
    assert "fanout:***@127.0.0.1:9/orders" in output and "s3cret-pw" not in output
