"""fanout's consumer runtime draining a queue with a no-op service, counted by an observer."""

import asyncio
from typing import Any

from consumers.runtime.consumer import Consumer
from consumers.runtime.context import HandlerContext
from consumers.runtime.observer import NullObserver, Outcome
from consumers.runtime.settings import ConsumerSettings
from fanout.bench.services import bench_service
from fanout.bench.window import Window, WindowResult, WorkerTimeout
from fanout.contract.envelope import CloudEvent


def bench_settings(wait_time_s: int) -> ConsumerSettings:
    """The runtime's defaults (or FANOUT_CONSUMER_*), without the health server."""
    return ConsumerSettings(health_port=0, wait_time_s=wait_time_s)


class _Counter(NullObserver):
    """Counts receive calls and handled messages into the window; sets `finished` when it is complete."""

    def __init__(self, window: Window, finished: asyncio.Event) -> None:
        self._window = window
        self._finished = finished

    def on_poll(self, consumer: str, received: int, latency_s: float) -> None:
        self._window.received()

    def on_outcome(
        self,
        consumer: str,
        outcome: str,
        event: CloudEvent[Any] | None,
        context: HandlerContext,
        duration_s: float,
        error: BaseException | None,
    ) -> None:
        if outcome == Outcome.HANDLED and self._window.add(1):
            self._finished.set()


async def consume(
    consumer: str, queue_url: str, dlq_url: str, window: Window, settings: ConsumerSettings, timeout_s: float
) -> WindowResult:
    """Run the consumer until the window is complete, then stop it (graceful drain)."""
    finished = asyncio.Event()
    runtime = Consumer(bench_service(consumer), queue_url, dlq_url, settings, [_Counter(window, finished)])
    async with runtime.running():
        try:
            await asyncio.wait_for(finished.wait(), timeout_s)
        except TimeoutError as error:
            raise WorkerTimeout(f"consumer: window incomplete after {timeout_s:.0f} s") from error
    return window.result()
