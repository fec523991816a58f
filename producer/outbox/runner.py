"""Running the relay: once (publish everything pending, then exit) or as a service until SIGTERM."""

import contextlib
from collections.abc import Iterator

import structlog

from fanout.errors import FanoutError
from fanout.signals import stop_on_signals
from producer.options import PublishOptions
from producer.outbox.locking import RelayLock
from producer.outbox.relay import Relay
from producer.outbox.server import serve
from producer.outbox.service import RelayService, relay_factory
from producer.outbox.settings import OutboxSettings
from producer.outbox.store import OutboxStore, reported_as
from producer.outbox.urls import DatabaseUrl

log = structlog.get_logger("fanout.outbox")


class NotDrained(FanoutError):
    """`--once` could not publish every pending event; they stay pending."""


@contextlib.contextmanager
def single_relay(url: DatabaseUrl) -> Iterator[None]:
    """SQLite: hold the outbox's relay lock (RelayLocked if taken); PostgreSQL: nothing to hold."""
    if url.engine != "sqlite":
        yield
        return
    with RelayLock(url.sqlite_path):
        yield


def publish_pending(settings: OutboxSettings, options: PublishOptions | None = None) -> int:
    """Publish every pending row, ignoring retry waits; the number published, or NotDrained."""
    url = DatabaseUrl.parse(settings.database_url)
    published = 0
    with single_relay(url), reported_as(url):
        store = OutboxStore.open(url)
        try:
            relay = Relay(
                store, options=options, topic_arn=settings.topic_arn, batch_size=settings.batch_size
            )
            while (result := relay.publish_round(respect_backoff=False)).claimed:
                published += result.published
                if result.failed:
                    pending = store.status().pending
                    raise NotDrained(
                        f"{pending} event(s) still pending (kept for the next run), "
                        f"{published} published: {result.first_error}"
                    )
        finally:
            store.close()
    return published


async def run_forever(settings: OutboxSettings, options: PublishOptions | None = None) -> None:
    """The relay service with /healthz and /metrics until SIGTERM/SIGINT, then drain and return."""
    url = DatabaseUrl.parse(settings.database_url)
    with single_relay(url):
        service = RelayService(settings, relay_factory(settings, options))
        runner = await serve(service, "0.0.0.0", settings.metrics_port) if settings.metrics_port else None
        try:
            with stop_on_signals(service):
                await service.run()
        finally:
            if runner is not None:
                await runner.cleanup()
