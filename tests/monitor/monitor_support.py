"""Helpers for the monitor tests: dead letters on the moto endpoint, draining and counting queues."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fanout.aws import sync_client
from fanout.contract import OrderShipped, new_event
from fanout.contract.deadletter import DeadLetterAttribute
from fanout.contract.wire import message_attributes

FIRST_SEEN = "2026-01-01T00:00:00+00:00"


def shipped_body(order_id: str) -> tuple[str, dict[str, Any]]:
    """A valid order.shipped event: its JSON body and its message attributes."""
    event = new_event(
        OrderShipped(
            order_id=order_id, carrier="dhl", tracking_number=f"t-{order_id}", shipped_at=datetime.now(UTC)
        )
    )
    return event.model_dump_json(), dict(message_attributes(event))


def put_dead_letters(
    dlq_url: str, count: int, *, reason: str | None = "schema_violation", start: int = 0
) -> list[str]:
    """Send `count` events into a DLQ as the runtime would (reason None: as a redrive policy would)."""
    sqs = sync_client("sqs")
    bodies = []
    for index in range(start, start + count):
        body, attributes = shipped_body(f"o-{index}")
        if reason is not None:
            attributes |= {
                DeadLetterAttribute.REASON.value: {"DataType": "String", "StringValue": reason},
                DeadLetterAttribute.DETAIL.value: {"DataType": "String", "StringValue": f"detail {index}"},
                DeadLetterAttribute.RECEIVE_COUNT.value: {"DataType": "Number", "StringValue": "5"},
                DeadLetterAttribute.FIRST_SEEN.value: {
                    "DataType": "String",
                    "StringValue": "2026-01-01T00:00:00+00:00",
                },
            }
        sqs.send_message(QueueUrl=dlq_url, MessageBody=body, MessageAttributes=attributes)
        bodies.append(body)
    return bodies


def drain(queue_url: str) -> list[dict[str, Any]]:
    """Receive and delete everything in a queue; returns the messages with their attributes."""
    sqs = sync_client("sqs")
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, MessageAttributeNames=["All"]
    ).get("Messages", []):
        messages.extend(dict(message) for message in batch)
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
        )
    return messages


def visible(queue_url: str) -> int:
    attributes = sync_client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


class ManualClock:
    """A clock the test moves by hand, so re-notify intervals pass without sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class OffsetClock:
    """Real time plus an offset the test moves, so peeked messages' ages move with it."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclass
class Receiver:
    """A local HTTP server recording every JSON POST, answering with a chosen status per path.

    `requests` holds every attempt, `accepted` only those answered 2xx; paths in `hanging` never answer.
    """

    url: str
    requests: dict[str, list[Any]] = field(default_factory=dict)
    accepted: dict[str, list[Any]] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    hanging: set[str] = field(default_factory=set)

    def received(self, path: str) -> list[Any]:
        return self.requests.get(path, [])

    def delivered(self, path: str) -> list[Any]:
        """What the receiver accepted on a path (2xx answers)."""
        return self.accepted.get(path, [])


async def eventually(predicate: Callable[[], bool], what: str, timeout_s: float = 20.0) -> None:
    """Poll `predicate` until it holds, failing with `what` after the deadline."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)
