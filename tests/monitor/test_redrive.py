"""Redrive with snapshot semantics: it ends while the consumer keeps failing, moves each message once,
stops cleanly on SIGTERM, and says so when the consumer fails the same messages again."""

import asyncio
import os
import re
import signal
import subprocess
import sys
import time

from monitor_support import drain, eventually, put_dead_letters, visible
from test_monitor_end_to_end import ShippingNotices

from consumers.runtime.consumer import Consumer
from consumers.runtime.settings import ConsumerSettings
from fanout.aws import sync_client
from fanout.topology import AppliedTopology
from monitor.dlq.queues import dead_letter_queue
from monitor.dlq.redrive import Redriver, StopReason, redrive

CLI = [sys.executable, "-m", "fanout.cli"]


def cli(*argv: str) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([*CLI, *argv], capture_output=True, text=True, timeout=60, env=dict(os.environ))


async def test_redrive_ends_while_the_consumer_keeps_failing_the_poison(
    fanout_topology: AppliedTopology, test_env: str
) -> None:
    queue, dlq = fanout_topology.queue_url("email"), fanout_topology.dlq_url("email")
    sqs = sync_client("sqs")
    for index in range(3):
        sqs.send_message(QueueUrl=dlq, MessageBody=f"{{poison {index}")  # undecodable: back at once
    consumer = Consumer(
        ShippingNotices(), queue, dlq, ConsumerSettings(wait_time_s=1, drain_timeout_s=5, health_port=0)
    )

    async with consumer.running():
        started = time.monotonic()
        result = await asyncio.to_thread(cli, "dlq", "redrive", "email")
        took = time.monotonic() - started
        print(f"redrive with the consumer running: {took:.1f} s; {result.stdout.strip()}")
        assert result.returncode == 0, result.stdout + result.stderr
        assert took < 30
        moved = int(re.search(r"moved (\d+) of 3 message", result.stdout).group(1))  # type: ignore[union-attr]
        assert moved <= 3
        if "; 3 left in" in result.stdout:  # all back by the end of the run: on-call is told why
            assert result.stderr.count("fails them again") == 1, result.stderr
        await eventually(lambda: visible(dlq) == 3, "the poison back in the DLQ: nothing lost")
    assert visible(queue) == 0


def test_sigterm_finishes_the_batch_then_stops_nothing_lost_or_duplicated(
    fanout_topology: AppliedTopology, test_env: str
) -> None:
    dlq, source = fanout_topology.dlq_url("inventory"), fanout_topology.queue_url("inventory")
    bodies = put_dead_letters(dlq, 30)
    process = subprocess.Popen(
        [*CLI, "dlq", "redrive", "inventory", "--rate", "4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while visible(source) == 0 and time.monotonic() < deadline:  # the first batch arrived
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)

    assert process.returncode == 130, out + err
    assert "interrupted: rerun the same command to continue" in err
    moved = int(re.search(r"moved (\d+) of 30 message", out).group(1))  # type: ignore[union-attr]
    assert 0 < moved < 30 and moved % 4 == 0  # whole batches of 4 (the rate)
    assert (visible(dlq), visible(source)) == (30 - moved, moved)
    assert cli("dlq", "redrive", "inventory").returncode == 0  # a rerun continues
    moved_back = [message["Body"] for message in drain(source)]
    assert sorted(moved_back) == sorted(bodies)  # every message once: nothing lost, nothing doubled


def test_a_message_seen_twice_ends_the_run(fanout_topology: AppliedTopology, test_env: str) -> None:
    dlq, source = fanout_topology.dlq_url("analytics"), fanout_topology.queue_url("analytics")
    put_dead_letters(dlq, 2)
    sqs = sync_client("sqs")

    def consumer_fails_them_again(count: int) -> None:
        """What a broken consumer does: the redriven messages come back to the DLQ (new ids)."""
        for message in drain(source):
            sqs.send_message(QueueUrl=dlq, MessageBody=message["Body"])

    redriver = Redriver(sqs, dead_letter_queue("analytics"))
    progress, stopped = redriver.copy(budget=10, rate=None, on_moved=consumer_fails_them_again)

    assert stopped is StopReason.RETURNED
    assert (progress.moved, progress.returned) == (2, 2)
    assert visible(dlq) == 2  # the returned ones were released, not moved again


def test_limit_and_snapshot_are_reported(fanout_topology: AppliedTopology, test_env: str) -> None:
    dlq = fanout_topology.dlq_url("email")
    put_dead_letters(dlq, 5)
    queue = dead_letter_queue("email")

    limited = redrive(queue, limit=2)
    assert (limited.snapshot, limited.moved, limited.remaining, limited.stopped) == (
        5,
        2,
        3,
        StopReason.LIMIT,
    )
    rest = redrive(queue)
    assert (rest.method, rest.snapshot, rest.moved, rest.remaining, rest.stopped) == (
        "copy",
        3,
        3,
        0,
        StopReason.SNAPSHOT,
    )
    assert redrive(queue).moved == 0


def test_status_on_an_endpoint_without_move_tasks_is_one_line(
    fanout_topology: AppliedTopology, test_env: str
) -> None:
    result = cli("dlq", "redrive", "email", "--status")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "fanout: error: this endpoint does not implement ListMessageMoveTasks (moto lacks it): "
        "redrives here are client-side copies, with no task to show"
    ]


ENDPOINT_SCRIPT = """
import boto3
from fanout.local.endpoint import LocalEndpoint
with LocalEndpoint() as endpoint:
    sqs = boto3.client("sqs", endpoint_url=endpoint.url, region_name="us-east-1")
    arn = "arn:aws:sqs:us-east-1:123456789012:"
    try:
        sqs.start_message_move_task(SourceArn=arn + "a", DestinationArn=arn + "b")
    except Exception as error:
        print("client saw", type(error).__name__)
"""


def test_the_local_endpoint_keeps_moto_500_tracebacks_off_the_screen() -> None:
    """`fanout dev` runs the endpoint in its own process: a redrive's fallback probe must not print there."""
    result = subprocess.run(
        [sys.executable, "-c", ENDPOINT_SCRIPT], capture_output=True, text=True, timeout=60
    )
    assert "client saw ClientError" in result.stdout
    assert "Traceback" not in result.stderr and "NotImplementedError" not in result.stderr, result.stderr
    assert "Error on request" not in result.stderr
