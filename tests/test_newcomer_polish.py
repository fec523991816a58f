"""Small things a newcomer trips over: each answered with one readable line."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from consumers.runtime.health import serve_health
from fanout.cli import main
from fanout.errors import ConfigurationError


class AlwaysReady:
    async def ready(self) -> bool:
        return True


async def test_a_health_port_in_use_names_the_variable_to_change() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigurationError, match="FANOUT_CONSUMER_HEALTH_PORT"):
            async with serve_health(AlwaysReady(), port, host="127.0.0.1"):
                pass


def test_missing_credentials_hint_at_a_local_endpoint(tmp_path: Path) -> None:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") and key not in {"FANOUT_TEST_ENDPOINT"}
    }
    environment |= {
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_REGION": "us-east-1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "fanout.cli", "status"],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert "Unable to locate credentials" in line
    assert "AWS_ENDPOINT_URL" in line


def test_an_unknown_event_type_lists_the_known_ones() -> None:
    from fanout.contract import ORDER_EVENTS
    from fanout.contract.errors import UnknownEventType

    with pytest.raises(UnknownEventType) as raised:
        ORDER_EVENTS.model_for("order.refunded")
    assert "(known: order.cancelled, order.placed, order.shipped)" in str(raised.value)


def test_state_files_default_to_one_state_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from consumers.services.analytics.settings import AnalyticsSettings
    from consumers.services.email.settings import EmailSettings
    from consumers.services.inventory.settings import InventorySettings
    from monitor.settings import MonitorSettings

    for variable in ("FANOUT_EMAIL_DATABASE_URL", "FANOUT_INVENTORY_DATABASE_URL", "DATABASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("FANOUT_ANALYTICS_DATABASE_URL", raising=False)
    monkeypatch.delenv("FANOUT_MONITOR_STATE_PATH", raising=False)
    monkeypatch.setenv("FANOUT_STATE_DIR", str(tmp_path / "state"))
    assert EmailSettings().database_url == f"sqlite:///{tmp_path}/state/email.sqlite3"
    assert InventorySettings().database_url == f"sqlite:///{tmp_path}/state/inventory.sqlite3"
    assert AnalyticsSettings().database_url == f"sqlite:///{tmp_path}/state/analytics.sqlite3"
    assert MonitorSettings().state_path == str(tmp_path / "state" / "monitor.sqlite3")

    monkeypatch.delenv("FANOUT_STATE_DIR")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert MonitorSettings().state_path == str(tmp_path / "xdg" / "fanout" / "monitor.sqlite3")


@pytest.mark.parametrize(("columns", "hinted"), [(80, True), (250, False)])
def test_a_table_too_wide_for_the_terminal_points_to_json(columns: int, hinted: bool) -> None:
    environment = {**os.environ, "COLUMNS": str(columns)}
    result = subprocess.run(
        [sys.executable, "-m", "fanout.cli", "events", "list"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert all(len(line) <= columns for line in result.stdout.splitlines())
    assert ("--json prints the full values" in result.stdout) is hinted


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("127.0.0.1:4566", "expected http(s)://host[:port]"),
        ("not-a-url", "expected http(s)://host[:port]"),
        ("http://127.0.0.1:99999", "Port out of range"),
    ],
)
def test_an_invalid_endpoint_url_is_one_line_not_a_traceback(
    url: str, why: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (["--endpoint-url", url, "status"], ["status"]):
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 1
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert line.startswith("fanout: error: invalid endpoint URL") and why in line
