"""Idempotency stores: `open_store(url)` gives the SQLite or PostgreSQL implementation.

    store = open_store("sqlite:///var/lib/fanout/idempotency.db")   # embedded default
    store = open_store("postgresql://fanout@db:5432/fanout")        # shared by a fleet

Both keep one `processed_events` row per (consumer, event id). A service that changes its own
database can record the id in that same transaction with `sqlite.record_processed` or
`postgres.record_processed` (after `create_schema`), so the change and the record commit together.
"""

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from consumers.runtime.idempotency_stores.base import DEFAULT_RETENTION_S, Clock, LeaseStore, StoreUnavailable
from fanout.errors import ConfigurationError

if TYPE_CHECKING:
    from consumers.runtime.idempotency_stores.postgres import PostgresStore
    from consumers.runtime.idempotency_stores.sqlite import SqliteStore

SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")

__all__ = [
    "DEFAULT_RETENTION_S",
    "LeaseStore",
    "PostgresStore",
    "SqliteStore",
    "StoreUnavailable",
    "open_store",
]


def open_store(
    url: str, *, retention_s: float = DEFAULT_RETENTION_S, clock: Clock = time.time
) -> LeaseStore[Any]:
    """The IdempotencyStore `url` names, not yet connected.

    It connects on first use, or at `await store.open()`: call that at start-up to fail fast
    with StoreUnavailable.

    `sqlite:///relative/file.db` or `sqlite:////absolute/file.db` (SQLAlchemy's convention),
    `postgresql://user@host:port/db` (any libpq URL).
    """
    if url.startswith(SQLITE_PREFIX) and len(url) > len(SQLITE_PREFIX):
        from consumers.runtime.idempotency_stores.sqlite import SqliteStore

        return SqliteStore(Path(url.removeprefix(SQLITE_PREFIX)), retention_s=retention_s, clock=clock)
    if url.startswith(POSTGRES_SCHEMES):
        from consumers.runtime.idempotency_stores.postgres import PostgresStore

        return PostgresStore(url, retention_s=retention_s, clock=clock)
    scheme = f"scheme {url.partition('://')[0]!r}" if "://" in url else "a URL without a scheme"
    raise ConfigurationError(
        f"unsupported idempotency store: {scheme}; use sqlite:///path/file.db or postgresql://user@host:port/db"
    )


def __getattr__(name: str) -> Any:
    """The store classes load their database driver, so they are imported on first use."""
    if name == "PostgresStore":
        from consumers.runtime.idempotency_stores.postgres import PostgresStore

        return PostgresStore
    if name == "SqliteStore":
        from consumers.runtime.idempotency_stores.sqlite import SqliteStore

        return SqliteStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
