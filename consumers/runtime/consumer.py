"""The consumer: pollers → buffer → dispatcher → handlers, with batched deletes and a heartbeat.

    consumer = Consumer(MyService(), queue_url, dlq_url, ConsumerSettings())
    await consumer.run()                      # until consumer.stop() (e.g. on SIGTERM)

    async with consumer.running():            # in tests: run in the background, stop on exit
        ...

A Consumer runs once. Shutdown: stop receiving, give back (visibility 0) what was received but
not started, let running handlers finish within `drain_timeout_s` (then cancel and give those
back too), flush deletes, stop the service.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import structlog

from consumers.runtime.acker import DeleteBatcher
from consumers.runtime.broker import QueueBroker, QueueFacts
from consumers.runtime.buffer import MessageBuffer
from consumers.runtime.dead_letter import DeadLetterer
from consumers.runtime.dispatcher import Dispatcher
from consumers.runtime.heartbeat import Heartbeat
from consumers.runtime.idempotency import IdempotencyStore
from consumers.runtime.observer import ObserverGroup, RuntimeObserver
from consumers.runtime.payloads import PayloadStore
from consumers.runtime.poller import Poller
from consumers.runtime.processing import Collaborators, MessageProcessor
from consumers.runtime.service import Service
from consumers.runtime.settings import ConsumerSettings
from fanout.aws import async_client

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class _Runtime:
    """The parts of one run, wired together."""

    buffer: MessageBuffer
    deletes: DeleteBatcher
    heartbeat: Heartbeat
    processor: MessageProcessor
    dispatcher: Dispatcher
    pollers: list[Poller]


class Consumer:
    """Runs one service against its queue until asked to stop."""

    def __init__(
        self,
        service: Service,
        queue_url: str,
        dlq_url: str,
        settings: ConsumerSettings,
        observers: Sequence[RuntimeObserver] = (),
        idempotency: IdempotencyStore | None = None,
    ) -> None:
        service.check_runtime(settings)
        self.service = service
        self.queue_url = queue_url
        self.dlq_url = dlq_url
        self.settings = settings
        self._observers = ObserverGroup(observers)
        self._idempotency = idempotency
        self._stop_requested = asyncio.Event()
        self._started = asyncio.Event()
        self._broker: QueueBroker | None = None

    def stop(self) -> None:
        """Ask for a graceful shutdown (safe to call from a signal handler, and more than once)."""
        self._stop_requested.set()

    async def ready(self) -> bool:
        """True while running with the endpoint reachable and the queue present (for /readyz)."""
        if self._broker is None or not self._started.is_set() or self._stop_requested.is_set():
            return False
        return await self._broker.reachable()

    async def run(self) -> None:
        """Consume until `stop()`; returns after a graceful drain (raises if a part of the runtime fails)."""
        async with async_client("sqs", validate_parameters=False) as sqs, async_client("s3") as s3:
            broker = QueueBroker(sqs, self.queue_url, self.dlq_url)
            queue = await broker.describe()
            runtime = self._assemble(broker, self.settings.payload_store(s3), queue)
            await self.service.start()
            flushing = [asyncio.create_task(runtime.deletes.run())]
            extending = [asyncio.create_task(runtime.heartbeat.run())] if runtime.heartbeat.enabled else []
            receiving = [asyncio.create_task(poller.run()) for poller in runtime.pollers]
            receiving.append(asyncio.create_task(runtime.dispatcher.run()))
            self._broker = broker
            self._started.set()
            log.info(
                "consumer started", consumer=self.service.name, queue=queue.name, pollers=len(receiving) - 1
            )
            stop = asyncio.create_task(self._stop_requested.wait())
            try:  # every task loops forever: one that ends early failed, and stops the consumer
                await asyncio.wait(
                    [stop, *receiving, *flushing, *extending], return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                stop.cancel()
                self._broker = None
                failure = await self._shutdown(runtime, receiving, flushing, extending)
            if failure is not None:
                raise failure

    def _assemble(self, broker: QueueBroker, payloads: PayloadStore, queue: QueueFacts) -> _Runtime:
        settings, name = self.settings, self.service.name
        buffer = MessageBuffer(settings.buffer_size, settings.pollers)
        deletes = DeleteBatcher(broker, settings.delete_flush_interval_s)
        heartbeat = Heartbeat(broker, queue.visibility_timeout_s, settings.heartbeat)
        parts = Collaborators(
            broker=broker,
            deletes=deletes,
            heartbeat=heartbeat,
            dead_letters=DeadLetterer(broker, deletes, queue.name, payloads),
            observers=self._observers,
            payloads=payloads,
            idempotency=self._idempotency,
        )
        processor = MessageProcessor(self.service, queue, settings, parts)
        return _Runtime(
            buffer=buffer,
            deletes=deletes,
            heartbeat=heartbeat,
            processor=processor,
            dispatcher=Dispatcher(buffer, processor, settings.concurrency, self._observers, name),
            pollers=[
                Poller(broker, buffer, heartbeat, self._observers, name, settings.wait_time_s)
                for _ in range(settings.pollers)
            ],
        )

    async def _shutdown(
        self,
        runtime: _Runtime,
        receiving: list[asyncio.Task[None]],
        flushing: list[asyncio.Task[None]],
        extending: list[asyncio.Task[None]],
    ) -> BaseException | None:
        """Stop receiving, release the unstarted, drain the running, flush deletes, stop the service."""
        failures = [await _cancel(receiving)]
        await runtime.processor.release(runtime.buffer.take_all())
        cancelled = await runtime.dispatcher.drain(self.settings.drain_timeout_s)
        failures.append(await _cancel(flushing))
        await runtime.deletes.close()
        failures.append(await _cancel(extending))
        await self.service.stop()
        log.info("consumer stopped", consumer=self.service.name, cancelled_handlers=cancelled)
        return next((error for error in failures if error is not None), None)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator["Consumer"]:
        """Run in a background task while the block executes; stop and drain on exit."""
        task = asyncio.create_task(self.run(), name=f"consumer-{self.service.name}")
        started = asyncio.create_task(self._started.wait())
        await asyncio.wait({task, started}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            started.cancel()
            task.result()  # start-up failed: raise its error
        try:
            yield self
        finally:
            self.stop()
            await task


async def _cancel(tasks: Sequence[asyncio.Task[None]]) -> BaseException | None:
    """Cancel tasks and wait for them; the first error one of them had failed with, if any."""
    for task in tasks:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    return next((r for r in results if isinstance(r, Exception)), None)
