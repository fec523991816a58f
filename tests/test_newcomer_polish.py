"""Small things a newcomer trips over: each answered with one readable line."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from consumers.runtime.health import serve_health
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
