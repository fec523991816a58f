"""Helpers for the runtime tests: events, a recording service, queue and polling utilities."""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from consumers.runtime.context import HandlerContext
from consumers.runtime.service import Service, handles
from consumers.runtime.settings import ConsumerSettings
from fanout.aws import sync_client
from fanout.contract import CloudEvent, OrderCancelled, OrderItem, OrderPlaced, OrderShipped, new_event
from fanout.contract.wire import message_attributes
from fanout.topology.depth import QueueDepth, read_depth

Behaviour = Callable[[CloudEvent[Any], HandlerContext], Awaitable[None]]


@dataclass(frozen=True)
class QueuePair:
    """A test queue and its dead-letter queue."""

    url: str
    dlq_url: str


MakeQueue = Callable[..., QueuePair]


def placed(order_id: str = "o-1") -> CloudEvent[OrderPlaced]:
    return new_event(
        OrderPlaced(
            order_id=order_id,
            customer_id="c-1",
            customer_email="ada@example.com",
            items=[OrderItem(sku="SKU-1", quantity=2, unit_price=Decimal("9.99"))],
            total=Decimal("19.98"),
            currency="EUR",
            placed_at=datetime.now(UTC),
        )
    )


def cancelled(order_id: str = "o-1") -> CloudEvent[OrderCancelled]:
    return new_event(OrderCancelled(order_id=order_id, reason="changed mind", cancelled_at=datetime.now(UTC)))


def shipped(order_id: str = "o-1") -> CloudEvent[OrderShipped]:
    return new_event(
        OrderShipped(order_id=order_id, carrier="DHL", tracking_number="T-1", shipped_at=datetime.now(UTC))
    )


def sns_envelope(event: CloudEvent[Any]) -> str:
    """The body SNS delivers without raw delivery."""
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": "sns-1",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:test-orders",
            "Message": event.model_dump_json(),
            "Timestamp": "2026-11-22T12:00:00.000Z",
            "SignatureVersion": "1",
        }
    )


def send_event(queue_url: str, event: CloudEvent[Any], *, enveloped: bool = False) -> str:
    """Send an event as raw delivery (or SNS-enveloped) with its message attributes; the message id."""
    body = sns_envelope(event) if enveloped else event.model_dump_json()
    return send_body(queue_url, body, message_attributes(event))


def send_body(queue_url: str, body: str, attributes: dict[str, dict[str, str]] | None = None) -> str:
    response = sync_client("sqs").send_message(
        QueueUrl=queue_url,
        MessageBody=body,
        MessageAttributes=attributes or {},  # type: ignore[arg-type]
    )
    return response["MessageId"]


def receive_all(queue_url: str) -> list[dict[str, Any]]:
    """Every message currently visible on a queue (kept invisible for 60 s so each is read once)."""
    sqs = sync_client("sqs")
    found: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=60,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not batch:
            return found
        found += batch  # type: ignore[arg-type]


def depth(queue_url: str) -> QueueDepth:
    return read_depth(sync_client("sqs"), queue_url)


def attribute(message: dict[str, Any], name: str) -> str:
    return str(message["MessageAttributes"][name]["StringValue"])


async def wait_until(predicate: Callable[[], bool], timeout_s: float = 10.0, what: str = "condition") -> None:
    """Poll `predicate` (cheap, or it blocks the loop briefly) until true or fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(0.05)


async def wait_for_depth(
    queue_url: str, predicate: Callable[[QueueDepth], bool], timeout_s: float = 10.0, what: str = "depth"
) -> QueueDepth:
    """Poll a queue's depth in a thread until `predicate` holds."""
    deadline = time.monotonic() + timeout_s
    while True:
        current = await asyncio.to_thread(depth, queue_url)
        if predicate(current):
            return current
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}; last {current}")
        await asyncio.sleep(0.1)


def fast_settings(**overrides: Any) -> ConsumerSettings:
    """Settings for tests: short long-poll, quick drain, no health server."""
    values: dict[str, Any] = {
        "wait_time_s": 1,
        "drain_timeout_s": 5,
        "health_port": 0,
        "retry_strategy": "fixed",
        "retry_initial_s": 0,
    }
    values.update(overrides)
    return ConsumerSettings(**values)


@dataclass
class Call:
    event: CloudEvent[Any]
    context: HandlerContext
    at: float = field(default_factory=time.monotonic)


class RecordingService(Service):
    """Handles order.placed and order.cancelled (not order.shipped); records calls and hooks.

    Subclasses re-declare handlers with other @handles options; `behaviour` runs inside each call.
    """

    name = "recorder"

    def __init__(self, behaviour: Behaviour | None = None) -> None:
        self.behaviour = behaviour
        self.calls: list[Call] = []
        self.retries: list[tuple[int, BaseException, CloudEvent[Any]]] = []
        self.failures: list[tuple[BaseException, CloudEvent[Any] | None]] = []
        self.started = self.stopped = False

    async def record(self, event: CloudEvent[Any], context: HandlerContext) -> None:
        self.calls.append(Call(event, context))
        if self.behaviour is not None:
            await self.behaviour(event, context)

    def handled_ids(self) -> list[str]:
        return [call.event.id for call in self.calls]

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def on_retry(self, attempt: int, exc: BaseException, event: CloudEvent[Any]) -> None:
        self.retries.append((attempt, exc, event))

    async def on_failure(self, exc: BaseException, event: CloudEvent[Any] | None) -> None:
        self.failures.append((exc, event))


class OrdersRecorder(RecordingService):
    """Default options: service-wide retry and timeout from settings."""

    @handles(OrderPlaced)
    async def on_placed(self, event: CloudEvent[OrderPlaced], context: HandlerContext) -> None:
        await self.record(event, context)

    @handles(OrderCancelled)
    async def on_cancelled(self, event: CloudEvent[OrderCancelled], context: HandlerContext) -> None:
        await self.record(event, context)
