"""fanout's consumer as shipped, draining a queue with a no-op service, counted by one more observer.

The consumer runs through `consumers.runtime.launch.serve`, the path `fanout consume` takes: its
settings from `FANOUT_CONSUMER_*` (defaults otherwise: INFO logs, the metrics and logging
observers, the health server), and it stops the way a container does, on SIGTERM, with a drain.
"""

import asyncio
import os
import signal
from typing import Any

from consumers.runtime.context import HandlerContext
from consumers.runtime.launch import serve
from consumers.runtime.observer import NullObserver, Outcome
from consumers.runtime.settings import ConsumerSettings
from fanout.bench.services import bench_service
from fanout.bench.window import Window, WindowResult, WorkerTimeout
from fanout.contract.envelope import CloudEvent


def bench_settings(wait_time_s: int) -> ConsumerSettings:
    """The runtime's defaults (or FANOUT_CONSUMER_*), without the health server (latency phase)."""
    return ConsumerSettings(health_port=0, wait_time_s=wait_time_s)


class _Counter(NullObserver):
    """Counts receive calls and handled messages into the window; sets `finished` when it is complete."""

    def __init__(self, window: Window, finished: asyncio.Event) -> None:
        self._window = window
        self._finished = finished
        self.handled = 0

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
        if outcome == Outcome.HANDLED:
            self.handled += 1
            if self._window.add(1):
                self._finished.set()


async def consume(
    consumer: str, queue_url: str, dlq_url: str, window: Window, timeout_s: float
) -> tuple[WindowResult, int]:
    """Run the shipped consumer until the window is complete, then SIGTERM it (graceful drain).

    Returns the window and how many messages were handled in all (drain included).
    """
    finished = asyncio.Event()
    counter = _Counter(window, finished)
    timed_out = False

    async def stop_when_finished() -> None:
        nonlocal timed_out
        try:
            await asyncio.wait_for(finished.wait(), timeout_s)
        except TimeoutError:
            timed_out = True
        os.kill(os.getpid(), signal.SIGTERM)

    stopper = asyncio.create_task(stop_when_finished())
    try:
        await serve(bench_service(consumer), queue_url, dlq_url, ConsumerSettings(), [counter])
    finally:
        stopper.cancel()
    if timed_out:
        raise WorkerTimeout(f"consumer: window incomplete after {timeout_s:.0f} s")
    return window.result(), counter.handled
