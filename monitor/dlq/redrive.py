"""Move dead-lettered messages back to their source queue, with snapshot semantics.

A redrive moves at most what the DLQ held when it started. On AWS, StartMessageMoveTask does
that server-side (progress from ListMessageMoveTasks). Where the endpoint lacks it (moto), or a
limit is asked for, messages are copied: receive → send → delete, deleting only what was sent,
with the `fanout_dlq_*` attributes stripped. The copy takes the same snapshot: it counts the
DLQ at the start and moves no more than that; a message seen twice (its id, an id it was sent
under, or a body it already moved that reached the DLQ after the run started — the consumer failed
it again) ends the run and stays in the DLQ. The same body dead-lettered twice before the run (one
event failed twice) is two messages to move, not one that came back. A stop request
(SIGINT/SIGTERM in the CLI) is honoured between batches, so an interrupted redrive loses and
duplicates nothing; a rerun continues.

`redrive()` is the entry point for the CLI and any other caller (the dashboard).
"""

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from fanout.aws import aws_settings, sync_client
from fanout.errors import FanoutError
from fanout.topology.depth import read_depth
from monitor.dlq.messages import AGE_SAMPLE_SIZE, SQS_BATCH, DeadLetter, peek, receive, release
from monitor.dlq.queues import DeadLetterQueue

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import (
        MessageTypeDef,
        SendMessageBatchRequestEntryTypeDef,
        StartMessageMoveTaskRequestTypeDef,
    )

DEFAULT_RATE = 50.0  # messages/s: fast enough for thousands, slow enough not to flood a consumer
COPY_HOLD_S = 60  # a message received for copying stays hidden this long if the copier dies
EMPTY_POLLS_BEFORE_DONE = 3  # empty receives while others (a peek) still hold messages
MAX_MOVE_TASK_RATE = 500
MOVE_TASK_POLL_S = 2.0
UNSUPPORTED_CODES = frozenset(
    {"InvalidAction", "NotImplemented", "UnknownOperationException", "UnsupportedOperation", "500", "501"}
)
RUNNING = "RUNNING"

Stop = Callable[[], bool]
Progress = Callable[[int], None]


class RedriveError(FanoutError):
    """Some messages could not be moved; the ones not moved are still in the DLQ."""


class MoveTasksUnsupported(FanoutError):
    """The endpoint has no StartMessageMoveTask/ListMessageMoveTasks (moto)."""


class StopReason(StrEnum):
    """Why a redrive ended."""

    SNAPSHOT = "snapshot"  # moved every message the DLQ held at the start
    EMPTY = "empty"  # the DLQ ran out before the snapshot count (others took some)
    LIMIT = "limit"  # moved --limit messages
    RETURNED = "returned"  # a message came back while redriving: the consumer fails it again
    INTERRUPTED = "interrupted"  # a stop request, honoured after the current batch
    TASK_FINISHED = "task_finished"  # the server-side move task ended (see `task_status`)


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


@dataclass(frozen=True)
class RedriveResult:
    """What a redrive did: how it moved, the snapshot it started from, what it moved, why it stopped."""

    method: Literal["move_task", "copy"]
    dlq: str
    source: str
    snapshot: int  # messages in the DLQ when the redrive started
    moved: int
    remaining: int  # messages in the DLQ when it ended
    stopped: StopReason
    returned: int = 0  # moved messages seen again in the DLQ (the consumer failed them again)
    moved_ids: list[str] = field(default_factory=list)  # DLQ message ids moved (copy only)
    task_status: MoveTaskStatus | None = None

    @property
    def consumer_failing_again(self) -> bool:
        return self.returned > 0


