"""The dashboard's only door into the redrive code of `fanout dlq redrive` (monitor/dlq/redrive.py).

`redrive_all` makes the same calls as the CLI: StartMessageMoveTask where the endpoint has it
(the request returns once the task started; `fanout dlq redrive NAME --status` follows it), else
`monitor.dlq.redrive.redrive`'s copy, limited to the messages the DLQ held when asked (a
snapshot: poison that bounces back is not moved again). `redrive_selected` moves chosen messages
by id in the same order: send to the source queue first, then delete from the DLQ exactly what was
sent.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fanout.topology.depth import read_depth
from monitor.dlq.messages import receive, release
from monitor.dlq.queues import DeadLetterQueue
from monitor.dlq.redrive import Redriver, redrive

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

SELECTED_HOLD_S = 60  # a message received for moving stays hidden this long if the dashboard dies
EMPTY_POLLS_BEFORE_DONE = 3  # receives that found nothing new while others (a peek) may hold messages


@dataclass(frozen=True)
class RedriveOutcome:
    """What a redrive did: messages moved, or the server-side move task that moves them."""

    requested: int
    moved: int
    move_task: str | None = None


def redrive_all(sqs: "SQSClient", queue: DeadLetterQueue) -> RedriveOutcome:
    """Move every message the DLQ holds now back to the source queue."""
    depth = read_depth(sqs, queue.dlq.url).total
    if depth == 0:
        return RedriveOutcome(requested=0, moved=0)
    redriver = Redriver(sqs, queue)
    if (task := redriver.start_move_task()) is not None:
        return RedriveOutcome(requested=depth, moved=0, move_task=task)
    return RedriveOutcome(requested=depth, moved=redrive(queue, sqs=sqs, use_move_task=False).moved)


def redrive_selected(
    sqs: "SQSClient", queue: DeadLetterQueue, message_ids: Collection[str]
) -> RedriveOutcome:
    """Move the messages with these SQS message ids; the others seen on the way are released at the end.

    It stops once every id moved, every message the DLQ held was seen, or receives find nothing new.
    """
    wanted = set(message_ids)
    depth = read_depth(sqs, queue.dlq.url).total
    moved, seen, held, empty_polls = 0, set[str](), list[str](), 0
    try:
        while wanted and len(seen) < depth and empty_polls < EMPTY_POLLS_BEFORE_DONE:
            batch = receive(sqs, queue.dlq.url, 10, SELECTED_HOLD_S, wait_s=1)
            fresh = [message for message in batch if message.get("MessageId") not in seen]
            if not fresh:
                held += [message["ReceiptHandle"] for message in batch]
                empty_polls += 1
                continue
            empty_polls = 0
            seen.update(message.get("MessageId", "") for message in fresh)
            chosen = [message for message in batch if message.get("MessageId") in wanted]
            held += [message["ReceiptHandle"] for message in batch if message not in chosen]
            if chosen:
                moved += Redriver(sqs, queue).move(chosen)
                wanted -= {message.get("MessageId", "") for message in chosen}
    finally:
        release(sqs, queue.dlq.url, held)
    return RedriveOutcome(requested=len(message_ids), moved=moved)
