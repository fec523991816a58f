"""The only module that talks to SQS: receive, batched delete, visibility changes, DLQ sends.

Batch calls take any number of entries and split them into SQS's batches of 10; partial failures
(HTTP 200 with a Failed list) come back to the caller as BatchFailure values, never dropped.
"""

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from consumers.runtime.message import ReceivedMessage
from fanout.errors import ConfigurationError

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient
    from types_aiobotocore_sqs.type_defs import (
        BatchResultErrorEntryTypeDef,
        MessageAttributeValueTypeDef,
        SendMessageRequestTypeDef,
    )

BATCH_LIMIT = 10
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = BATCH_LIMIT) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def queue_name(url: str) -> str:
    """The queue name is the last path segment of its URL."""
    return url.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class QueueFacts:
    """What the runtime reads from the queue at start: timeouts and the redrive limit."""

    name: str
    visibility_timeout_s: int
    max_receive_count: int


@dataclass(frozen=True)
class BatchFailure:
    """One entry of a batch call that SQS refused."""

    message: ReceivedMessage
    code: str
    sender_fault: bool
    detail: str


class QueueBroker:
    """SQS calls for one consumer queue and its dead-letter queue (aiobotocore)."""

    def __init__(self, sqs: "SQSClient", queue_url: str, dlq_url: str) -> None:
        self._sqs = sqs
        self.queue_url = queue_url
        self.dlq_url = dlq_url

    async def describe(self) -> QueueFacts:
        """Visibility timeout and maxReceiveCount (from the RedrivePolicy) of the source queue."""
        response = await self._sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["VisibilityTimeout", "RedrivePolicy"]
        )
        attributes = response.get("Attributes", {})
        name = queue_name(self.queue_url)
        if "RedrivePolicy" not in attributes:
            raise ConfigurationError(f"queue {name} has no RedrivePolicy: the runtime needs maxReceiveCount")
        redrive = json.loads(attributes["RedrivePolicy"])
        return QueueFacts(
            name=name,
            visibility_timeout_s=int(attributes.get("VisibilityTimeout", "30")),
            max_receive_count=int(redrive["maxReceiveCount"]),
        )

    async def reachable(self) -> bool:
        """True when the endpoint answers and the queue exists."""
        try:
            await self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
        except Exception:
            return False
        return True

    async def receive(self, max_messages: int, wait_time_s: int) -> list[ReceivedMessage]:
        """Long-poll for up to `max_messages` (≤ 10) with every system and message attribute."""
        response = await self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(max_messages, BATCH_LIMIT),
            WaitTimeSeconds=wait_time_s,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        arrived = time.monotonic()
        return [ReceivedMessage.from_sqs(raw, arrived) for raw in response.get("Messages", [])]

    async def delete(self, messages: Sequence[ReceivedMessage]) -> list[BatchFailure]:
        """DeleteMessageBatch in batches of 10."""
        failures: list[BatchFailure] = []
        for batch in chunks(messages):
            response = await self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message.receipt_handle}
                    for index, message in enumerate(batch)
                ],
            )
            failures += _failures(batch, response.get("Failed", []))
        return failures

    async def change_visibility(self, changes: Sequence[tuple[ReceivedMessage, int]]) -> list[BatchFailure]:
        """ChangeMessageVisibilityBatch: each message becomes visible again after its timeout."""
        failures: list[BatchFailure] = []
        for batch in chunks(changes):
            response = await self._sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message.receipt_handle, "VisibilityTimeout": timeout}
                    for index, (message, timeout) in enumerate(batch)
                ],
            )
            failures += _failures([message for message, _ in batch], response.get("Failed", []))
        return failures

    async def send_to_dlq(
        self,
        message: ReceivedMessage,
        attributes: Mapping[str, "MessageAttributeValueTypeDef"],
        body: str | None = None,
    ) -> None:
        """SendMessage of `message`'s body (or `body`, a claim check for it) to the dead-letter queue
        (a FIFO DLQ keeps its group)."""
        request: SendMessageRequestTypeDef = {
            "QueueUrl": self.dlq_url,
            "MessageBody": message.body if body is None else body,
            "MessageAttributes": attributes,
        }
        if message.group_id is not None:
            request["MessageGroupId"] = message.group_id
            request["MessageDeduplicationId"] = message.message_id
        await self._sqs.send_message(**request)


def _failures(
    batch: Sequence[ReceivedMessage], failed: Sequence["BatchResultErrorEntryTypeDef"]
) -> list[BatchFailure]:
    return [
        BatchFailure(
            message=batch[int(entry["Id"])],
            code=entry.get("Code", ""),
            sender_fault=entry.get("SenderFault", False),
            detail=entry.get("Message", ""),
        )
        for entry in failed
    ]