@dataclass
class CopyProgress:
    """What a copy has done so far."""

    moved: int = 0
    returned: int = 0
    moved_ids: list[str] = field(default_factory=list)
    seen_ids: set[str] = field(default_factory=set)
    moved_digests: set[str] = field(default_factory=set)
    started_at: float = field(default_factory=time.time)  # wall clock, as SQS's SentTimestamp

    def seen_again(self, message: "MessageTypeDef") -> bool:
        """Already received or sent under this id, or a body already moved in this run that reached
        the DLQ since the run started (a copy of it from before is another message to move)."""
        if message.get("MessageId", "") in self.seen_ids:
            return True
        sent_ms = message.get("Attributes", {}).get("SentTimestamp", "")
        return self.came_back(message.get("Body", ""), int(sent_ms) / 1000 if sent_ms.isdigit() else None)

    def came_back(self, body: str, sent_at_s: float | None) -> bool:
        """A body moved in this run that reached the DLQ since the run started (None: when unknown)."""
        sent_since = sent_at_s is None or sent_at_s >= self.started_at
        return sent_since and body_digest(body) in self.moved_digests


def body_digest(body: str) -> str:
    """A body's fingerprint (the runtime dead-letters a body byte-for-byte, under a new message id)."""
    return hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()


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


def unsupported(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in UNSUPPORTED_CODES


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
            if unsupported(error):
                return None
            raise

    def move_task_status(self) -> MoveTaskStatus:
        """The newest move task on this DLQ (MoveTasksUnsupported where the endpoint lacks them)."""
        try:
            results = single_attempt_sqs().list_message_move_tasks(
                SourceArn=self._queue.dlq.arn, MaxResults=1
            )["Results"]
        except ClientError as error:
            if unsupported(error):
                raise MoveTasksUnsupported(
                    "this endpoint does not implement ListMessageMoveTasks (moto lacks it): "
                    "redrives here are client-side copies, with no task to show"
                ) from None
            raise
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

    def watch_move_task(
        self, task_handle: str, on_status: Callable[[MoveTaskStatus], None] | None, should_stop: Stop | None
    ) -> MoveTaskStatus:
        """Follow a move task to its end; a stop request cancels it (what moved stays moved)."""
        cancelled = False
        while True:
            status = self.move_task_status()
            if on_status:
                on_status(status)
            if not status.running:
                return status
            if should_stop and should_stop() and not cancelled:
                self.cancel_move_task(task_handle)
                cancelled = True
            time.sleep(MOVE_TASK_POLL_S)

    # -- client-side copy --------------------------------------------------------------------

    def copy(
        self,
        budget: int,
        rate: float | None = DEFAULT_RATE,
        on_moved: Progress | None = None,
        should_stop: Stop | None = None,
    ) -> tuple[CopyProgress, StopReason]:
        """Move at most `budget` messages, each at most once; returns what moved and why it stopped."""
        progress, empty_polls, started = CopyProgress(), 0, time.monotonic()
        batch_size = SQS_BATCH if rate is None else max(1, min(SQS_BATCH, int(rate)))
        while progress.moved < budget:
            if should_stop and should_stop():
                return progress, StopReason.INTERRUPTED
            wanted = min(batch_size, budget - progress.moved)
            messages = receive(self._sqs, self._queue.dlq.url, wanted, COPY_HOLD_S, wait_s=1)
            if not messages:
                empty_polls += 1
                if (
                    empty_polls >= EMPTY_POLLS_BEFORE_DONE
                    or read_depth(self._sqs, self._queue.dlq.url).total == 0
                ):
                    return progress, StopReason.EMPTY
                continue
            empty_polls = 0
            again = [message for message in messages if progress.seen_again(message)]
            fresh = [message for message in messages if not progress.seen_again(message)]
            if again:
                release(self._sqs, self._queue.dlq.url, [message["ReceiptHandle"] for message in again])
                progress.returned += len(again)
            if fresh:
                count = self.move(fresh, progress)
                if on_moved:
                    on_moved(count)
            if again:
                return progress, StopReason.RETURNED
            if rate is not None:
                time.sleep(max(0.0, progress.moved / rate - (time.monotonic() - started)))
        return progress, StopReason.SNAPSHOT

    def move(self, messages: list["MessageTypeDef"], progress: CopyProgress | None = None) -> int:
        """Send received DLQ messages (≤ 10) to the source queue, then delete from the DLQ exactly
        what was sent; RedriveError (the unsent released) when a send or delete failed."""
        progress = progress if progress is not None else CopyProgress()
        by_id = {str(index): message for index, message in enumerate(messages)}
        letters = {key: DeadLetter.from_message(message) for key, message in by_id.items()}
        progress.seen_ids.update(message.get("MessageId", "") for message in messages)
        sent = self._sqs.send_message_batch(
            QueueUrl=self._queue.source.url,
            Entries=[resend_entry(key, letter, by_id[key]) for key, letter in letters.items()],
        )
        successful = sent.get("Successful", [])
        sent_ids = [entry["Id"] for entry in successful]
        progress.seen_ids.update(entry["MessageId"] for entry in successful)  # the id it may return under
        if sent_ids:
            deleted = self._sqs.delete_message_batch(
                QueueUrl=self._queue.dlq.url,
                Entries=[{"Id": key, "ReceiptHandle": by_id[key]["ReceiptHandle"]} for key in sent_ids],
            )
            progress.moved += len(sent_ids)
            progress.moved_ids.extend(by_id[key].get("MessageId", "") for key in sent_ids)
            progress.moved_digests.update(body_digest(by_id[key].get("Body", "")) for key in sent_ids)
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


def redrive(
    queue: DeadLetterQueue,
    *,
    limit: int | None = None,
    rate: float | None = DEFAULT_RATE,
    sqs: "SQSClient | None" = None,
    should_stop: Stop | None = None,
    on_moved: Progress | None = None,
    on_task_status: Callable[[MoveTaskStatus], None] | None = None,
    use_move_task: bool = True,
) -> RedriveResult:
    """Move the DLQ's messages (at most `limit`, at most `rate`/s) back to the source queue; blocks.

    Without a limit, StartMessageMoveTask is tried first and followed to its end; where the
    endpoint lacks it the client-side copy runs. `should_stop` is polled between batches;
    `on_moved(count)` reports copied batches, `on_task_status` a move task's progress.
    """
    sqs = sqs or sync_client("sqs")
    redriver = Redriver(sqs, queue)
    snapshot = read_depth(sqs, queue.dlq.url).total
    if limit is None and use_move_task and snapshot and (task := redriver.start_move_task(rate)) is not None:
        status = redriver.watch_move_task(task, on_task_status, should_stop)
        if status.failure:
            raise RedriveError(f"move task {status.status.lower()}: {status.failure}")
        stopped = StopReason.INTERRUPTED if status.status == "CANCELLED" else StopReason.TASK_FINISHED
        remaining = read_depth(sqs, queue.dlq.url).total
        return RedriveResult(
            "move_task",
            queue.dlq.name,
            queue.source.name,
            snapshot,
            moved=status.moved,
            remaining=remaining,
            stopped=stopped,
            task_status=status,
        )
    budget = snapshot if limit is None else min(snapshot, limit)
    progress, stopped = redriver.copy(budget, rate, on_moved, should_stop)
    if stopped is StopReason.SNAPSHOT and limit is not None and budget == limit:
        stopped = StopReason.LIMIT
    remaining = read_depth(sqs, queue.dlq.url).total
    returned = progress.returned
    if not returned and remaining and progress.moved_digests:  # already back after the last batch?
        sample = peek(sqs, queue.dlq.url, min(remaining, AGE_SAMPLE_SIZE), wait_s=0)
        again = sum(progress.came_back(letter.body, letter.sent_at.timestamp()) for letter in sample)
        returned = min(progress.moved, again)
    return RedriveResult(
        "copy",
        queue.dlq.name,
        queue.source.name,
        snapshot,
        moved=progress.moved,
        remaining=remaining,
        stopped=stopped,
        returned=returned,
        moved_ids=progress.moved_ids,
    )
