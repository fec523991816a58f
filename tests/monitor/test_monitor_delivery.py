"""Per-sink delivery: a page is "sent" only once the sink accepted it, lost state, SIGTERM while a sink hangs.

Real loopback HTTP receivers (webhook, Slack, PagerDuty paths on one aiohttp server), moto for SQS.
"""

import asyncio
import json
import os
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from monitor_support import ManualClock, OffsetClock, Receiver, drain, eventually, put_dead_letters

from fanout.topology import AppliedTopology
from monitor.runner import open_monitor
from monitor.service import Monitor
from monitor.settings import MonitorSettings

OpenMonitor = Callable[..., AbstractAsyncContextManager[Monitor]]
PATHS = ("/hook", "/slack", "/pd")


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "alerts.sqlite3"


@pytest.fixture
def open_paging_monitor(
    fanout_topology: AppliedTopology, test_env: str, state_path: Path, receiver: Receiver
) -> OpenMonitor:
    """A monitor paging a webhook, Slack and PagerDuty, all on the loopback receiver."""

    @asynccontextmanager
    async def opener(clock: Callable[[], Any], **overrides: Any) -> AsyncIterator[Monitor]:
        settings = MonitorSettings(
            **{
                "state_path": state_path,
                "webhook_urls": [f"{receiver.url}/hook"],
                "slack_webhook_url": f"{receiver.url}/slack",
                "pagerduty_routing_key": "rk",
                "pagerduty_url": f"{receiver.url}/pd",
                "sink_attempts": 2,
                "sink_backoff_s": 0.01,
                "metrics_port": 0,
                **overrides,
            }
        )
        async with open_monitor(settings, clock=clock) as monitor:
            yield monitor

    return opener


def lose_state(path: Path) -> None:
    """What replacing an ECS task does to task-local storage."""
    path.unlink()


def kinds(receiver: Receiver, path: str) -> list[str]:
    """The notices a receiver accepted, as firing/repeat/resolved (PagerDuty: trigger/resolve)."""
    return [
        body.get("kind") or body.get("event_action") or body["text"].split(":")[0]
        for body in receiver.delivered(path)
    ]


