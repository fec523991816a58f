"""Publishing events with aiobotocore, with the same semantics as the blocking Publisher."""

import asyncio
from collections.abc import Sequence
from contextlib import AsyncExitStack
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from fanout.aws import AWS_CALL_ERRORS, async_client
from fanout.contract.envelope import CloudEvent
from fanout.topology import Topology, declared_topology
from producer.delays import Delay, with_delay
from producer.entries import Offload, is_fifo_topic
from producer.options import PublishOptions
from producer.results import BatchResult, PublishResult
from producer.run import Batch, PublishRun
from producer.topic import resolve_topic_arn

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_sns import SNSClient

NOT_ENTERED = "use AsyncPublisher as `async with AsyncPublisher() as publisher:`"
DEFAULT_CONCURRENT_BATCHES = 16  # PublishBatch calls in flight at once (1 on FIFO topics: order)


class AsyncPublisher:
    """`async with AsyncPublisher() as publisher: await publisher.publish(event)`.

    Entering opens the SNS client and resolves the topic ARN (unless given) once. `publish_many`
    keeps up to `concurrent_batches` PublishBatch calls in flight once a first call succeeded
    (one on a FIFO topic, whose message groups must arrive in order).
    """

    def __init__(
        self,
        *,
        topic_arn: str | None = None,
        topology: Topology | None = None,
        options: PublishOptions | None = None,
        concurrent_batches: int = DEFAULT_CONCURRENT_BATCHES,
    ) -> None:
        if concurrent_batches < 1:
            raise ValueError(f"concurrent_batches must be at least 1, not {concurrent_batches}")
        self._concurrent_batches = concurrent_batches
        self._s3_opening = asyncio.Lock()
        self._topology = topology
        self._options = options or PublishOptions()
        self._stack = AsyncExitStack()
        self._sns: SNSClient | None = None
        self._s3: S3Client | None = None  # opened on the first offloaded event
        self._topic_arn = topic_arn

    async def __aenter__(self) -> Self:
        # entries are built by PublishRun (typed, size-checked): botocore need not re-validate them
        self._sns = await self._stack.enter_async_context(async_client("sns", validate_parameters=False))
        if self._topic_arn is None:
            self._topic_arn = await asyncio.to_thread(resolve_topic_arn, self._topology)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._sns = self._s3 = None
        await self._stack.aclose()

    @property
    def topic_arn(self) -> str:
        """The topic published to (known once the publisher has been entered)."""
        if self._topic_arn is None:
            raise RuntimeError(NOT_ENTERED)
        return self._topic_arn

    async def publish(self, event: CloudEvent[Any], *, delay: Delay | None = None) -> PublishResult:
        """Publish one event; PublishFailed if it could not be, OversizedMessage before sending.

        `delay` (a timedelta or seconds): consumers handle the event no earlier than that from now.
        """
        return (await self.publish_many([event], delay=delay)).raise_for_failures().results[0]

    async def publish_many(
        self, events: Sequence[CloudEvent[Any]], *, delay: Delay | None = None
    ) -> BatchResult:
        """Publish in PublishBatch calls, retrying only retryable failed entries; one result per event.

        `delay`: every event carries `notbefore` = now + delay (InvalidDelay, before sending, when
        longer than the topology's queues honour).
        """
        if self._sns is None:
            raise RuntimeError(NOT_ENTERED)
        if delay is not None:
            longest_s = (self._topology or declared_topology()).longest_delay_s
            events = with_delay(events, delay, longest_s=longest_s)
        run = PublishRun(events, topic_arn=self.topic_arn, options=self._options)
        # One call first: a topic that is missing or forbidden costs one call, not a wave of them.
        limit, widest = 1, 1 if is_fifo_topic(self.topic_arn) else self._concurrent_batches
        in_flight: set[asyncio.Task[bool]] = set()
        try:
            while True:
                batch = run.next_batch(new_round=not in_flight) if len(in_flight) < limit else None
                if batch is not None:
                    in_flight.add(asyncio.create_task(self._send(self._sns, run, batch)))
                    continue
                if not in_flight:  # nothing to send and nothing that could still fail retryably
                    return run.result()
                done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if task.result():  # an unexpected error raises here (the rest are cancelled below)
                        limit = widest
        finally:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)

    async def _send(self, sns: "SNSClient", run: PublishRun, batch: Batch) -> bool:
        """One PublishBatch call (after its delay and uploads); its outcome goes to `run`.

        True when the call itself succeeded (entries may still have failed).
        """
        await asyncio.sleep(batch.delay_s)
        try:
            await self._store(batch.uploads)
            response = await sns.publish_batch(**batch.request)
        except AWS_CALL_ERRORS as error:
            run.abort(batch, error)
            return False
        run.record(batch, response)
        return True

    async def _store(self, uploads: Sequence[Offload]) -> None:
        """Put offloaded bodies in S3 before the messages pointing to them exist."""
        for upload in uploads:
            async with self._s3_opening:  # concurrent batches open one client
                if self._s3 is None:
                    self._s3 = await self._stack.enter_async_context(async_client("s3"))
            await self._s3.put_object(
                Bucket=upload.pointer.bucket, Key=upload.pointer.key, Body=upload.body.encode("utf-8")
            )
