"""The monitor container logs JSON lines when FANOUT_MONITOR_LOG_JSON is set (the image's default)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from monitor_support import put_dead_letters

from fanout.topology import AppliedTopology


def test_the_running_monitor_writes_json_lines(
    fanout_topology: AppliedTopology, test_env: str, tmp_path: Path
) -> None:
    put_dead_letters(fanout_topology.dlq_url("email"), 1)
    environment = {
        **os.environ,
        "FANOUT_MONITOR_LOG_JSON": "true",
        "FANOUT_MONITOR_STATE_PATH": str(tmp_path / "state.sqlite3"),
    }
    daemon = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--interval", "0.5", "--metrics-port", "0"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4)  # a few checks
    daemon.send_signal(signal.SIGTERM)
    _, err = daemon.communicate(timeout=20)
    assert daemon.returncode == 0, err
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert lines, "the monitor logged nothing"
    assert all({"event", "level", "timestamp"} <= line.keys() for line in lines)
    assert any(line.get("consumer") == "email" for line in lines), lines
