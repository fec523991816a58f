"""SIGTERM/SIGINT → graceful shutdown of a long-running service (consumer, outbox relay)."""

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

SHUTDOWN_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stoppable(Protocol):
    def stop(self) -> None: ...


@contextmanager
def stop_on_signals(target: Stoppable) -> Iterator[None]:
    """While the block runs, SIGTERM and SIGINT ask `target` to stop instead of killing the process."""
    loop = asyncio.get_running_loop()
    for number in SHUTDOWN_SIGNALS:
        loop.add_signal_handler(number, target.stop)
    try:
        yield
    finally:
        for number in SHUTDOWN_SIGNALS:
            loop.remove_signal_handler(number)
