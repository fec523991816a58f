"""Outbox fixtures: an initialised outbox on SQLite or PostgreSQL, connections to stage with."""

import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from outbox_support import Connect

from fanout.testing.plugin import TEST_PREFIX
from producer.outbox import create_outbox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reliability"))  # reliability_proxy, _support


@pytest.fixture(params=["sqlite", "postgresql"])
def outbox_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL with the outbox created in it (a fresh SQLite file or PostgreSQL schema)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'orders.sqlite3'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    create_outbox(url)
    return url


@pytest.fixture
def postgres_outbox(postgres_url: str) -> str:
    create_outbox(postgres_url)
    return postgres_url


@pytest.fixture
def connect(outbox_url: str) -> Iterator[Connect]:
    """`connect()` → a DB-API connection (psycopg or sqlite3) to the outbox's database, closed afterwards."""
    opened: list[Any] = []

    def open_connection() -> Any:
        connection: Any
        if outbox_url.startswith("sqlite:///"):
            connection = sqlite3.connect(outbox_url.removeprefix("sqlite:///"), timeout=30)
        else:
            connection = psycopg.connect(outbox_url)
        opened.append(connection)
        return connection

    yield open_connection
    for connection in opened:
        connection.close()


@pytest.fixture(autouse=True)
def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The declared topology's names are the test ones (`test-orders`, ...), as `fanout_topology` applies."""
    monkeypatch.setenv("FANOUT_ENV", TEST_PREFIX)
