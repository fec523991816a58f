"""Publishing events with aiobotocore, with the same semantics as the blocking Publisher."""

import asyncio
from collections.abc import Sequence
from contextlib import AsyncExitStack
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from botocore.exceptions import BotoCoreError, ClientError

from fanout.aws import async_client
from fanout.contract.envelope import CloudEvent
from fanout.topology import Topology, declared_topology
from producer.delays import Delay, with_delay
from producer.entries import Offload
from producer.options import PublishOptions
from producer.results import BatchResult, PublishResult
from producer.run import PublishRun
from producer.topic import resolve_topic_arn

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_sns import SNSClient

NOT_ENTERED = "use AsyncPublisher as `async with AsyncPublisher() as publisher:`"


class AsyncPublisher:
    """`async with AsyncPublisher() as publisher: await publisher.publish(event)`.

    Entering opens the SNS client and resolves the topic ARN (unless given) once.
    """

    def __init__(
        self,
        *,
        topic_arn: str | None = None,
        topology: Topology | None = None,
        options: PublishOptions | None = None,
    ) -> None:
        self._topology = topology
        self._options = options or PublishOptions()
        self._stack = AsyncExitStack()
        self._sns: SNSClient | None = None
        self._s3: S3Client | None = None  # opened on the first offloaded event
        self._topic_arn = topic_arn

    async def __aenter__(self) -> Self:
        self._sns = await self._stack.enter_async_context(async_client("sns"))
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
        while (batch := run.next_batch()) is not None:
            await asyncio.sleep(batch.delay_s)
            try:
                await self._store(batch.uploads)
                response = await self._sns.publish_batch(**batch.request)
            except (ClientError, BotoCoreError) as error:
                run.abort(batch, error)
            else:
                run.record(batch, response)
        return run.result()

    async def _store(self, uploads: Sequence[Offload]) -> None:
        """Put offloaded bodies in S3 before the messages pointing to them exist."""
        for upload in uploads:
            if self._s3 is None:
                self._s3 = await self._stack.enter_async_context(async_client("s3"))
            await self._s3.put_object(
                Bucket=upload.pointer.bucket, Key=upload.pointer.key, Body=upload.body.encode("utf-8")
            )
