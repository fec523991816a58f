"""Fixtures for the dashboard tests: the test topology's environment, an API client, a monitor state file."""

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from fanout.dashboard.app import dashboard_app
from fanout.dashboard.settings import DashboardSettings
from fanout.testing.plugin import TEST_PREFIX
from fanout.topology import AppliedTopology

ClientFactory = Callable[[DashboardSettings], Awaitable[TestClient]]


@pytest.fixture
def test_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """FANOUT_ENV set to the test topology's prefix."""
    monkeypatch.setenv("FANOUT_ENV", TEST_PREFIX)
    yield TEST_PREFIX


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    """Where the monitor's alert state would be (absent until a test writes it)."""
    return tmp_path / "monitor.sqlite3"


@pytest.fixture
async def open_client(fanout_topology: AppliedTopology, state_path: Path) -> AsyncIterator[ClientFactory]:
    """Open an API client on a dashboard with the given settings (closed at the end of the test)."""
    clients: list[TestClient] = []

    async def open_one(settings: DashboardSettings) -> TestClient:
        client = TestClient(TestServer(dashboard_app(settings, fanout_topology.declared, state_path)))
        await client.start_server()
        clients.append(client)
        return client

    yield open_one
    for client in clients:
        await client.close()
