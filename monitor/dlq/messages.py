"""Dead-lettered messages, decoded for people: event, reason, attempts, first seen.

Peeking receives messages and at once makes them visible again, so nothing is consumed. Messages
the runtime dead-lettered carry the `fanout_dlq_*` attributes; messages the queue's own redrive
policy moved carry none, and are shown with the reason REDRIVE_POLICY_REASON.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from fanout.contract.deadletter import DeadLetterAttribute
from fanout.contract.errors import ContractError
from fanout.contract.payloads import PayloadPointer
from fanout.contract.wire import EVENT_TYPE_ATTRIBUTE, read_body, unwrap_body
from fanout.redaction import log_safe

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

REDRIVE_POLICY_REASON = "unknown (moved by redrive policy)"
AGE_SAMPLE_SIZE = 10  # messages peeked to estimate the oldest age (one receive)
PEEK_HOLD_S = 30  # hidden while paging so pages do not repeat; released as soon as the peek ends
SQS_BATCH = 10
RESENDABLE_KEYS = ("DataType", "StringValue", "BinaryValue")

T = TypeVar("T")


def in_batches(items: Sequence[T], size: int = SQS_BATCH) -> list[Sequence[T]]:
    """Split items into SQS-sized batches."""
    return [items[start : start + size] for start in range(0, len(items), size)]


STATED_LIMIT = 120  # characters of a stated type or id shown for a body that did not validate


def _envelope_ids(body: str, routed_type: str | None) -> tuple[str | None, str | None]:
    """The `type` and `id` an unusable envelope still states (an unknown type, a schema violation),
    so the listing shows what it claims to be; the routed-on attribute wins for the type."""
    try:
        document = unwrap_body(body)
    except ContractError:  # not JSON at all: nothing to show
        return routed_type, None
    if not isinstance(document, dict):
        return routed_type, None
    stated_type, stated_id = (_short_text(document.get(name)) for name in ("type", "id"))
    return routed_type or stated_type, stated_id


def _short_text(value: Any) -> str | None:
    """A stated id or type fit to list: a string of one line, cut to STATED_LIMIT characters."""
    return log_safe(value, STATED_LIMIT) if isinstance(value, str) and value.strip() else None


@dataclass(frozen=True)
class DeadLetter:
    """One message in a DLQ, with what the runtime recorded about why it is there."""

    message_id: str
    body: str
    message_attributes: dict[str, Any]
    sent_at: datetime
    event_type: str | None
    event_id: str | None
    decode_error: str | None

    @classmethod
    def from_message(cls, message: "MessageTypeDef") -> "DeadLetter":
        body = message.get("Body", "")
        attributes: dict[str, Any] = dict(message.get("MessageAttributes", {}))
        sent_ms = int(message.get("Attributes", {}).get("SentTimestamp", "0"))
        event_type = attributes.get(EVENT_TYPE_ATTRIBUTE, {}).get("StringValue")
        event_id, decode_error = None, None
        try:
            decoded = read_body(body)
            if isinstance(decoded, PayloadPointer):
                decode_error = f"payload offloaded to {decoded.url} (not fetched)"
            else:
                event_type, event_id = decoded.type, decoded.id
        except ContractError as error:
            decode_error = str(error)
            event_type, event_id = _envelope_ids(body, event_type)
        return cls(
            message_id=message.get("MessageId", ""),
            body=body,
            message_attributes=attributes,
            sent_at=datetime.fromtimestamp(sent_ms / 1000, UTC),
            event_type=event_type,
            event_id=event_id,
            decode_error=decode_error,
        )

    def _attribute(self, name: DeadLetterAttribute) -> str | None:
        value = self.message_attributes.get(name.value, {}).get("StringValue")
        return str(value) if value is not None else None

    @property
    def reason(self) -> str:
        return self._attribute(DeadLetterAttribute.REASON) or REDRIVE_POLICY_REASON

    @property
    def detail(self) -> str | None:
        return self._attribute(DeadLetterAttribute.DETAIL)

    @property
    def attempts(self) -> int | None:
        count = self._attribute(DeadLetterAttribute.RECEIVE_COUNT)
        return int(count) if count and count.isdigit() else None

    @property
    def first_seen(self) -> str:
        """When the runtime first saw it; else when it was first enqueued (kept by a policy move)."""
        return self._attribute(DeadLetterAttribute.FIRST_SEEN) or self.sent_at.isoformat()

    @property
    def dead_lettered_at(self) -> str:
        return self._attribute(DeadLetterAttribute.DEAD_LETTERED_AT) or self.sent_at.isoformat()

    def original_attributes(self) -> dict[str, Any]:
        """The event's own message attributes, without the `fanout_dlq_*` ones, ready to send."""
        recorded = {attribute.value for attribute in DeadLetterAttribute}
        return {
            name: {key: value[key] for key in RESENDABLE_KEYS if key in value}
            for name, value in self.message_attributes.items()
            if name not in recorded
        }


def receive(sqs: "SQSClient", queue_url: str, count: int, hold_s: int, wait_s: int) -> list["MessageTypeDef"]:
    """Receive up to `count` (≤ 10) messages with every attribute, hidden for `hold_s`."""
    response = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=min(count, SQS_BATCH),
        VisibilityTimeout=hold_s,
        WaitTimeSeconds=wait_s,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    )
    return list(response.get("Messages", []))


def release(sqs: "SQSClient", queue_url: str, receipt_handles: Sequence[str]) -> None:
    """Make received messages visible again at once."""
    for batch in in_batches(receipt_handles):
        sqs.change_message_visibility_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for index, handle in enumerate(batch)
            ],
        )


def peek(sqs: "SQSClient", queue_url: str, limit: int, wait_s: int = 1) -> list[DeadLetter]:
    """Up to `limit` messages, decoded, left in the queue and visible again.

    Pass the queue's depth as the limit when it is smaller: paging stops there instead of waiting
    `wait_s` on an empty receive.
    """
    received: list[MessageTypeDef] = []
    try:
        while len(received) < limit:
            batch = receive(sqs, queue_url, limit - len(received), PEEK_HOLD_S, wait_s)
            if not batch:
                break
            received.extend(batch)
    finally:
        release(sqs, queue_url, [message["ReceiptHandle"] for message in received])
    return [DeadLetter.from_message(message) for message in received]


@dataclass(frozen=True)
class OldestAge:
    """Age of the oldest message seen; exact only when every message in the queue was seen."""

    seconds: float
    exact: bool

    def __str__(self) -> str:
        return f"{'' if self.exact else '≥ '}{format_duration(self.seconds)}"


def oldest_age(sample: Sequence[DeadLetter], depth: int, now: datetime) -> OldestAge | None:
    """Estimate ApproximateAgeOfOldestMessage from peeked messages' SentTimestamp."""
    if not sample:
        return None
    oldest = min(message.sent_at for message in sample)
    return OldestAge(max((now - oldest).total_seconds(), 0.0), exact=len(sample) >= depth)


def format_duration(seconds: float) -> str:
    """A compact duration: 45s, 12m, 3h05m, 2d04h."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m"
    if whole < 86400:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d{whole % 86400 // 3600:02d}h"
