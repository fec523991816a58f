"""Visibility heartbeat: keep every held message invisible until the runtime settles it.

A message is tracked from receipt until its final action (delete, retry delay, dead-letter,
release). When a third of its visibility timeout is left, the heartbeat extends it by one
timeout with ChangeMessageVisibilityBatch, never past SQS's 12-hour limit for the delivery.
`untrack` waits for an extension call in progress, so an extension can never overwrite the
visibility the runtime sets afterwards (a retry delay, or 0 at release).
"""

import asyncio
import time
from dataclasses import dataclass

import structlog

from consumers.runtime.broker import QueueBroker
from consumers.runtime.message import ReceivedMessage

log = structlog.get_logger(__name__)

EXTEND_WHEN_LEFT = 1 / 3  # of the visibility timeout
MIN_TICK_S = 0.1


@dataclass
class _Held:
    message: ReceivedMessage
    visible_at: float  # monotonic time the message would reappear
    exhausted: bool = False  # at the 12-hour limit: cannot be extended further


class Heartbeat:
    """Tracks held messages and extends their visibility before it runs out."""

    def __init__(self, broker: QueueBroker, visibility_timeout_s: int, enabled: bool = True) -> None:
        self._broker = broker
        self._timeout_s = visibility_timeout_s
        self.enabled = enabled and visibility_timeout_s > 0
        self._held: dict[str, _Held] = {}
        self._lock = asyncio.Lock()

    def track(self, message: ReceivedMessage) -> None:
        self._held[message.receipt_handle] = _Held(message, message.received_at + self._timeout_s)

    def is_tracked(self, message: ReceivedMessage) -> bool:
        return message.receipt_handle in self._held

    async def untrack(self, message: ReceivedMessage) -> None:
        """Stop extending `message`; returns once no extension of it is in flight."""
        async with self._lock:
            self._held.pop(message.receipt_handle, None)

    async def run(self) -> None:
        """Extend due messages until cancelled (run it only when `enabled`)."""
        tick = max(self._timeout_s * EXTEND_WHEN_LEFT / 2, MIN_TICK_S)
        while True:
            await asyncio.sleep(tick)
            async with self._lock:
                await self._extend_due()

    async def _extend_due(self) -> None:
        now = time.monotonic()
        changes: list[tuple[ReceivedMessage, int]] = []
        for held in self._held.values():
            if held.exhausted or held.visible_at - now > self._timeout_s * EXTEND_WHEN_LEFT:
                continue
            timeout = min(self._timeout_s, held.message.visibility_headroom_s(now))
            if timeout <= 0:
                held.exhausted = True
                log.warning("visibility cannot be extended past 12 h", message_id=held.message.message_id)
                continue
            changes.append((held.message, timeout))
        if not changes:
            return
        try:
            failures = await self._broker.change_visibility(changes)
        except Exception as error:  # a failed extension is retried on the next tick
            log.warning("visibility heartbeat failed", error=str(error), messages=len(changes))
            return
        failed = {failure.message.receipt_handle for failure in failures}
        for failure in failures:
            log.warning(
                "visibility heartbeat refused",
                message_id=failure.message.message_id,
                code=failure.code,
                detail=failure.detail,
            )
        for message, timeout in changes:
            if message.receipt_handle not in failed:
                self._held[message.receipt_handle].visible_at = now + timeout
