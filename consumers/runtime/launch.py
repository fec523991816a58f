"""Run a service as a process: logging, metrics, health server, idempotency store, signals."""

import contextlib
from collections.abc import AsyncIterator, Sequence

from consumers.runtime.consumer import Consumer
from consumers.runtime.health import serve_health
from consumers.runtime.idempotency import IdempotencyStore
from consumers.runtime.logs import LoggingObserver, configure_logging
from consumers.runtime.metrics import MetricsObserver
from consumers.runtime.observer import RuntimeObserver
from consumers.runtime.service import Service
from consumers.runtime.settings import ConsumerSettings
from fanout.signals import stop_on_signals


@contextlib.asynccontextmanager
async def idempotency_store(url: str) -> AsyncIterator[IdempotencyStore | None]:
    """The store `url` names (closed on exit), or None when the url is empty."""
    if not url:
        yield None
        return
    from consumers.runtime.idempotency_stores import open_store  # loads a database driver: only when asked

    store = open_store(url)
    try:
        yield store
    finally:
        await store.close()


async def serve(
    service: Service,
    queue_url: str,
    dlq_url: str,
    settings: ConsumerSettings,
    extra_observers: Sequence[RuntimeObserver] = (),
) -> None:
    """Consume until SIGTERM/SIGINT, then drain and return; /healthz, /readyz, /metrics on health_port.

    `extra_observers` run after the default metrics and logging observers (the benchmark counts with one).
    """
    configure_logging(json=settings.log_json, level=settings.log_level)
    async with contextlib.AsyncExitStack() as stack:
        store = await stack.enter_async_context(idempotency_store(settings.idempotency_url))
        observers = [MetricsObserver(), LoggingObserver(), *extra_observers]
        consumer = Consumer(service, queue_url, dlq_url, settings, observers, idempotency=store)
        if settings.health_port:  # 0 = off
            await stack.enter_async_context(serve_health(consumer, settings.health_port))
        with stop_on_signals(consumer):
            await consumer.run()
