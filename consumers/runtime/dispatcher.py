"""Per-message tasks under a concurrency limit: no message waits for a slow sibling.

The dispatcher takes a message from the buffer only when a handler slot is free, so a busy
consumer leaves messages in the buffer and a full buffer stops the pollers (backpressure).
On FIFO queues, messages of one message group run one after the other (consumers.runtime.groups).
"""

import asyncio

from consumers.runtime.buffer import MessageBuffer
from consumers.runtime.groups import GroupSequencer
from consumers.runtime.message import ReceivedMessage
from consumers.runtime.observer import ObserverGroup
from consumers.runtime.processing import MessageProcessor


class Dispatcher:
    """Starts one task per message, at most `concurrency` at a time."""

    def __init__(
        self,
        buffer: MessageBuffer,
        processor: MessageProcessor,
        concurrency: int,
        observers: ObserverGroup,
        consumer: str,
    ) -> None:
        self._buffer = buffer
        self._processor = processor
        self._slots = asyncio.Semaphore(concurrency)
        self._observers = observers
        self._consumer = consumer
        self._tasks: set[asyncio.Task[None]] = set()
        self._groups = GroupSequencer()

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def run(self) -> None:
        """Dispatch until cancelled; running handlers are left to `drain`."""
        while True:
            await self._slots.acquire()
            try:
                message = await self._buffer.get()
            except asyncio.CancelledError:
                self._slots.release()
                raise
            task = asyncio.create_task(self._work(message), name=f"message-{message.message_id}")
            self._tasks.add(task)
            self._observers.on_in_flight(self._consumer, self.in_flight)

    async def _work(self, message: ReceivedMessage) -> None:
        try:
            if message.group_id is None:  # standard queue: no ordering, no closures to make
                await self._processor.process(message)
            else:
                await self._groups.in_order(
                    message.group_id,
                    lambda: self._processor.process(message),
                    lambda: self._processor.release([message]),
                    message.received_at,
                )
        finally:
            self._slots.release()
            self._tasks.discard(asyncio.current_task())
            self._observers.on_in_flight(self._consumer, self.in_flight)

    async def drain(self, timeout_s: float) -> int:
        """Wait for running handlers up to `timeout_s`, then cancel (and so release) the rest.

        Returns how many were cancelled.
        """
        if not self._tasks:
            return 0
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return len(pending)
