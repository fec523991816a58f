"""The latency phase's consumer side: the three services live at once, noting each handler start."""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from consumers.runtime.consumer import Consumer
from consumers.runtime.settings import ConsumerSettings
from fanout.bench.services import bench_service
from fanout.contract.envelope import CloudEvent

Delivery = tuple[str, str, float]  # event id, consumer, wall-clock time.time() at handler start


class StartLog:
    """First handler start per (event, consumer); a redelivery does not count again."""

    def __init__(self) -> None:
        self.starts: dict[tuple[str, str], float] = {}
        self._wanted: int | None = None
        self._enough = asyncio.Event()

    def note(self, consumer: str, event: CloudEvent[Any]) -> None:
        self.starts.setdefault((event.id, consumer), time.time())
        self._check()

    async def wait_for(self, count: int, timeout_s: float) -> None:
        """Until `count` deliveries are noted, or `timeout_s` passed."""
        self._wanted = count
        self._check()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._enough.wait(), timeout_s)

    def _check(self) -> None:
        if self._wanted is not None and len(self.starts) >= self._wanted:
            self._enough.set()

    def deliveries(self) -> list[Delivery]:
        return [(event_id, consumer, at) for (event_id, consumer), at in self.starts.items()]


async def record_deliveries(
    queues: dict[str, tuple[str, str]],
    settings: ConsumerSettings,
    ready: Callable[[], None],
    expected: Callable[[], Awaitable[tuple[int, float]]],
) -> list[Delivery]:
    """Run one consumer per (queue, dlq) in `queues`; after `ready()`, wait for the expected starts.

    `expected()` returns how many deliveries to wait for and for how long at most.
    """
    log = StartLog()
    async with contextlib.AsyncExitStack() as stack:
        for name, (queue_url, dlq_url) in queues.items():
            consumer = Consumer(bench_service(name, log.note), queue_url, dlq_url, settings)
            await stack.enter_async_context(consumer.running())
        ready()
        await log.wait_for(*await expected())
    return log.deliveries()
