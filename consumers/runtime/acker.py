"""Batched deletes: finished messages are deleted in batches of up to 10 within a short interval.

A batch is sent as soon as 10 messages are waiting or the oldest has waited the flush interval,
so a slow sibling never delays another message's delete by more than that interval. Entries SQS
refuses for a transient reason (or a failed call) are retried; anything given up is logged with
its message id — a message whose delete never succeeds is redelivered, never lost.
"""

import asyncio
import contextlib

import structlog

from consumers.runtime.broker import BATCH_LIMIT, QueueBroker
from consumers.runtime.message import ReceivedMessage

log = structlog.get_logger(__name__)

MAX_DELETE_ATTEMPTS = 3


class DeleteBatcher:
    """Collects messages to delete and flushes them in batches."""

    def __init__(self, broker: QueueBroker, flush_interval_s: float) -> None:
        self._broker = broker
        self._interval_s = flush_interval_s
        self._pending: list[tuple[ReceivedMessage, int]] = []  # message, attempts so far
        self._waiting = asyncio.Event()
        self._full = asyncio.Event()

    def delete(self, message: ReceivedMessage) -> None:
        """Schedule a delete; it is sent within the flush interval."""
        self._add(message, 0)

    def _add(self, message: ReceivedMessage, attempts: int) -> None:
        self._pending.append((message, attempts))
        self._waiting.set()
        if len(self._pending) >= BATCH_LIMIT:
            self._full.set()

    async def run(self) -> None:
        """Flush until cancelled."""
        while True:
            await self._waiting.wait()
            if not self._full.is_set():
                # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancellation that
                # arrives as the batch fills, and the consumer then hangs at shutdown.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._interval_s):
                        await self._full.wait()
            await self.flush()

    async def flush(self) -> None:
        """Send every pending delete now (used by run and at shutdown)."""
        batch, self._pending = self._pending, []
        self._waiting.clear()
        self._full.clear()
        if not batch:
            return
        attempts = {message.receipt_handle: count + 1 for message, count in batch}
        messages = [message for message, _ in batch]
        try:
            failures = await self._broker.delete(messages)
        except asyncio.CancelledError:  # shutdown mid-call: close() sends them again
            self._pending[:0] = batch
            raise
        except Exception as error:
            log.warning("delete batch failed", error=str(error), messages=len(messages))
            for message in messages:
                self._retry_or_give_up(message, attempts[message.receipt_handle], str(error))
            return
        for failure in failures:
            if failure.sender_fault:  # e.g. an expired receipt handle: retrying cannot help
                log.error(
                    "delete refused; the message will be redelivered",
                    message_id=failure.message.message_id,
                    code=failure.code,
                    detail=failure.detail,
                )
            else:
                self._retry_or_give_up(
                    failure.message, attempts[failure.message.receipt_handle], failure.detail
                )

    def _retry_or_give_up(self, message: ReceivedMessage, attempts: int, reason: str) -> None:
        if attempts < MAX_DELETE_ATTEMPTS:
            self._add(message, attempts)
        else:
            log.error(
                "delete failed; the message will be redelivered",
                message_id=message.message_id,
                attempts=attempts,
                error=reason,
            )

    async def close(self) -> None:
        """Flush what is pending, retries included (call after the flush loop is cancelled)."""
        for _ in range(MAX_DELETE_ATTEMPTS):
            if not self._pending:
                return
            await self.flush()
