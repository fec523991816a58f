"""A consumer whose log output nobody reads keeps working: logging never blocks the event loop.

The real `fanout consume` runs in its own process with stderr on a pipe that is already full and
not read, at DEBUG (the most output). It must still dead-letter 50 poison messages. Then the test
starts reading: the queued lines arrive (one per dead letter, no body, no secret), and SIGTERM
drains and stops the consumer.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from fanout.aws import sync_client
from fanout.testing.plugin import TEST_PREFIX, AppliedTopology

POISON = 50
SECRET_BODY = "card=4111111111111111 not-json {"


def fill(descriptor: int) -> None:
    """Write to a pipe until it is full, so the next write from the reader's side blocks."""
    os.set_blocking(descriptor, False)
    try:
        while True:
            os.write(descriptor, b"x" * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(descriptor, True)


def dlq_depth(dlq_url: str) -> int:
    attributes = sync_client("sqs").get_queue_attributes(
        QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


@pytest.mark.timeout(180)
@pytest.mark.parametrize("read_before_sigterm", [True, False], ids=["reader-catches-up", "never-read"])
def test_a_consumer_with_a_full_unread_stderr_dead_letters_and_exits_on_sigterm(
    fanout_topology: AppliedTopology, fanout_endpoint: str, tmp_path: Path, read_before_sigterm: bool
) -> None:
    sqs = sync_client("sqs")
    queue_url, dlq_url = fanout_topology.queue_url("analytics"), fanout_topology.dlq_url("analytics")
    for start in range(0, POISON, 10):
        entries = [{"Id": str(i), "MessageBody": f"{SECRET_BODY} {i}"} for i in range(start, start + 10)]
        sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
    read_end, write_end = os.pipe()
    fill(write_end)
    environment = {
        **os.environ,
        "AWS_ENDPOINT_URL": fanout_endpoint,
        "FANOUT_ENV": TEST_PREFIX,
        "FANOUT_CONSUMER_HEALTH_PORT": "0",
        "FANOUT_CONSUMER_WAIT_TIME_S": "1",
        "FANOUT_CONSUMER_LOG_LEVEL": "DEBUG",
        "FANOUT_CONSUMER_LOG_JSON": "true",
        "FANOUT_ANALYTICS_DATABASE_URL": f"sqlite:///{tmp_path / 'analytics.sqlite3'}",
    }
    consumer = subprocess.Popen(
        [sys.executable, "-m", "fanout.cli", "consume", "analytics"],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=write_end,
    )
    os.close(write_end)
    output = bytearray()
    reader = threading.Thread(target=lambda: read_all(read_end, output), daemon=True)
    try:
        deadline = time.monotonic() + 90
        while dlq_depth(dlq_url) < POISON and consumer.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert consumer.poll() is None, "the consumer died"
        assert dlq_depth(dlq_url) == POISON  # all while no log line could be written
        if read_before_sigterm:
            reader.start()
            wait_for(lambda: bytes(output).count(b'"dead-lettered"') == POISON)
        consumer.send_signal(signal.SIGTERM)
        assert consumer.wait(timeout=30) == 0
    finally:
        if consumer.poll() is None:
            consumer.kill()
            consumer.wait()
    if not read_before_sigterm:
        return  # it exited although its output stayed blocked; the queued lines are gone with it
    reader.join(timeout=10)
    logged = bytes(output).replace(b"x", b"").decode(errors="replace")
    assert logged.count('"dead-lettered"') == POISON, logged[-2000:]
    assert '"consumer stopped"' in logged
    assert "4111111111111111" not in logged
    assert "not-json" not in logged


def wait_for(condition: Callable[[], bool], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def read_all(descriptor: int, into: bytearray) -> None:
    with os.fdopen(descriptor, "rb") as pipe:
        while chunk := pipe.read1(65536):
            into += chunk
