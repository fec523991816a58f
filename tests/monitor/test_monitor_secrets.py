"""A failing monitor's logs, /metrics and CLI output never show a webhook token, Slack path or routing key."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys

import aiohttp
import pytest
from monitor_support import Receiver, put_dead_letters
from test_monitor_cli import wait_for_metrics

from fanout.topology import AppliedTopology
from monitor.sinks.base import safe_error

TOKEN = "s3cr3t-T0KEN-4711"
SLACK_SECRET = "T0001/B0002/XoXsEcReTpAtH"
ROUTING_KEY = "R0UTING-KEY-0815"
SECRETS = (TOKEN, SLACK_SECRET, ROUTING_KEY, "XoXsEcReTpAtH")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def failing_sinks_env(receiver: Receiver, tmp_path: object, test_env: str) -> dict[str, str]:
    """Every sink points at a loopback receiver answering 500 (or a closed port), secrets in the URLs."""
    for path in ("/hook", "/services/" + SLACK_SECRET, "/pd"):
        receiver.statuses[path] = 500
    return os.environ | {
        "FANOUT_MONITOR_STATE_PATH": f"{tmp_path}/state.sqlite3",
        "FANOUT_MONITOR_WEBHOOK_URLS": json.dumps(
            [f"{receiver.url}/hook?token={TOKEN}", f"http://127.0.0.1:{free_port()}/down?token={TOKEN}"]
        ),
        "FANOUT_MONITOR_SLACK_WEBHOOK_URL": f"{receiver.url}/services/{SLACK_SECRET}",
        "FANOUT_MONITOR_PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
        "FANOUT_MONITOR_PAGERDUTY_URL": f"{receiver.url}/pd",
        "FANOUT_MONITOR_SINK_ATTEMPTS": "2",
        "FANOUT_MONITOR_SINK_BACKOFF_S": "0.01",
    }


def run(argv: list[str], env: dict[str, str]) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)


def assert_no_secret(text: str, where: str) -> None:
    leaked = [secret for secret in SECRETS if secret in text]
    assert not leaked, f"{where} shows {leaked}"


async def test_failing_monitor_logs_metrics_and_cli_output_hold_no_secret(
    fanout_topology: AppliedTopology, receiver: Receiver, failing_sinks_env: dict[str, str]
) -> None:
    put_dead_letters(fanout_topology.dlq_url("email"), 2)
    cli = [sys.executable, "-m", "fanout.cli"]

    once = await asyncio.to_thread(run, [*cli, "monitor", "--once"], failing_sinks_env)
    assert once.returncode == 3, once.stdout + once.stderr
    assert "sink_failed" in once.stdout + once.stderr  # it did fail, and said so
    assert "test-email-dlq: not delivered to webhook:127.0.0.1:" in once.stdout  # by safe name
    assert_no_secret(once.stdout + once.stderr, "monitor --once")

    port = free_port()
    daemon = await asyncio.create_subprocess_exec(
        *cli, "monitor", "--interval", "0.5", "--metrics-port", str(port),
        env=failing_sinks_env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        metrics = await asyncio.to_thread(await_metrics, port)
    finally:
        daemon.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(daemon.communicate(), 20)
    logs = output.decode()
    assert "fanout_monitor_sink_failures_total" in metrics and 'sink="slack"' in metrics
    assert 'sink="webhook:127.0.0.1:' in metrics  # the host, nothing after it
    assert_no_secret(metrics, "/metrics")
    assert "sink_failed" in logs and "HTTP 500" in logs
    assert_no_secret(logs, "the monitor's logs")

    helps = await asyncio.to_thread(run, [*cli, "monitor", "--help"], failing_sinks_env)
    assert_no_secret(helps.stdout + helps.stderr, "monitor --help")
    assert receiver.received("/services/" + SLACK_SECRET)  # the secret path was really used


def await_metrics(port: int) -> str:
    return wait_for_metrics(f"http://127.0.0.1:{port}", 'fanout_monitor_sink_failures_total{sink="slack"}')


def test_invalid_webhook_url_error_does_not_echo_it(fanout_topology: AppliedTopology, test_env: str) -> None:
    bad = run(
        [sys.executable, "-m", "fanout.cli", "monitor", "--once"],
        os.environ | {"FANOUT_MONITOR_WEBHOOK_URLS": json.dumps([f"ftp://x/{TOKEN}"])},
    )
    assert bad.returncode == 1
    assert (
        bad.stderr.strip()
        == "fanout: error: invalid settings: webhook_urls.0: Value error, must be an http(s) URL"
    )

    not_json = run(
        [sys.executable, "-m", "fanout.cli", "monitor", "--once"],
        os.environ | {"FANOUT_MONITOR_WEBHOOK_URLS": f"https://hooks.example.com/x?token={TOKEN}"},
    )
    assert not_json.returncode == 1
    assert not_json.stderr.startswith(
        "fanout: error: invalid settings: FANOUT_MONITOR_WEBHOOK_URLS cannot be"
    )
    assert len(not_json.stderr.strip().splitlines()) == 1 and TOKEN not in not_json.stderr


async def test_client_response_error_is_reduced_to_its_status(receiver: Receiver) -> None:
    receiver.statuses["/services/" + SLACK_SECRET] = 500
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientResponseError) as caught:
            await session.post(f"{receiver.url}/services/{SLACK_SECRET}", json={}, raise_for_status=True)
    assert SLACK_SECRET in repr(caught.value)  # what used to be logged
    assert safe_error(caught.value) == "HTTP 500"


def test_unreachable_postgres_state_is_one_line_without_the_password(
    fanout_topology: AppliedTopology, test_env: str
) -> None:
    state = f"postgresql://monitor:{TOKEN}@127.0.0.1:{free_port()}/alerts"
    result = run(
        [sys.executable, "-m", "fanout.cli", "monitor", "--once", "--state", state], dict(os.environ)
    )
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("fanout: error: alert state in PostgreSQL unavailable: connection failed")
    assert_no_secret(result.stdout + result.stderr, "monitor with an unreachable state database")
