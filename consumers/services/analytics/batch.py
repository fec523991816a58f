"""Group concurrent writes into one: callers add an item and wait until its batch is written.

A batch is written when it holds `max_size` items or its first item has waited `max_wait_s`,
whichever comes first; batches are written one at a time, in order. Every caller of a batch
returns only after the write committed, and raises RetryableError if it failed, so a consumer
deletes a message only once its row is durable. Fill a batch by running at least `max_size`
handlers concurrently; with fewer, the timer flushes it.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from consumers.runtime.errors import RetryableError

ItemT = TypeVar("ItemT")
Writer = Callable[[Sequence[ItemT]], Awaitable[None]]


class BatchWriter(Generic[ItemT]):
    """Collects items from concurrent callers and hands them to `write` together."""

    def __init__(self, write: Writer[ItemT], *, max_size: int, max_wait_s: float) -> None:
        if max_size < 1 or max_wait_s <= 0:
            raise ValueError("max_size must be ≥ 1 and max_wait_s > 0")
        self._write = write
        self._max_size = max_size
        self._max_wait_s = max_wait_s
        self._pending: list[tuple[ItemT, asyncio.Future[None]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._writes: set[asyncio.Task[None]] = set()
        self._write_lock = asyncio.Lock()

    async def add(self, item: ItemT) -> None:
        """Queue `item` and return once the batch holding it is written (or raise if that failed)."""
        done = asyncio.get_running_loop().create_future()
        self._pending.append((item, done))
        if len(self._pending) >= self._max_size:
            self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._max_wait_s, self._flush)
        await done

    async def close(self) -> None:
        """Write what is pending and wait for every write in progress."""
        self._flush()
        await asyncio.gather(*self._writes, return_exceptions=True)

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        task = asyncio.create_task(self._write_batch(batch))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write_batch(self, batch: list[tuple[ItemT, "asyncio.Future[None]"]]) -> None:
        async with self._write_lock:
            try:
                await self._write([item for item, _ in batch])
            except Exception as error:
                for _, done in batch:
                    if not done.done():  # a caller that timed out no longer waits
                        failure = RetryableError(f"batch of {len(batch)} not written: {error}")
                        failure.__cause__ = error
                        done.set_exception(failure)
                return
            for _, done in batch:
                if not done.done():
                    done.set_result(None)
