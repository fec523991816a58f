"""Publishing events with boto3 (blocking)."""

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fanout.aws import AWS_CALL_ERRORS, sync_client
from fanout.contract.envelope import CloudEvent
from fanout.topology import Topology, declared_topology
from producer.delays import Delay, with_delay
from producer.entries import Offload
from producer.options import PublishOptions
from producer.results import BatchResult, PublishResult
from producer.run import PublishRun
from producer.topic import resolve_topic_arn

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient


class Publisher:
    """Publishes CloudEvents to the orders topic; the topic ARN is resolved once, here.

    Give `topic_arn` explicitly, or let it be found from `topology` (default: the declared one).
    """

    def __init__(
        self,
        *,
        topic_arn: str | None = None,
        topology: Topology | None = None,
        options: PublishOptions | None = None,
        sns: "SNSClient | None" = None,
    ) -> None:
        self._sns = sns or sync_client("sns")
        self._s3: S3Client | None = None  # made on the first offloaded event
        self._options = options or PublishOptions()
        self._topology = topology
        self.topic_arn = topic_arn or resolve_topic_arn(topology)

    def publish(self, event: CloudEvent[Any], *, delay: Delay | None = None) -> PublishResult:
        """Publish one event; PublishFailed if it could not be, OversizedMessage before sending.

        `delay` (a timedelta or seconds): consumers handle the event no earlier than that from now.
        """
        return self.publish_many([event], delay=delay).raise_for_failures().results[0]

    def publish_many(self, events: Sequence[CloudEvent[Any]], *, delay: Delay | None = None) -> BatchResult:
        """Publish in PublishBatch calls, retrying only retryable failed entries; one result per event.

        `delay`: every event carries `notbefore` = now + delay (InvalidDelay, before sending, when
        longer than the topology's queues honour).
        """
        if delay is not None:
            longest_s = (self._topology or declared_topology()).longest_delay_s
            events = with_delay(events, delay, longest_s=longest_s)
        run = PublishRun(events, topic_arn=self.topic_arn, options=self._options)
        while (batch := run.next_batch()) is not None:
            time.sleep(batch.delay_s)
            try:
                self._store(batch.uploads)
                response = self._sns.publish_batch(**batch.request)
            except AWS_CALL_ERRORS as error:
                run.abort(batch, error)
            else:
                run.record(batch, response)
        return run.result()

    def _store(self, uploads: Sequence[Offload]) -> None:
        """Put offloaded bodies in S3 before the messages pointing to them exist."""
        for upload in uploads:
            self._s3 = self._s3 or sync_client("s3")
            self._s3.put_object(
                Bucket=upload.pointer.bucket, Key=upload.pointer.key, Body=upload.body.encode("utf-8")
            )