async def test_sink_down_for_three_checks_gets_one_firing_after_recovery_then_one_resolved(
    open_paging_monitor: OpenMonitor,
    fanout_topology: AppliedTopology,
    receiver: Receiver,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for path in PATHS:
        receiver.statuses[path] = 500
    put_dead_letters(fanout_topology.dlq_url("email"), 2)
    clock = ManualClock()
    fired_at = clock.now

    async with open_paging_monitor(clock) as monitor:
        for _ in range(3):
            [status] = [s for s in await monitor.check() if s.reading.queue.consumer == "email"]
            assert status.firing and status.firing_since == fired_at
            assert sorted(status.undelivered) == sorted(
                ["webhook:127.0.0.1:" + receiver.url.rsplit(":", 1)[1], "slack", "pagerduty"]
            )
            clock.advance(30)
        assert all(receiver.delivered(path) == [] for path in PATHS)
        failures = monitor.metrics.registry.get_sample_value(
            "fanout_monitor_sink_failures_total", {"sink": "slack"}
        )
        assert failures == 3.0

        receiver.statuses.clear()  # the sinks are back
        await monitor.check()
        await monitor.check()
        assert kinds(receiver, "/hook") == ["firing"]
        assert kinds(receiver, "/slack") == ["FIRING"]
        assert [
            e["event_action"] for e in receiver.delivered("/pd") if e["dedup_key"].endswith("email-dlq")
        ] == ["trigger"]

        drain(fanout_topology.dlq_url("email"))
        await monitor.check()
        await monitor.check()

    assert kinds(receiver, "/hook") == ["firing", "resolved"]
    assert kinds(receiver, "/slack") == ["FIRING", "RESOLVED"]
    email_pd = [e["event_action"] for e in receiver.delivered("/pd") if e["dedup_key"].endswith("email-dlq")]
    assert email_pd == ["trigger", "resolve"]
    failed_lines = [line for line in capsys.readouterr().out.splitlines() if "sink_failed" in line]
    assert sum("sink=slack" in line for line in failed_lines) == 3  # one line per failed check


async def test_resolved_only_to_sinks_that_got_the_firing(
    open_paging_monitor: OpenMonitor, fanout_topology: AppliedTopology, receiver: Receiver
) -> None:
    receiver.statuses["/slack"] = 500  # Slack never hears of this incident
    put_dead_letters(fanout_topology.dlq_url("inventory"), 1)
    async with open_paging_monitor(ManualClock()) as monitor:
        await monitor.check()
        drain(fanout_topology.dlq_url("inventory"))
        receiver.statuses.clear()
        await monitor.check()
    assert kinds(receiver, "/hook") == ["firing", "resolved"]
    assert receiver.delivered("/slack") == []  # no RESOLVED for an alert it never saw


async def test_state_lost_after_drain_still_resolves_the_incident(
    open_paging_monitor: OpenMonitor, fanout_topology: AppliedTopology, receiver: Receiver, state_path: Path
) -> None:
    put_dead_letters(fanout_topology.dlq_url("email"), 1)
    clock = OffsetClock()
    async with open_paging_monitor(clock) as monitor:
        await monitor.check()
    lose_state(state_path)  # the task was replaced: its state is gone
    drain(fanout_topology.dlq_url("email"))
    clock.advance(300)

    async with open_paging_monitor(clock) as monitor:
        await monitor.check()
        await monitor.check()

    email_pd = [e["event_action"] for e in receiver.delivered("/pd") if e["dedup_key"].endswith("email-dlq")]
    assert email_pd == ["trigger", "resolve"]  # PagerDuty's incident is closed
    assert kinds(receiver, "/hook") == ["firing"] and kinds(receiver, "/slack") == ["FIRING"]  # no duplicates


async def test_state_lost_while_firing_adopts_without_duplicate_firing_then_resolves(
    open_paging_monitor: OpenMonitor, fanout_topology: AppliedTopology, receiver: Receiver, state_path: Path
) -> None:
    put_dead_letters(fanout_topology.dlq_url("email"), 1)
    clock = OffsetClock()
    async with open_paging_monitor(clock) as monitor:
        await monitor.check()
    lose_state(state_path)
    clock.advance(300)  # the crossing is older than two intervals: the lost monitor paged it

    async with open_paging_monitor(clock) as monitor:
        await monitor.check()
        await monitor.check()
        assert kinds(receiver, "/hook") == ["firing"] and kinds(receiver, "/slack") == ["FIRING"]
        drain(fanout_topology.dlq_url("email"))
        await monitor.check()

    assert kinds(receiver, "/hook") == ["firing", "resolved"]
    assert kinds(receiver, "/slack") == ["FIRING", "RESOLVED"]
    email_pd = [e["event_action"] for e in receiver.delivered("/pd") if e["dedup_key"].endswith("email-dlq")]
    assert email_pd == ["trigger", "trigger", "resolve"]  # the re-trigger is idempotent by dedup_key
    assert (
        len({e["dedup_key"] for e in receiver.delivered("/pd") if e["dedup_key"].endswith("email-dlq")}) == 1
    )


async def test_state_lost_without_an_idempotent_sink_pages_again_rather_than_miss(
    open_paging_monitor: OpenMonitor, fanout_topology: AppliedTopology, receiver: Receiver, state_path: Path
) -> None:
    put_dead_letters(fanout_topology.dlq_url("email"), 1)
    clock = OffsetClock()
    async with open_paging_monitor(clock, pagerduty_routing_key=None) as monitor:
        await monitor.check()
    lose_state(state_path)
    clock.advance(300)
    async with open_paging_monitor(clock, pagerduty_routing_key=None) as monitor:
        await monitor.check()
    assert kinds(receiver, "/hook") == ["firing", "firing"]


async def test_postgres_state_survives_a_replaced_task(
    open_paging_monitor: OpenMonitor, fanout_topology: AppliedTopology, receiver: Receiver, postgres_url: str
) -> None:
    put_dead_letters(fanout_topology.dlq_url("analytics"), 1)
    clock = ManualClock()
    async with open_paging_monitor(clock, state_path=postgres_url) as monitor:
        await monitor.check()
    clock.advance(60)
    async with open_paging_monitor(clock, state_path=postgres_url) as monitor:  # a new task
        await monitor.check()
        drain(fanout_topology.dlq_url("analytics"))
        await monitor.check()
    assert kinds(receiver, "/hook") == ["firing", "resolved"]
    assert kinds(receiver, "/slack") == ["FIRING", "RESOLVED"]


async def test_sigterm_while_a_sink_hangs_exits_within_5_s_and_keeps_what_it_knew(
    fanout_topology: AppliedTopology, test_env: str, tmp_path: Path, receiver: Receiver
) -> None:
    receiver.hanging.add("/hang")
    put_dead_letters(fanout_topology.dlq_url("email"), 1)
    state = tmp_path / "state.sqlite3"
    env = os.environ | {
        "FANOUT_MONITOR_STATE_PATH": str(state),
        "FANOUT_MONITOR_WEBHOOK_URLS": json.dumps([f"{receiver.url}/hang"]),
        "FANOUT_MONITOR_SINK_TIMEOUT_S": "60",
    }
    daemon = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "monitor",
        "--interval",
        "0.5",
        "--metrics-port",
        "0",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await eventually(lambda: len(receiver.received("/hang")) > 0, "the delivery to the hanging sink")
        await asyncio.sleep(0.3)
        signalled = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(daemon.communicate(), 20)
        took = time.monotonic() - signalled
    finally:
        if daemon.returncode is None:
            daemon.kill()
            await daemon.wait()
    print(f"monitor exited {took:.2f} s after SIGTERM")
    assert took < 5.0, output.decode()
    assert daemon.returncode == 0, output.decode()
    with sqlite3.connect(state) as db:
        assert db.execute(
            "SELECT firing FROM fanout_monitor_queue WHERE queue = 'test-email-dlq'"
        ).fetchall() == [(1,)]
        notified = {row[0] for row in db.execute("SELECT sink FROM fanout_monitor_sink")}
    assert notified == {"log"}  # the hanging webhook never accepted: the next monitor pages it


async def test_a_failed_reconcile_resolve_is_retried_and_never_hides_a_new_firing(
    open_paging_monitor: OpenMonitor, fanout_topology: AppliedTopology, receiver: Receiver
) -> None:
    receiver.statuses["/pd"] = 500  # PagerDuty down when the state-less monitor starts
    clock = ManualClock()
    async with open_paging_monitor(clock) as monitor:
        await monitor.check()
        put_dead_letters(fanout_topology.dlq_url("email"), 1)  # email fills before the resolve got through
        await monitor.check()
        receiver.statuses.clear()
        await monitor.check()
        await monitor.check()

    by_queue: dict[str, list[str]] = {}
    for event in receiver.delivered("/pd"):
        by_queue.setdefault(event["dedup_key"], []).append(event["event_action"])
    assert by_queue["fanout-dlq/test-analytics-dlq"] == ["resolve"]  # retried until accepted, once
    assert by_queue["fanout-dlq/test-email-dlq"] == ["trigger"]  # the new incident still pages
