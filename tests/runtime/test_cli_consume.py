"""`fanout consume`: one-line errors, --check, refusing to start on drift, a real run with health and
metrics, ended by SIGTERM."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from runtime_helpers import placed, receive_all, wait_for_depth

from fanout.aws import sync_client
from fanout.cli import main
from fanout.contract.wire import message_attributes
from fanout.testing.plugin import TEST_PREFIX, AppliedTopology


@pytest.fixture(autouse=True)
def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FANOUT_ENV", TEST_PREFIX)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fanout: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


def test_unknown_consumer_is_one_readable_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "consume", "billing")
    assert_one_line_error(code, err, "unknown consumer 'billing'", "email")


def test_invalid_settings_are_one_readable_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FANOUT_CONSUMER_WAIT_TIME_S", "60")
    code, _, err = run_cli(capsys, "consume", "email")
    assert_one_line_error(code, err, "invalid settings", "wait_time_s")


@pytest.mark.parametrize("flag", [["--wait", "60"], ["--concurrency", "0"]])
def test_an_out_of_range_flag_is_a_usage_error(flag: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "consume", "email", *flag)
    assert code == 2  # like every other bad flag value
    (line,) = err.strip().splitlines()
    assert line.startswith(f"fanout: error: Invalid value for '{flag[0]}'")


@pytest.mark.conformance
def test_check_passes_on_the_declared_topology(
    fanout_topology: AppliedTopology, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, "consume", "email", "--check")
    assert code == 0
    assert "topology matches" in out


@pytest.mark.conformance
def test_check_and_start_refuse_a_drifted_topology(
    fanout_topology: AppliedTopology, capsys: pytest.CaptureFixture[str]
) -> None:
    sync_client("sqs").set_queue_attributes(
        QueueUrl=fanout_topology.queue_url("email"), Attributes={"VisibilityTimeout": "5"}
    )
    code, _, err = run_cli(capsys, "consume", "email", "--check")
    assert code == 1
    assert f"drift: {fanout_topology.declared.queue_name('email')}: VisibilityTimeout" in err
    code, _, err = run_cli(capsys, "consume", "email")
    assert code == 1
    assert err.strip().splitlines()[-1] == (
        "fanout: error: 1 topology drift(s) for email; fix them or pass --no-verify"
    )


def test_check_reports_an_unreachable_endpoint(
    fanout_endpoint: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", fanout_endpoint)  # restored after --endpoint-url changes it
    code, _, err = run_cli(capsys, "--endpoint-url", "http://127.0.0.1:9", "consume", "email", "--check")
    assert_one_line_error(code, err, "127.0.0.1:9")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(port: int, path: str) -> tuple[int, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
        return response.status, response.read().decode()


def start_fanout(environment: dict[str, str], *argv: str) -> subprocess.Popen[bytes]:
    executable = str(Path(sys.executable).parent / "fanout")
    return subprocess.Popen(
        [executable, *argv], env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


@pytest.mark.conformance
async def test_consume_runs_a_catalog_service_until_sigterm(
    fanout_topology: AppliedTopology, tmp_path: Path
) -> None:
    event = placed("o-cli")
    sync_client("sns").publish(
        TopicArn=fanout_topology.deployed.topic_arn,
        Message=event.model_dump_json(),
        MessageAttributes=message_attributes(event),  # type: ignore[arg-type]
    )
    queue_url = fanout_topology.queue_url("inventory")
    await wait_for_depth(queue_url, lambda d: d.total == 1, what="the event delivered")  # SNS is async
    port = free_port()
    environment = {
        **os.environ,
        "FANOUT_ENV": fanout_topology.declared.prefix,
        "FANOUT_CONSUMER_HEALTH_PORT": str(port),
        "FANOUT_INVENTORY_DATABASE_URL": f"sqlite:///{tmp_path / 'inventory.sqlite3'}",
    }
    process = start_fanout(environment, "consume", "inventory", "--wait", "1", "--concurrency", "4")
    try:
        await wait_for_depth(queue_url, lambda d: d.total == 0, timeout_s=20, what="the event consumed")
        ready, metrics = (
            await asyncio.to_thread(fetch, port, "/readyz"),
            await asyncio.to_thread(fetch, port, "/metrics"),
        )
        process.send_signal(signal.SIGTERM)
        returncode = await asyncio.to_thread(process.wait, 20)
    finally:
        process.kill()
    assert returncode == 0, process.stderr.read().decode() if process.stderr else ""
    assert receive_all(fanout_topology.dlq_url("inventory")) == []
    assert ready[0] == 200
    assert 'fanout_consumer_messages_received_total{consumer="inventory"} 1.0' in metrics[1]
