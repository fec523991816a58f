"""The bounded hand-over between pollers and the dispatcher: backpressure for receiving.

A poller reserves free slots *before* it receives and asks SQS for no more messages than it
reserved, so a full buffer stops polling and a received message never waits outside the buffer
(where shutdown could not find it to release it). Each reservation takes at most a poller's share
of the buffer, so several pollers really do receive at once (one taking every free slot would
leave the others waiting for its long poll), and it waits until a whole receive batch (or the
share, if smaller) fits: reserving the first slot that frees up would make receives of one or two
messages, doubling the calls (and the CPU and the SQS bill) per message.
"""

import asyncio
import math
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from consumers.runtime.broker import BATCH_LIMIT
from consumers.runtime.message import ReceivedMessage


class MessageBuffer:
    """Received messages waiting for a handler slot; at most `size` held or reserved at once."""

    def __init__(self, size: int, pollers: int = 1) -> None:
        self._size = size
        self._share = max(1, math.ceil(size / pollers))
        self._batch = min(BATCH_LIMIT, self._share)  # the least room worth a receive
        self._queue: asyncio.Queue[ReceivedMessage] = asyncio.Queue()
        self._reserved = 0
        self._changed = asyncio.Event()

    @property
    def free(self) -> int:
        return self._size - self._queue.qsize() - self._reserved

    @asynccontextmanager
    async def reserve(self) -> AsyncIterator[int]:
        """Wait until a receive batch fits, hold the free slots (yields how many) until the block ends."""
        while self.free < self._batch:
            self._changed.clear()
            await self._changed.wait()
        slots = min(self.free, self._share)
        self._reserved += slots
        try:
            yield slots
        finally:
            self._reserved -= slots
            self._changed.set()

    def put(self, messages: Sequence[ReceivedMessage]) -> None:
        """Add messages received into a reservation (never blocks)."""
        for message in messages:
            self._queue.put_nowait(message)

    async def get(self) -> ReceivedMessage:
        message = await self._queue.get()
        self._changed.set()
        return message

    def take_all(self) -> list[ReceivedMessage]:
        """Empty the buffer (at shutdown: these were received but never started)."""
        taken: list[ReceivedMessage] = []
        while not self._queue.empty():
            taken.append(self._queue.get_nowait())
        self._changed.set()
        return taken
