"""`fanout dashboard` and `fanout dev`'s dashboard as processes: what they print, serve and refuse."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from fanout.local.endpoint import LOCAL_CREDENTIALS
from fanout.testing.plugin import TEST_PREFIX
from fanout.topology import AppliedTopology

FANOUT = [sys.executable, "-m", "fanout.cli"]
URL = re.compile(r"dashboard: (http://127\.0\.0\.1:\d+/)")


def clean_env(**extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "FANOUT_"))}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


@contextmanager
def running(args: list[str], env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Start a fanout command that serves the dashboard; the process and the URL it printed."""
    process = subprocess.Popen(
        [*FANOUT, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = None
        for line in process.stdout:
            if match := URL.search(line):
                url = match.group(1)
                break
        assert url is not None, process.stderr.read() if process.stderr else ""
        yield process, url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def test_dashboard_rejects_bad_options_and_settings_in_one_line(fanout_endpoint: str) -> None:
    for args, env in (
        (["dashboard", "--port", "70000"], clean_env()),
        (
            ["dashboard", "--port", "0"],
            clean_env(FANOUT_DASHBOARD_TOKEN="short", AWS_ENDPOINT_URL=fanout_endpoint),
        ),
    ):
        result = subprocess.run(
            [*FANOUT, *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode != 0
        assert result.stderr.strip().count("\n") == 0, result.stderr
        assert "Traceback" not in result.stderr
    assert "short" not in result.stderr  # the offered token is not echoed


def test_dashboard_serves_the_endpoints_queues_and_stops_on_sigterm(
    fanout_topology: AppliedTopology, fanout_endpoint: str
) -> None:
    env = clean_env(AWS_ENDPOINT_URL=fanout_endpoint, FANOUT_ENV=TEST_PREFIX, **LOCAL_CREDENTIALS)
    with running(["dashboard", "--port", "0"], env) as (process, url):
        overview = get_json(f"{url}api/overview")
        assert [row["dlq"]["name"] for row in overview["consumers"]] == [
            "test-email-dlq",
            "test-inventory-dlq",
            "test-analytics-dlq",
        ]
        assert get_json(f"{url}api/config")["actions_enabled"] is False
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0


@pytest.mark.timeout(180)
def test_dev_starts_the_dashboard_with_metrics_stores_and_event_log(tmp_path: Path) -> None:
    args = ["dev", "--rate", "20", "--poison", "3", "--state-dir", str(tmp_path / "state")]
    with running(args, clean_env()) as (_, url):
        config = get_json(f"{url}api/config")
        assert config["processed_events"] == ["analytics", "email", "inventory"]
        assert config["event_log"] and config["metrics_configured"]
        deadline = time.monotonic() + 60
        while True:
            overview = get_json(f"{url}api/overview")
            rows = overview["consumers"]
            if all(row["metrics"] and row["metrics"]["handled_per_min"] for row in rows) and all(
                row["dlq"]["depth"] == 1 for row in rows
            ):
                break
            assert time.monotonic() < deadline, overview
            time.sleep(1)
        assert overview["errors"] == []
        email = get_json(f"{url}api/dlq/email")
        assert email["messages"][0]["reason"] != ""
