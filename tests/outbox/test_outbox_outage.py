"""The relay as a service: SNS unreachable for the whole write phase, then back → every committed
event published exactly once, rolled-back ones never; /healthz, /metrics, SIGTERM drain."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from outbox_support import receive_event_ids, stage_committed
from reliability_proxy import FlakyProxy

from fanout.topology import AppliedTopology
from producer.demo import demo_events
from producer.outbox import outbox_status

DOWN_S = 3.0
MAX_CONNECTIONS_PER_DOWN_SECOND = 10  # a busy loop makes hundreds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def eventually(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""
    except OSError:
        return 0, ""


def metric(text: str, name: str) -> float:
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " "))


@pytest.mark.timeout(120)
def test_events_committed_while_sns_is_down_are_published_once_when_it_is_back(
    outbox_url: str, fanout_topology: AppliedTopology, fanout_endpoint: str, tmp_path: Path
) -> None:
    events = list(demo_events(25, seed=11))
    committed, rolled_back = events[:20], events[20:]
    upstream = urlsplit(fanout_endpoint)
    assert upstream.hostname is not None and upstream.port is not None
    port = free_port()
    with FlakyProxy(upstream.hostname, upstream.port) as proxy:
        proxy.go_down()
        environment = {
            **os.environ,
            "AWS_ENDPOINT_URL": proxy.url,
            "FANOUT_OUTBOX_POLL_INTERVAL_S": "0.5",
            "FANOUT_OUTBOX_MAX_BACKOFF_S": "1",
        }
        log = (tmp_path / "relay.log").open("w")
        relay = subprocess.Popen(
            [sys.executable, "-m", "fanout.cli", "outbox", "relay", "--database-url", outbox_url],
            env={**environment, "FANOUT_OUTBOX_METRICS_PORT": str(port)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            eventually(lambda: get(f"{base}/healthz")[0] == 200, 30, "the relay to be healthy")
            stage_committed(outbox_url, committed)
            stage_committed(outbox_url, rolled_back, rollback=True)
            eventually(
                lambda: metric(get(f"{base}/metrics")[1], "fanout_outbox_publish_failures_total") > 0,
                20,
                "a failed attempt",
            )
            time.sleep(DOWN_S)
            assert outbox_status(outbox_url).pending == len(committed)
            gauges = get(f"{base}/metrics")[1]
            assert metric(gauges, "fanout_outbox_pending") == len(committed)
            assert metric(gauges, "fanout_outbox_oldest_pending_age_seconds") >= DOWN_S - 1
            assert get(f"{base}/healthz")[0] == 200  # SNS down is not the relay's ill health
            proxy.come_back()
            assert proxy.attempts_while_down <= MAX_CONNECTIONS_PER_DOWN_SECOND * proxy.downtime_s, (
                "busy loop"
            )

            eventually(
                lambda: outbox_status(outbox_url).pending == 0, 40, "every committed event to be published"
            )
            eventually(
                lambda: metric(get(f"{base}/metrics")[1], "fanout_outbox_pending") == 0, 10, "the gauge"
            )
            text = get(f"{base}/metrics")[1]
            assert metric(text, "fanout_outbox_published_total") == len(committed)
            assert metric(text, "fanout_outbox_oldest_pending_age_seconds") == 0
        finally:
            relay.send_signal(signal.SIGTERM)
            code = relay.wait(timeout=10)
            log.close()
    assert code == 0, (tmp_path / "relay.log").read_text()[-2000:]
    assert receive_event_ids(fanout_topology.queue_url("analytics")) == {event.id: 1 for event in committed}
