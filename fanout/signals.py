"""SIGTERM/SIGINT → graceful shutdown of a long-running service (consumer, outbox relay, dev run)."""

import asyncio
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

SHUTDOWN_SIGNALS = (signal.SIGTERM, signal.SIGINT)
FORCED_EXIT_CODE = 130
FORCED_EXIT_LINE = (
    b"fanout: second signal: exiting without finishing the drain (unfinished messages reappear)\n"
)


class Stoppable(Protocol):
    def stop(self) -> None: ...


@contextmanager
def stop_on_signals(target: Stoppable) -> Iterator[None]:
    """While the block runs, SIGTERM or SIGINT asks `target` to stop instead of killing the process.

    A second signal (Ctrl-C twice, or a platform that gave up waiting) exits at once with 130: what
    was not deleted reappears on its queue after its visibility timeout, so nothing is lost.
    """
    loop = asyncio.get_running_loop()
    received = 0

    def on_signal() -> None:
        nonlocal received
        received += 1
        if received == 1:
            target.stop()
            return
        os.write(2, FORCED_EXIT_LINE)
        os._exit(FORCED_EXIT_CODE)

    for number in SHUTDOWN_SIGNALS:
        loop.add_signal_handler(number, on_signal)
    try:
        yield
    finally:
        for number in SHUTDOWN_SIGNALS:
            loop.remove_signal_handler(number)
