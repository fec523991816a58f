"""`fanout monitor --once`: exit 0 below every threshold, 3 above one; bad settings are one line."""

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from monitor_support import put_dead_letters

from fanout.cli import main
from fanout.topology import AppliedTopology


def run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


@pytest.fixture
def monitor_env(test_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FANOUT_MONITOR_STATE_PATH", str(tmp_path / "state.sqlite3"))
    monkeypatch.setenv("FANOUT_MONITOR_THRESHOLDS", '{"inventory": {"depth": 2}}')


@pytest.mark.conformance
def test_once_exit_code_follows_thresholds(fanout_topology: AppliedTopology, monitor_env: None) -> None:
    assert run(["monitor", "--once"]) == 0
    put_dead_letters(fanout_topology.dlq_url("inventory"), 1)
    assert run(["monitor", "--once"]) == 0  # 1 < inventory's threshold of 2
    put_dead_letters(fanout_topology.dlq_url("inventory"), 1, start=1)
    assert run(["monitor", "--once"]) == 3


def test_invalid_settings_are_one_line(
    fanout_topology: AppliedTopology,
    monitor_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FANOUT_MONITOR_THRESHOLDS", '{"nobody": {"depth": 2}}')
    assert run(["monitor", "--once"]) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("fanout: error: thresholds for unknown consumer(s) ['nobody']")

    monkeypatch.setenv("FANOUT_MONITOR_DEPTH_THRESHOLD", "0")
    assert run(["monitor", "--once"]) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("fanout: error: invalid settings: depth_threshold")


@pytest.mark.conformance
def test_container_entrypoint_serves_metrics_and_stops_on_sigterm(
    fanout_topology: AppliedTopology, monitor_env: None
) -> None:
    put_dead_letters(fanout_topology.dlq_url("email"), 2)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    daemon = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--interval", "0.5", "--metrics-port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        metrics = wait_for_metrics(f"http://127.0.0.1:{port}", 'fanout_dlq_depth{consumer="email"')
        dlq = fanout_topology.declared.dlq_name("email")
        assert f'fanout_dlq_depth{{consumer="email",queue="{dlq}"}} 2.0' in metrics
        assert 'fanout_dlq_alert_firing{consumer="email"} 1.0' in metrics
    finally:
        daemon.send_signal(signal.SIGTERM)
        output, _ = daemon.communicate(timeout=20)
    assert daemon.returncode == 0, output
    assert output.count("dlq_alert") == 1  # fired once across several checks


def wait_for_metrics(base_url: str, needle: str, timeout_s: float = 20.0) -> str:
    """Poll /healthz until healthy, then return /metrics once it contains `needle`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as health:
                if health.status == 200:
                    with urllib.request.urlopen(f"{base_url}/metrics", timeout=2) as response:
                        text: str = response.read().decode()
                    if needle in text:
                        return text
        except OSError:
            pass  # not listening yet, or 503 before the first check
        time.sleep(0.2)
    raise AssertionError(f"monitor never served {needle!r}")
