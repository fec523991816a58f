"""`fanout dev` as a newcomer runs it: its own embedded endpoint, the three consumers, the monitor."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

FANOUT = [sys.executable, "-m", "fanout.cli"]


def run_dev(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`fanout dev ARGS` in a fresh process with no endpoint configured (so it starts its own)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "FANOUT_"))}
    return subprocess.run(
        [*FANOUT, "dev", "--state-dir", str(tmp_path / "state"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def summary_rows(stdout: str) -> dict[str, list[str]]:
    """consumer → its cells in the last table printed.

    Cells: routed, queued, in flight, handled, retried, dead, DLQ, alert.
    """
    rows = {}
    for line in stdout.splitlines():
        cells = line.split()
        if cells and cells[0] in {"email", "inventory", "analytics"}:
            rows[cells[0]] = cells[1:]  # the last table printed wins
    return rows


@pytest.mark.timeout(300)
def test_dev_events_exits_0_once_every_consumer_handled_its_share(tmp_path: Path) -> None:
    result = run_dev(tmp_path, "--events", "50", "--rate", "50", "--poison", "3", "--seed", "7")

    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"endpoint: http://127\.0\.0\.1:\d+ \(embedded", result.stdout)
    # the banner's exports point a second `fanout consume email` at the same SMTP sink
    assert re.search(r"export .*FANOUT_EMAIL_SMTP_HOST=127\.0\.0\.1 FANOUT_EMAIL_SMTP_PORT=\d", result.stdout)
    assert re.search(r"dashboard: http://127\.0\.0\.1:\d+/", result.stdout)
    assert "ok: every consumer handled every event routed to it" in result.stdout
    rows = summary_rows(result.stdout)
    routed = {name: int(cells[0]) for name, cells in rows.items()}
    handled = {name: int(cells[3]) for name, cells in rows.items()}
    assert routed["email"] == routed["analytics"] == 50  # both take every type
    assert 0 < routed["inventory"] < 50  # placed and cancelled only, never shipped
    assert handled == routed
    # The three poison messages went round-robin to the queues and ended in the DLQs, and the
    # monitor, which runs beside the consumers, alerts on each DLQ that holds one.
    assert {name: (cells[-2], cells[-1]) for name, cells in rows.items()} == {
        "analytics": ("1", "firing"),
        "email": ("1", "firing"),
        "inventory": ("1", "firing"),
    }
    assert "mail received by the SMTP sink: 50" in result.stdout
    assert (tmp_path / "state" / "inventory.sqlite3").exists()


def test_dev_events_exits_1_naming_what_is_missing_at_the_deadline(tmp_path: Path) -> None:
    result = run_dev(tmp_path, "--events", "40", "--rate", "1", "--timeout", "2")

    assert result.returncode == 1
    assert re.search(r"FAILED: after 2 s: \d+ of 40 event\(s\) published", result.stdout), result.stdout
    assert "Traceback" not in result.stderr


def test_dev_rejects_a_bad_option_in_one_line(tmp_path: Path) -> None:
    result = run_dev(tmp_path, "--rate", "0")

    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "--rate" in result.stderr


def start_dev(tmp_path: Path) -> subprocess.Popen[str]:
    """An endless `fanout dev` in the background, once its dashboard is up (every consumer running)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "FANOUT_"))}
    process = subprocess.Popen(
        [*FANOUT, "dev", "--state-dir", str(tmp_path / "state"), "--rate", "20"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("dashboard: "):
            return process
    process.kill()
    raise AssertionError(f"fanout dev did not start: {process.communicate()[1][-2000:]}")


@pytest.mark.timeout(180)
def test_a_second_dev_run_on_the_same_state_is_refused_and_the_first_keeps_its_files(tmp_path: Path) -> None:
    first = start_dev(tmp_path)
    try:
        files = sorted(path.name for path in (tmp_path / "state").glob("*.sqlite3"))
        assert files  # the first run's databases
        second = run_dev(tmp_path, "--events", "1")
        assert second.returncode == 1
        (line,) = second.stderr.strip().splitlines()
        assert "is in use by another fanout dev" in line and "--state-dir" in line
        assert set(files) <= {path.name for path in (tmp_path / "state").glob("*.sqlite3")}
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=60)
    assert first.returncode == 0


@pytest.mark.timeout(180)
def test_ctrl_c_twice_exits_at_once_without_hanging(tmp_path: Path) -> None:
    """The second Ctrl-C lands in the drain or just after it: either way the run ends at once, 130."""
    process = start_dev(tmp_path)
    process.send_signal(signal.SIGINT)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)  # before: could hang for good in thread shutdown
    assert process.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr
