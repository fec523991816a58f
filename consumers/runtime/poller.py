"""The long-poll loop: receive into the buffer while it has room, survive endpoint errors."""

import asyncio
import time

import structlog

from consumers.runtime.broker import QueueBroker
from consumers.runtime.buffer import MessageBuffer
from consumers.runtime.heartbeat import Heartbeat
from consumers.runtime.observer import ObserverGroup

log = structlog.get_logger(__name__)

ERROR_BACKOFF_S = (0.5, 1.0, 2.0, 5.0, 10.0)  # pause after consecutive receive errors


class Poller:
    """Receives messages into the buffer; every message is tracked by the heartbeat on arrival."""

    def __init__(
        self,
        broker: QueueBroker,
        buffer: MessageBuffer,
        heartbeat: Heartbeat,
        observers: ObserverGroup,
        consumer: str,
        wait_time_s: int,
    ) -> None:
        self._broker = broker
        self._buffer = buffer
        self._heartbeat = heartbeat
        self._observers = observers
        self._consumer = consumer
        self._wait_time_s = wait_time_s

    async def run(self) -> None:
        """Poll until cancelled."""
        errors = 0
        while True:
            async with self._buffer.reserve() as room:
                started = time.monotonic()
                try:
                    messages = await self._broker.receive(room, self._wait_time_s)
                except Exception as error:
                    pause = ERROR_BACKOFF_S[min(errors, len(ERROR_BACKOFF_S) - 1)]
                    errors += 1
                    log.warning("receive failed", consumer=self._consumer, error=str(error), retry_in_s=pause)
                    await asyncio.sleep(pause)
                    continue
                errors = 0
                for message in messages:
                    self._heartbeat.track(message)
                self._buffer.put(messages)
            self._observers.on_poll(self._consumer, len(messages), time.monotonic() - started)
