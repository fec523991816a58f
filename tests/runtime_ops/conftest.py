"""Fixtures for the runtime operations tests: real SQLite files and stores on both backends."""

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from consumers.runtime.idempotency_stores import LeaseStore, open_store
from consumers.runtime.logs import CHATTY_LIBRARIES
from runtime_ops.support import ManualClock, OpenStore


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'idempotency.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def open_stores(store_url: str, clock: ManualClock) -> AsyncIterator[OpenStore]:
    """Opens stores on the same database (each its own connection, like separate consumers)."""
    opened: list[LeaseStore[Any]] = []

    async def open_one() -> LeaseStore[Any]:
        store = open_store(store_url, clock=clock)
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.close()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the process's logging back as it was: configure_logging changes it globally."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_levels = {name: logging.getLogger(name).level for name in CHATTY_LIBRARIES}
    yield
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    for name, level in saved_levels.items():
        logging.getLogger(name).setLevel(level)
    structlog.reset_defaults()
