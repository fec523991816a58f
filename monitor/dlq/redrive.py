"""Move dead-lettered messages back to their source queue.

On AWS, StartMessageMoveTask does it server-side (progress from ListMessageMoveTasks). Where the
endpoint lacks it (moto), or a limit is asked for, messages are copied: receive → send → delete,
deleting only what was sent, with the `fanout_dlq_*` attributes stripped. A stop request is
honoured between batches, so an interrupted redrive loses nothing; a rerun continues.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from fanout.aws import aws_settings
from fanout.errors import FanoutError
from fanout.topology.depth import read_depth
from monitor.dlq.messages import DeadLetter, receive, release
from monitor.dlq.queues import DeadLetterQueue

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import (
        MessageTypeDef,
        SendMessageBatchRequestEntryTypeDef,
        StartMessageMoveTaskRequestTypeDef,
    )

COPY_HOLD_S = 60  # a message received for copying stays hidden this long if the copier dies
EMPTY_POLLS_BEFORE_DONE = 3  # empty receives while others (a peek) still hold messages
MAX_MOVE_TASK_RATE = 500
UNSUPPORTED_CODES = frozenset(
    {"InvalidAction", "NotImplemented", "UnknownOperationException", "UnsupportedOperation", "500", "501"}
)
RUNNING = "RUNNING"

Stop = Callable[[], bool]
Progress = Callable[[int], None]


class RedriveError(FanoutError):
    """Some messages could not be moved; the ones not moved are still in the DLQ."""


@dataclass(frozen=True)
class MoveTaskStatus:
    """One ListMessageMoveTasks result."""

    status: str
    moved: int
    to_move: int | None
    failure: str | None

    @property
    def running(self) -> bool:
        return self.status == RUNNING


def resend_entry(
    key: str, letter: DeadLetter, message: "MessageTypeDef"
) -> "SendMessageBatchRequestEntryTypeDef":
    """The SendMessageBatch entry putting a dead letter back; on FIFO queues in its message group,
    deduplicated by its DLQ message id (a rerun after a failed delete sends no duplicate)."""
    entry: SendMessageBatchRequestEntryTypeDef = {
        "Id": key,
        "MessageBody": letter.body,
        "MessageAttributes": letter.original_attributes(),
    }
    group = message.get("Attributes", {}).get("MessageGroupId")
    if group is not None:
        entry["MessageGroupId"] = group
        entry["MessageDeduplicationId"] = message["MessageId"]
    return entry


def single_attempt_sqs() -> "SQSClient":
    """An SQS client that does not retry, to find out quickly whether an action exists."""
    kwargs = aws_settings().client_kwargs()
    kwargs["config"] = kwargs["config"].merge(Config(retries={"mode": "standard", "max_attempts": 1}))
    return boto3.session.Session().client("sqs", **kwargs)


class Redriver:
    """Redrives one consumer's DLQ into its source queue."""

    def __init__(self, sqs: "SQSClient", queue: DeadLetterQueue) -> None:
        self._sqs = sqs
        self._queue = queue

    # -- server-side move task (AWS) ---------------------------------------------------------

    def start_move_task(self, rate: float | None = None) -> str | None:
        """Start StartMessageMoveTask; None when the endpoint does not implement it."""
        arguments: StartMessageMoveTaskRequestTypeDef = {
            "SourceArn": self._queue.dlq.arn,
            "DestinationArn": self._queue.source.arn,
        }
        if rate is not None:
            arguments["MaxNumberOfMessagesPerSecond"] = max(1, min(int(rate), MAX_MOVE_TASK_RATE))
        try:
            return single_attempt_sqs().start_message_move_task(**arguments)["TaskHandle"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in UNSUPPORTED_CODES:
                return None
            raise

    def move_task_status(self) -> MoveTaskStatus:
        """The newest move task on this DLQ."""
        results = self._sqs.list_message_move_tasks(SourceArn=self._queue.dlq.arn, MaxResults=1)["Results"]
        if not results:
            raise RedriveError(f"no message move task found for {self._queue.dlq.name}")
        task = results[0]
        return MoveTaskStatus(
            status=task.get("Status", "UNKNOWN"),
            moved=task.get("ApproximateNumberOfMessagesMoved", 0),
            to_move=task.get("ApproximateNumberOfMessagesToMove"),
            failure=task.get("FailureReason"),
        )

    def cancel_move_task(self, task_handle: str) -> None:
        self._sqs.cancel_message_move_task(TaskHandle=task_handle)

    # -- client-side copy --------------------------------------------------------------------

    def copy(
        self,
        limit: int | None = None,
        rate: float | None = None,
        on_moved: Progress | None = None,
        should_stop: Stop | None = None,
    ) -> int:
        """Move up to `limit` messages (all without one); returns how many were moved."""
        moved, empty_polls, started = 0, 0, time.monotonic()
        batch_size = 10 if rate is None else max(1, min(10, int(rate)))
        while (limit is None or moved < limit) and not (should_stop and should_stop()):
            wanted = batch_size if limit is None else min(batch_size, limit - moved)
            messages = receive(self._sqs, self._queue.dlq.url, wanted, COPY_HOLD_S, wait_s=1)
            if not messages:
                empty_polls += 1
                if (
                    empty_polls >= EMPTY_POLLS_BEFORE_DONE
                    or read_depth(self._sqs, self._queue.dlq.url).total == 0
                ):
                    break
                continue
            empty_polls = 0
            count = self._move(messages)
            moved += count
            if on_moved:
                on_moved(count)
            if rate is not None:
                time.sleep(max(0.0, moved / rate - (time.monotonic() - started)))
        return moved

    def _move(self, messages: list["MessageTypeDef"]) -> int:
        """Send a batch to the source queue, then delete from the DLQ exactly what was sent."""
        by_id = {str(index): message for index, message in enumerate(messages)}
        letters = {key: DeadLetter.from_message(message) for key, message in by_id.items()}
        sent = self._sqs.send_message_batch(
            QueueUrl=self._queue.source.url,
            Entries=[resend_entry(key, letter, by_id[key]) for key, letter in letters.items()],
        )
        sent_ids = [entry["Id"] for entry in sent.get("Successful", [])]
        if sent_ids:
            deleted = self._sqs.delete_message_batch(
                QueueUrl=self._queue.dlq.url,
                Entries=[{"Id": key, "ReceiptHandle": by_id[key]["ReceiptHandle"]} for key in sent_ids],
            )
            if failed_deletes := deleted.get("Failed", []):
                raise RedriveError(
                    f"{len(failed_deletes)} message(s) were sent back but not deleted from "
                    f"{self._queue.dlq.name}: {failed_deletes[0].get('Message', failed_deletes[0]['Code'])}; "
                    "they will be redriven again (consumers deduplicate by event id)"
                )
        if failed_sends := sent.get("Failed", []):
            release(
                self._sqs,
                self._queue.dlq.url,
                [by_id[entry["Id"]]["ReceiptHandle"] for entry in failed_sends],
            )
            raise RedriveError(
                f"{len(failed_sends)} message(s) could not be sent to {self._queue.source.name} and stay "
                f"in {self._queue.dlq.name}: {failed_sends[0].get('Message', failed_sends[0]['Code'])}"
            )
        return len(sent_ids)
