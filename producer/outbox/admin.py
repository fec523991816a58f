"""Creating the outbox and reading its status, from a database URL (`fanout outbox init` / `status`)."""

from fanout.errors import ConfigurationError
from producer.outbox.store import CREATE_HINT, OutboxStatus, OutboxStore, reported_as
from producer.outbox.urls import DatabaseUrl


def create_outbox(database_url: str) -> DatabaseUrl:
    """Create the outbox table, indexes and (PostgreSQL) NOTIFY trigger if missing; idempotent."""
    url = DatabaseUrl.parse(database_url)
    with reported_as(url):
        store = OutboxStore.open(url)
        try:
            store.create_schema()
        finally:
            store.close()
    return url


def outbox_status(database_url: str) -> OutboxStatus:
    """Pending rows, the oldest one's age, rows failing, published rows still kept."""
    url = DatabaseUrl.parse(database_url)
    if url.engine == "sqlite" and not url.sqlite_path.exists():  # looking must not create it
        raise ConfigurationError(f"no outbox database at {url.masked} {CREATE_HINT}")
    with reported_as(url):
        store = OutboxStore.open(url)
        try:
            return store.status()
        finally:
            store.close()
