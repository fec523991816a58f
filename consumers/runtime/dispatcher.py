"""A pool of `concurrency` workers, each taking the next message when it is free: no message waits
for a slow sibling, and no task is created per message.

A worker takes a message from the buffer only when it is free, so a busy consumer leaves messages
in the buffer and a full buffer stops the pollers (backpressure). On FIFO queues, messages of one
message group run one after the other (consumers.runtime.groups).
"""

import asyncio

from consumers.runtime.buffer import MessageBuffer
from consumers.runtime.groups import GroupSequencer
from consumers.runtime.message import ReceivedMessage
from consumers.runtime.observer import ObserverGroup
from consumers.runtime.processing import MessageProcessor


class Dispatcher:
    """Runs messages through the processor, at most `concurrency` at a time."""

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
        self._concurrency = concurrency
        self._observers = observers
        self._consumer = consumer
        self._busy: set[asyncio.Task[None]] = set()  # workers with a message in hand
        self._stopping = False
        self._groups = GroupSequencer()

    @property
    def in_flight(self) -> int:
        return len(self._busy)

    async def run(self) -> None:
        """Dispatch until cancelled; a worker holding a message then finishes it (see `drain`)."""
        workers = [asyncio.create_task(self._worker()) for _ in range(self._concurrency)]
        try:  # asyncio.wait, not gather: cancelling this must not cancel a worker mid-message
            done, _ = await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
            next(iter(done)).result()  # a worker only ends by failing: raise its error
        finally:
            self._stopping = True
            for worker in workers:
                if worker not in self._busy:  # waiting for a message: nothing to finish
                    worker.cancel()

    async def _worker(self) -> None:
        worker = asyncio.current_task()
        assert worker is not None
        while not self._stopping:
            message = await self._buffer.get()
            self._busy.add(worker)
            self._observers.on_in_flight(self._consumer, len(self._busy))
            try:
                await self._work(message)
            finally:
                self._busy.discard(worker)
                self._observers.on_in_flight(self._consumer, len(self._busy))

    async def _work(self, message: ReceivedMessage) -> None:
        if message.group_id is None:  # standard queue: no ordering, no closures to make
            await self._processor.process(message)
            return
        await self._groups.in_order(
            message.group_id,
            lambda: self._processor.process(message),
            lambda: self._processor.release([message]),
            message.received_at,
        )

    async def drain(self, timeout_s: float) -> int:
        """After `run` was cancelled: wait for the messages in hand up to `timeout_s`, then cancel
        (and so release) the rest. Returns how many were cancelled."""
        if not self._busy:
            return 0
        _, pending = await asyncio.wait(set(self._busy), timeout=timeout_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return len(pending)
